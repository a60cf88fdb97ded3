"""Text typed into the organizer's forms keeps its paragraphs: browsers send a textarea's line
breaks as CRLF, and the page, the emails and the calendar all show them."""

import importlib
import pkgutil

import icalendar
from flask_wtf import FlaskForm
from markupsafe import Markup

import app as app_package
from app.events.models import Event, EventStatus
from app.extensions import db
from app.forms import BaseForm
from app.mail.sender import deliver_pending
from app.text import excerpt, paragraphs, paragraphs_html
from tests.event_forms import new_event_data

TYPED = "Shippers and brokers meet.\r\nCoffee from 8:30.\r\n\r\nBring <your> questions & data."
STORED = "Shippers and brokers meet.\nCoffee from 8:30.\n\nBring <your> questions & data."
HTML = (
    "<p>Shippers and brokers meet.<br>\nCoffee from 8:30.</p>"
    "<p>Bring &lt;your&gt; questions &amp; data.</p>"
)


def test_text_is_split_at_blank_lines_whatever_the_line_endings():
    assert paragraphs("one\r\n\r\ntwo\rthree\r\r \t\r\nfour\n\n\n\nfive") == [
        "one",
        "two\nthree",
        "four",
        "five",
    ]
    assert paragraphs("  \r\n ") == []
    assert paragraphs(None) == []


def test_paragraphs_become_escaped_html_with_line_breaks():
    assert paragraphs_html(TYPED) == Markup(HTML)
    assert paragraphs_html("") == Markup("")


def test_an_excerpt_is_the_first_paragraph_cut_at_a_word():
    assert excerpt("A short\r\nfirst one.\r\n\r\nA second.") == "A short first one."
    long = "word " * 60
    cut = excerpt(long, limit=40)
    assert cut.endswith("…") and len(cut) <= 40 and not cut.endswith(" …")
    assert excerpt(None) == ""


def test_every_form_of_the_app_normalizes_line_endings():
    """Every form class in the app derives from BaseForm, so none lets CRLF through."""
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        importlib.import_module(module.name)
    forms, pending = [], list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if form.__module__.startswith("app."):
            forms.append(form)
    assert len(forms) > 10
    assert [f"{f.__module__}.{f.__name__}" for f in forms if not issubclass(f, BaseForm)] == []


def test_a_description_typed_with_crlf_keeps_its_paragraphs_everywhere(
    client, organizer, answer_rsvp, smtp
):
    response = client.post(
        "/organizer/events/new",
        data=new_event_data(
            slug="logistics-forum",
            description_en=TYPED,
            description_es="Primer párrafo.\r\nSegunda línea.\r\n\r\nSegundo párrafo.",
        ),
    )
    assert response.status_code == 302, response.text
    event = db.session.scalar(db.select(Event).where(Event.slug == "logistics-forum"))
    assert event.description_en == STORED
    assert event.description_es == "Primer párrafo.\nSegunda línea.\n\nSegundo párrafo."
    event.status = EventStatus.PUBLISHED
    db.session.commit()

    page = client.get("/events/logistics-forum").text
    assert HTML in page
    spanish = client.get("/events/logistics-forum?lang=es").text
    assert "<p>Primer párrafo.<br>\nSegunda línea.</p><p>Segundo párrafo.</p>" in spanish

    # The organizer's own view of the event, and the form they come back to, agree.
    assert HTML in client.get("/organizer/events/logistics-forum").text
    edit_form = client.get("/organizer/events/logistics-forum/edit").text
    assert "Coffee from 8:30.\n\nBring &lt;your&gt;" in edit_form

    download = icalendar.Calendar.from_ical(client.get("/events/logistics-forum.ics").data)
    assert str(download.walk("VEVENT")[0]["DESCRIPTION"]).startswith(STORED + "\n\n")

    answer_rsvp(event, name="Ana", email="ana@example.com")
    assert deliver_pending().sent == 1
    [message] = smtp.mailbox
    html = message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert HTML in html
    assert STORED in text
    calendar = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    [vevent] = icalendar.Calendar.from_ical(calendar.get_content()).walk("VEVENT")
    assert str(vevent["DESCRIPTION"]).startswith(STORED + "\n\n")


def test_an_organizer_message_typed_with_crlf_arrives_in_paragraphs(
    client, organizer, make_event, answer_rsvp, smtp
):
    event = make_event(slug="board-meeting")
    answer_rsvp(event, name="Ana", email="ana@example.com")
    deliver_pending()
    smtp.mailbox.clear()

    response = client.post(
        "/organizer/events/board-meeting/message",
        data={
            "subject": "Parking",
            "body": "Park in lot B.\r\nThe gate opens at 8.\r\n\r\nSee you there.",
            "audience": "confirmed",
        },
    )
    assert response.status_code == 302, response.text
    deliver_pending()
    [message] = smtp.mailbox
    html = message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    assert "<p>Park in lot B.<br>\nThe gate opens at 8.</p><p>See you there.</p>" in html
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert "Park in lot B.\nThe gate opens at 8.\n\nSee you there." in text

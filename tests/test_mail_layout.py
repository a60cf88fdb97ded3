"""How the HTML emails are put together, as received by a real SMTP server: a layout for phones,
the personal link as a button, and the check-in code inline beside the HTML that shows it."""

from datetime import UTC, datetime
from email.message import EmailMessage

import html5lib
import icalendar

from app.events.reminders import send_due_reminders
from app.mail.qr import qr_png
from app.mail.sender import deliver_pending
from app.tokens import Purpose, make_token
from app.urls import absolute_url

NS = {"h": "http://www.w3.org/1999/xhtml"}


def tree(message: EmailMessage) -> list[str]:
    """The MIME tree as indented content types, attachments with their file name."""

    def walk(part: EmailMessage, depth: int) -> list[str]:
        name = part.get_filename()
        line = "  " * depth + part.get_content_type() + (f" ({name})" if name else "")
        lines = [line]
        if part.is_multipart():
            for child in part.iter_parts():
                lines += walk(child, depth + 1)
        return lines

    return walk(message, 0)


def html_of(message: EmailMessage):
    html = message.get_body(preferencelist=("html",)).get_content()
    return html5lib.parse(html)


def manage_url(rsvp) -> str:
    return absolute_url("rsvps.manage", token=make_token(rsvp, Purpose.MANAGE))


def personal_link_button(document, url: str):
    """The link to `url` drawn as a button: padded, coloured, inside a table cell that carries
    the colour for Outlook."""
    buttons = [
        link
        for cell in document.iterfind(".//h:td[@bgcolor]", NS)
        for link in cell.iterfind("h:a", NS)
        if link.get("href") == url
    ]
    assert len(buttons) == 1, f"one button to {url}"
    return buttons[0]


def test_a_confirmation_puts_the_html_and_its_qr_code_in_one_multipart_related(
    make_event, answer_rsvp, smtp
):
    event = make_event(capacity=5)
    rsvp = answer_rsvp(event, name="Ana", email="ana@example.com")
    assert deliver_pending().sent == 1
    [message] = smtp.mailbox

    assert tree(message) == [
        "multipart/mixed",
        "  multipart/alternative",
        "    text/plain",
        "    multipart/related",
        "      text/html",
        "      image/png (checkin-qr.png)",
        "    text/calendar",
        "  application/ics (invite.ics)",
    ]
    [related] = [p for p in message.walk() if p.get_content_type() == "multipart/related"]
    assert related.get_param("type") == "text/html"  # RFC 2387: the root part's type
    image = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == qr_png(
        absolute_url("organizer.checkin.by_token", token=make_token(rsvp, Purpose.CHECKIN))
    )

    content_id = image["Content-ID"]
    assert content_id.startswith("<") and content_id.endswith(">")
    [img] = list(html_of(message).iterfind(".//h:img", NS))
    assert img.get("src") == f"cid:{content_id[1:-1]}"

    # The invitation Outlook and Gmail read as a meeting request is unchanged.
    calendar = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    assert icalendar.Calendar.from_ical(calendar.get_content())["METHOD"] == "REQUEST"


def test_an_email_without_a_qr_code_has_no_related_part(make_event, answer_rsvp, smtp):
    event = make_event(capacity=5)
    answer_rsvp(event, name="Ana", email="ana@example.com", attending=False)
    deliver_pending()
    [message] = smtp.mailbox
    assert tree(message) == [
        "multipart/mixed",
        "  multipart/alternative",
        "    text/plain",
        "    text/html",
    ]


def test_the_personal_link_is_a_button_and_the_text_part_keeps_the_address(
    make_event, answer_rsvp, smtp
):
    event = make_event(capacity=5)
    rsvp = answer_rsvp(event, name="Ana", email="ana@example.com")
    deliver_pending()
    [message] = smtp.mailbox
    url = manage_url(rsvp)

    document = html_of(message)
    [viewport] = document.iterfind(".//h:head/h:meta[@name='viewport']", NS)
    assert viewport.get("content") == "width=device-width, initial-scale=1"

    button = personal_link_button(document, url)
    style = button.get("style").replace(" ", "")
    assert "display:inline-block" in style and "padding:" in style
    assert "".join(button.itertext()) == "See or change your answer"
    # The long address is only in the small "copy this link" line, not the button's text.
    assert url not in "".join(button.itertext())
    assert url in message.get_body(preferencelist=("plain",)).get_content()


def test_reminders_and_spanish_emails_get_the_button_too(make_event, answer_rsvp, smtp):
    event = make_event(days=0.5, capacity=5)
    rsvp = answer_rsvp(event, name="Ana", email="ana@example.com", language="es")
    deliver_pending()
    smtp.mailbox.clear()
    assert send_due_reminders(datetime.now(UTC)) == 1
    deliver_pending()
    [reminder] = smtp.mailbox
    document = html_of(reminder)
    assert document.find(".//h:head/h:meta[@name='viewport']", NS) is not None
    button = personal_link_button(document, manage_url(rsvp))
    assert "".join(button.itertext()) == "Ver o cambiar su respuesta"


def test_a_paragraph_longer_than_an_smtp_line_still_arrives(
    client, organizer, make_event, answer_rsvp, smtp
):
    event = make_event(slug="long-note")
    answer_rsvp(event, name="Ana", email="ana@example.com")
    deliver_pending()
    smtp.mailbox.clear()
    paragraph = " ".join(f"Punto {n}: la garita abre a las 6 y cierra tarde." for n in range(60))
    assert len(paragraph.encode()) > 2000

    response = client.post(
        "/organizer/events/long-note/message",
        data={"subject": "Horario", "body": paragraph, "audience": "confirmed"},
    )
    assert response.status_code == 302, response.text
    assert deliver_pending().sent == 1  # the server refuses lines over 998 octets
    [message] = smtp.mailbox
    assert paragraph in message.get_body(preferencelist=("plain",)).get_content()
    assert f"<p>{paragraph}</p>" in message.get_body(preferencelist=("html",)).get_content()

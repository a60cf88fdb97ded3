"""The organizer's attendee list: counts, filters, search and pages."""

from datetime import UTC, datetime

from app.extensions import db
from app.rsvps.attendee_list import AttendeeFilters, ListViewer, attendees_query
from app.rsvps.models import Rsvp, RsvpStatus


def names(event, **filters) -> list[str]:
    return [r.name for r in db.session.scalars(attendees_query(event, AttendeeFilters(**filters)))]


def check_in(rsvp: Rsvp) -> None:
    rsvp.checked_in_at = datetime.now(UTC)
    db.session.commit()


def test_the_page_shows_counts_and_every_column(client, organizer, make_event, answer_rsvp):
    event = make_event(capacity=2, guest_limit=2, title_en="Border Forum")
    ana = answer_rsvp(
        event,
        name="Ana López",
        organization="ITJ",
        job_title="Directora",
        guests=1,
        needs="Silla de ruedas",
        share_with_host=True,
    )
    answer_rsvp(event, name="Bob Waiting", organization="SANDAG")
    answer_rsvp(event, name="Carla No", attending=False)
    check_in(ana)

    page = client.get(f"/organizer/events/{event.slug}/attendees")
    assert page.status_code == 200
    text = page.text
    assert "Border Forum" in text
    for shown in ("Ana López", "ITJ", "Directora", "Silla de ruedas", "Bob Waiting", "Carla No"):
        assert shown in text
    assert "Waitlisted" in text and "Not attending" in text
    counts = text.split('class="attendee-counts"', 1)[1].split("</dl>", 1)[0]
    assert "<dt>Attending</dt><dd>1</dd>" in counts
    assert "<dt>Guests</dt><dd>1</dd>" in counts
    assert "<dt>Waitlisted</dt><dd>1</dd>" in counts
    assert "<dt>Checked in</dt><dd>1</dd>" in counts
    assert "3 RSVPs match." in text


def test_filters_by_status_and_arrival(app, make_event, answer_rsvp):
    event = make_event(capacity=1)
    first = answer_rsvp(event, name="First")
    answer_rsvp(event, name="Second")  # waitlisted
    answer_rsvp(event, name="Third", attending=False)
    answer_rsvp(make_event(), name="Other event")
    check_in(first)

    assert names(event) == ["First", "Second", "Third"]
    assert names(event, status=RsvpStatus.WAITLISTED) == ["Second"]
    assert names(event, status=RsvpStatus.DECLINED) == ["Third"]
    assert names(event, checked_in=True) == ["First"]
    assert names(event, checked_in=False) == ["Second", "Third"]
    assert names(event, status=RsvpStatus.CONFIRMED, checked_in=False) == []


def test_search_ignores_case_and_accents(app, make_event, answer_rsvp):
    event = make_event()
    answer_rsvp(event, name="Ángel Núñez", organization="Cámara de Comercio")
    answer_rsvp(event, name="Ana López", organization="ITJ", email="ana.lopez@itj.mx")
    answer_rsvp(event, name="Bob Smith", organization="SANDAG")

    assert names(event, search="ángel") == ["Ángel Núñez"]
    assert names(event, search="NÚÑEZ") == ["Ángel Núñez"]
    assert names(event, search="cámara") == ["Ángel Núñez"]
    assert names(event, search="lópez") == ["Ana López"]
    assert names(event, search="lopez") == ["Ana López"]
    assert names(event, search="nunez") == ["Ángel Núñez"]  # typed without accents at the door
    assert names(event, search="ANGEL NUNEZ CAMARA") == ["Ángel Núñez"]
    assert names(event, search="ITJ.MX") == ["Ana López"]
    assert names(event, search="sandag") == ["Bob Smith"]
    assert names(event, search="ana itj") == ["Ana López"]  # every word, in any field
    assert names(event, search="ana sandag") == []


def test_search_takes_wildcards_literally(app, make_event, answer_rsvp):
    event = make_event()
    answer_rsvp(event, name="Ana", organization="100% Local")
    answer_rsvp(event, name="Bob", organization="Bordo_Norte")
    answer_rsvp(event, name="Carla", organization="Other")
    assert names(event, search="%") == ["Ana"]
    assert names(event, search="_") == ["Bob"]


def test_the_page_filters_from_the_query_string_and_links_exports_with_them(
    client, organizer, make_event, answer_rsvp
):
    event = make_event(capacity=1)
    answer_rsvp(event, name="Confirmed Person")
    answer_rsvp(event, name="Waiting Person")
    page = client.get(f"/organizer/events/{event.slug}/attendees?status=waitlisted&q=person")
    assert "Waiting Person" in page.text and "Confirmed Person" not in page.text
    assert '<option selected value="waitlisted">' in page.text
    assert f"/organizer/events/{event.slug}/attendees.csv?q=person&amp;status=waitlisted" in (
        page.text
    )
    assert "attendees.xlsx?q=person&amp;status=waitlisted&amp;audience=host" in page.text


def test_unknown_filter_values_are_ignored(client, organizer, make_event, answer_rsvp):
    event = make_event()
    answer_rsvp(event, name="Ana")
    page = client.get(f"/organizer/events/{event.slug}/attendees?status=bogus&checked_in=maybe")
    assert page.status_code == 200
    assert "Ana" in page.text


def test_long_lists_are_paged(client, organizer, make_event):
    event = make_event()
    db.session.add_all(
        Rsvp(
            event=event,
            status=RsvpStatus.CONFIRMED,
            name=f"Person {n:03d}",
            email=f"p{n}@example.com",
            email_key=f"p{n}@example.com",
            organization="X",
        )
        for n in range(105)
    )
    db.session.commit()
    first = client.get(f"/organizer/events/{event.slug}/attendees")
    assert "Person 000" in first.text and "Person 100" not in first.text
    assert "Page 1 of 2" in first.text
    second = client.get(f"/organizer/events/{event.slug}/attendees?page=2")
    assert "Person 100" in second.text and "Person 000" not in second.text


def test_host_audience_keeps_only_consenting_attendees(app, make_event, answer_rsvp):
    event = make_event(capacity=1)
    answer_rsvp(event, name="Shares", share_with_host=True)
    answer_rsvp(event, name="Private")
    answer_rsvp(event, name="Waitlisted sharer", share_with_host=True)
    answer_rsvp(event, name="Declined sharer", attending=False, share_with_host=True)
    assert names(event, audience=ListViewer.HOST) == ["Shares", "Waitlisted sharer"]


def test_a_hosts_search_reads_names_and_organizations_never_addresses(app, make_event, answer_rsvp):
    """A host sees no addresses, so a search by address must not confirm whose one it is."""
    event = make_event(capacity=5)
    answer_rsvp(event, name="Diana Directora", email="diana@board.example", share_with_host=True)
    host = ListViewer.HOST
    assert names(event, audience=host, search="diana@board.example") == []
    assert names(event, audience=host, search="board.example") == []
    assert names(event, audience=host, search="DIANA directora") == ["Diana Directora"]
    assert names(event, audience=host, search="itj") == ["Diana Directora"]  # organization
    # Organizers, who see addresses, still find people by them.
    assert names(event, search="diana@board.example") == ["Diana Directora"]


def test_an_unknown_event_is_404(client, organizer):
    assert client.get("/organizer/events/nope/attendees").status_code == 404
    assert client.get("/organizer/events/nope/attendees.csv").status_code == 404


def test_the_dashboard_links_to_attendees_and_check_in(client, organizer, make_event):
    event = make_event()
    page = client.get("/organizer/")
    assert f"/organizer/events/{event.slug}/attendees" in page.text
    assert f"/organizer/events/{event.slug}/checkin" in page.text

"""The audit log: organizers' changes, check-ins and exports, readable per event."""

import threading
import time
from datetime import UTC, datetime

from app.audit import services as audit
from app.audit.models import AuditEntry
from app.events.models import EventKind, EventStatus, ItineraryStop
from app.extensions import db
from app.rsvps.models import Rsvp


def entries(event=None) -> list[AuditEntry]:
    query = db.select(AuditEntry).order_by(AuditEntry.id)
    if event is not None:
        query = query.where(AuditEntry.event_id == event.id)
    return list(db.session.scalars(query))


def test_an_organizers_edit_is_logged_field_by_field(client, organizer, make_event):
    from tests.event_forms import edit_data

    event = make_event(capacity=10, title_en="Old title")
    data = edit_data(event, title_en="New title", capacity="20")
    assert client.post(f"/organizer/events/{event.slug}/edit", data=data).status_code == 302
    [entry] = entries(event)
    assert (entry.action, entry.subject, entry.subject_id) == ("updated", "event", event.id)
    assert entry.user_email == organizer.email and entry.user_id == organizer.id
    assert entry.changes["title_en"] == ["Old title", "New title"]
    assert entry.changes["capacity"] == [10, 20]
    assert "token_nonce" not in entry.changes and "updated_at" not in entry.changes


def test_check_ins_and_walk_ins_are_logged(client, organizer, make_event, answer_rsvp):
    event = make_event(capacity=10)
    rsvp = answer_rsvp(event, name="Ana López")
    client.post(f"/organizer/events/{event.slug}/checkin/{rsvp.id}")
    client.post(f"/organizer/events/{event.slug}/checkin/{rsvp.id}/undo")
    client.post(f"/organizer/events/{event.slug}/checkin/walk-in", data={"name": "Luis Pérez"})
    logged = entries(event)
    assert [(e.action, e.subject) for e in logged] == [
        ("checked_in", "rsvp"),
        ("updated", "rsvp"),
        ("created", "rsvp"),
    ]
    assert logged[0].label.startswith("Ana López") and logged[0].subject_id == rsvp.id
    assert logged[1].changes["checked_in_at"][1] is None  # the undo
    walk_in = db.session.scalar(db.select(Rsvp).where(Rsvp.name == "Luis Pérez"))
    assert logged[2].subject_id == walk_in.id


def test_exports_and_messages_are_logged(client, organizer, make_event, answer_rsvp):
    event = make_event(capacity=10)
    answer_rsvp(event)
    client.get(f"/organizer/events/{event.slug}/attendees.csv?audience=host")
    client.get(f"/organizer/events/{event.slug}/attendees.xlsx")
    client.get(f"/organizer/events/{event.slug}/door-list")
    client.post(
        f"/organizer/events/{event.slug}/message",
        data={"subject": "Parking", "body": "Use the north gate.", "audience": "confirmed"},
    )
    logged = entries(event)
    assert [(e.action, e.label) for e in logged] == [
        ("exported", "CSV"),
        ("exported", "Excel"),
        ("exported", "door list"),
        ("messaged", "Parking"),
    ]
    assert logged[0].changes["audience"] == [None, "host"]
    assert logged[3].changes["recipients"] == [None, 1]


def test_attendees_own_answers_are_not_organizer_changes(client, make_event):
    event = make_event(capacity=10)
    client.post(
        f"/events/{event.slug}/rsvp",
        data={
            "name": "Ana",
            "email": "ana@example.com",
            "organization": "ITJ",
            "response": "yes",
            "language": "en",
        },
    )
    assert entries() == []


def test_the_log_page_shows_one_events_entries_to_organizers_only(
    app, client, organizer, make_event
):
    from tests.event_forms import edit_data

    event, other = make_event(title_en="Logged"), make_event(title_en="Other")
    for item, title in [(event, "Logged twice"), (other, "Other twice")]:
        client.post(
            f"/organizer/events/{item.slug}/edit",
            data=edit_data(item, title_en=title),
        )
    page = client.get(f"/organizer/events/{event.slug}/log")
    assert page.status_code == 200
    assert organizer.email in page.text
    assert "Logged twice" in page.text and "Other twice" not in page.text
    anonymous = app.test_client().get(f"/organizer/events/{event.slug}/log")
    assert anonymous.status_code == 302


# Nothing logged twice, nothing missed: each operation logs its own change, for its actor.


def test_a_check_in_by_search_and_one_by_qr_code_log_one_entry_each(
    client, organizer, make_event, answer_rsvp
):
    from app.tokens import Purpose, make_token

    event = make_event(capacity=1)
    seated = answer_rsvp(event, name="Ana López")
    waiting = answer_rsvp(event, name="Luis Pérez")
    client.post(f"/organizer/events/{event.slug}/checkin/{seated.id}")
    client.post(f"/organizer/checkin/{make_token(waiting, Purpose.CHECKIN)}")
    client.post(f"/organizer/events/{event.slug}/checkin/{seated.id}")  # a second tap
    logged = entries(event)
    assert [(e.action, e.subject_id, e.user_id) for e in logged] == [
        ("checked_in", seated.id, organizer.id),
        ("checked_in", waiting.id, organizer.id),
    ]
    assert list(logged[0].changes) == ["checked_in_at"]
    # Admitting someone from the waitlist shows as part of their arrival, not a second entry.
    assert logged[1].changes["status"] == ["waitlisted", "confirmed"]
    assert logged[1].changes["waitlisted_at"][1] is None


def test_a_walk_in_with_an_answered_address_logs_one_arrival(
    client, organizer, make_event, answer_rsvp
):
    event = make_event()
    declined = answer_rsvp(event, name="Ana", email="ana@example.com", attending=False)
    walk_in = {"name": "Ana L.", "email": "ANA@example.com", "language": "en"}
    client.post(f"/organizer/events/{event.slug}/checkin/walk-in", data=walk_in)
    client.post(f"/organizer/events/{event.slug}/checkin/walk-in", data=walk_in)  # again
    [entry] = entries(event)
    assert (entry.action, entry.subject_id) == ("checked_in", declined.id)
    assert entry.changes["status"] == ["declined", "confirmed"]


def test_an_organizers_change_of_an_answer_logs_one_entry_with_the_changed_fields(
    client, organizer, make_event, answer_rsvp
):
    event = make_event(guest_limit=3)
    rsvp = answer_rsvp(event, name="Ana López", guests=1, language="en")
    response = client.post(
        f"/organizer/events/{event.slug}/attendees/{rsvp.id}",
        data={"response": "yes", "guests": "3", "language": "es", "needs": "Ramp"},
    )
    assert response.status_code == 302
    [entry] = entries(event)
    assert (entry.action, entry.subject, entry.subject_id) == ("updated", "rsvp", rsvp.id)
    assert entry.user_id == organizer.id
    assert entry.changes == {"guests": [1, 3], "language": ["en", "es"], "needs": [None, "Ramp"]}


def test_an_edit_that_types_a_new_venue_logs_every_field_in_one_entry(
    client, organizer, make_event
):
    from tests.event_forms import edit_data

    event = make_event(title_en="Old title")
    old_venue = event.venue_id
    data = edit_data(
        event,
        title_en="New title",
        venue="",
        new_venue_name="Tijuana Trade Center",
        new_venue_city="Tijuana",
        new_venue_country="MX",
    )
    assert client.post(f"/organizer/events/{event.slug}/edit", data=data).status_code == 302
    [entry] = entries(event)  # the new venue's flush does not split or lose the edit
    assert entry.changes["title_en"] == ["Old title", "New title"]
    assert entry.changes["venue_id"] == [old_venue, event.venue_id]


def test_publishing_logs_the_event_and_each_seat_it_gives_once(
    client, organizer, make_event, answer_rsvp
):
    event = make_event(capacity=1)
    answer_rsvp(event)
    waiting = answer_rsvp(event)
    event.status, event.capacity = EventStatus.DRAFT, 2
    db.session.commit()
    client.post(f"/organizer/events/{event.slug}/publish")
    logged = entries(event)
    assert [(e.action, e.subject, e.subject_id) for e in logged] == [
        ("updated", "event", event.id),
        ("updated", "rsvp", waiting.id),
    ]
    assert logged[0].changes == {"status": ["draft", "published"]}
    assert logged[1].changes["status"] == ["waitlisted", "confirmed"]


def test_itinerary_changes_are_logged_stop_by_stop(app, make_event, make_user):
    from app.events import itinerary
    from app.events.itinerary import StopDetails

    organizer = make_user()
    event = make_event(kind=EventKind.VISIT)
    now = datetime.now(UTC)

    def add(title: str) -> ItineraryStop:
        details = StopDetails(title, event.starts_at, event.timezone)
        itinerary.add_stop(event, details, now, actor=organizer)
        return event.stops[-1]

    port, _, lunch = add("Port"), add("Plant"), add("Lunch")
    itinerary.move_stop(lunch, -1, now, actor=organizer)
    itinerary.remove_stop(port, now, actor=organizer)
    db.session.commit()
    logged = [(e.action, e.label, e.changes.get("position")) for e in entries(event)]
    assert logged == [
        ("created", "Port", [None, 0]),
        ("created", "Plant", [None, 1]),
        ("created", "Lunch", [None, 2]),
        ("updated", "Lunch", [2, 1]),
        ("updated", "Plant", [1, 2]),
        ("deleted", "Port", None),
        ("updated", "Lunch", [1, 0]),
        ("updated", "Plant", [2, 1]),
    ]
    assert {e.user_id for e in entries(event)} == {organizer.id}


def test_invitations_log_who_was_invited_resent_and_revoked(app, board_meeting, make_user):
    from app.invitations import services as invitations
    from app.invitations.parsing import parse_invitee_lines

    organizer = make_user()
    event = board_meeting()
    now = datetime.now(UTC)
    lines = parse_invitee_lines("Ana <ana@example.com>\nbob@example.com\nANA@example.com")
    report = invitations.invite(event, lines, "en", now, actor=organizer)
    ana, bob = (line.invitation for line in report.lines[:2])
    invitations.invite(event, parse_invitee_lines("bob@example.com"), "en", now, actor=organizer)
    invitations.revoke(bob, now, actor=organizer)
    invitations.revoke(bob, now, actor=organizer)  # already revoked: nothing changes
    invitations.resend(ana, "es", now, actor=organizer)
    db.session.commit()
    logged = [(e.action, e.subject, e.subject_id) for e in entries(event)]
    assert logged == [
        ("created", "invitation", ana.id),
        ("created", "invitation", bob.id),
        ("updated", "invitation", bob.id),
        ("updated", "invitation", ana.id),
    ]
    revoked, resent = entries(event)[2:]
    assert list(revoked.changes) == ["revoked_at"]
    assert resent.changes["send_count"] == [1, 2] and resent.changes["language"] == ["en", "es"]


def test_services_called_without_an_actor_log_nothing(app, make_event, answer_rsvp, make_user):
    """The CLI, the demo seed and tests act for nobody: the same operations, no log entries."""
    from app.events import itinerary, notifications
    from app.events import services as events
    from app.events.itinerary import StopDetails
    from app.rsvps import checkin
    from app.rsvps import services as rsvps

    now = datetime.now(UTC)
    event = make_event(capacity=1, guest_limit=2)
    seated = answer_rsvp(event)
    waiting = answer_rsvp(event)
    rsvps.change_answer(
        seated, now, attending=False, guests=0, language="en", needs=None, by_organizer=True
    )
    checkin.check_in(waiting, now)
    checkin.undo_check_in(waiting)
    checkin.add_walk_in(event, now, name="Walter")
    checkin.add_walk_in(event, now, name="Ana", email=seated.email)
    notifications.queue_organizer_message(
        event, "Parking", "North gate.", notifications.MessageRecipients.CONFIRMED
    )
    events.unpublish_event(event)
    events.publish_event(event, now)
    copy = events.duplicate_event(event)
    copy.kind = EventKind.VISIT
    itinerary.add_stop(copy, StopDetails("Port", copy.starts_at, copy.timezone), now)
    itinerary.remove_stop(copy.stops[0], now)
    events.cancel_event(event, now)
    audit.log_now(None, "exported", "attendees", event, label="CSV")
    db.session.commit()
    assert entries() == []
    assert db.session.get(Rsvp, waiting.id).checked_in_at is None  # the work was still done


def test_two_volunteers_scanning_one_code_at_once_record_one_arrival(
    app, make_event, answer_rsvp, make_user, sign_in, monkeypatch
):
    """Each check-in waits for the event lock and re-reads the RSVP, so the second finds the
    arrival the first recorded; slowing down the admission widens the race it would lose."""
    from app.rsvps import checkin
    from app.tokens import Purpose, make_token

    admit = checkin.services.admit

    def slow_admit(rsvp, now):
        time.sleep(0.2)
        admit(rsvp, now)

    monkeypatch.setattr(checkin.services, "admit", slow_admit)
    organizers = [make_user(), make_user()]
    event = make_event(owners=organizers)  # both manage the event: its owners
    rsvp = answer_rsvp(event, name="Ana López")
    path = f"/organizer/checkin/{make_token(rsvp, Purpose.CHECKIN)}"
    volunteers = []
    for user in organizers:
        volunteer = app.test_client()
        sign_in(user, volunteer)
        volunteers.append(volunteer)
    barrier = threading.Barrier(len(volunteers))
    statuses = []

    def scan(volunteer):
        barrier.wait()
        statuses.append(volunteer.post(path).status_code)

    threads = [threading.Thread(target=scan, args=(v,)) for v in volunteers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [302, 302]
    db.session.expire_all()
    [entry] = entries(event)
    arrived = db.session.get(Rsvp, rsvp.id).checked_in_at
    assert entry.action == "checked_in"
    assert datetime.fromisoformat(entry.changes["checked_in_at"][1]) == arrived

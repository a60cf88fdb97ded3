"""The audit log: organizers' changes, check-ins and exports, readable per event."""

from app.audit.models import AuditEntry
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

"""Organizers change an attendee's answer for them: after a phone call, even after RSVPs close."""

from datetime import UTC, datetime, timedelta

from app.audit.models import AuditEntry
from app.extensions import db
from app.mail.models import OutboxMessage
from app.rsvps.models import RsvpStatus


def page_of(event, rsvp) -> str:
    return f"/organizer/events/{event.slug}/attendees/{rsvp.id}"


def queued_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).filter_by(recipient_email=address)))


def test_an_organizer_declines_for_an_attendee_and_the_waitlist_moves_up(
    client, organizer, make_event, answer_rsvp
):
    event = make_event(capacity=1, guest_limit=2, title_en="Board meeting")
    seated = answer_rsvp(event, name="Ana López", email="ana@example.com")
    waiting = answer_rsvp(event, email="luis@example.com")
    assert waiting.status is RsvpStatus.WAITLISTED

    listing = client.get(f"/organizer/events/{event.slug}/attendees").text
    assert f'href="{page_of(event, seated)}"' in listing
    page = client.get(page_of(event, seated))
    assert page.status_code == 200 and "ana@example.com" in page.text

    response = client.post(
        page_of(event, seated),
        data={"response": "no", "guests": "0", "language": "en", "notify": "y"},
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/attendees#rsvp-{seated.id}")
    assert seated.status is RsvpStatus.DECLINED
    assert waiting.status is RsvpStatus.CONFIRMED
    assert [m.kind for m in queued_to("ana@example.com")][-1] == "rsvp_declined"
    assert [m.kind for m in queued_to("luis@example.com")][-1] == "rsvp_promoted"
    changes = {
        entry.subject_id: (entry.user_id, entry.changes["status"])
        for entry in db.session.scalars(db.select(AuditEntry).filter_by(subject="rsvp"))
    }
    assert changes[seated.id] == (organizer.id, ["confirmed", "declined"])
    assert changes[waiting.id] == (organizer.id, ["waitlisted", "confirmed"])


def test_organizers_may_answer_after_the_deadline_and_choose_not_to_email(
    client, organizer, make_event, answer_rsvp
):
    event = make_event(capacity=10, guest_limit=2)
    rsvp = answer_rsvp(event, email="ana@example.com")
    event.rsvp_deadline = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()
    before = len(queued_to("ana@example.com"))

    response = client.post(
        page_of(event, rsvp), data={"response": "yes", "guests": "2", "language": "es"}
    )
    assert response.status_code == 302
    assert rsvp.guests == 2 and rsvp.language == "es"
    assert len(queued_to("ana@example.com")) == before  # the box was left unticked
    # The attendee's own link still refuses changes after the deadline.
    from app.tokens import Purpose, make_token

    late = client.post(
        f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}", data={"response": "no", "language": "en"}
    )
    assert late.status_code == 409


def test_seats_still_follow_capacity_and_cancelled_events_take_no_changes(
    client, organizer, make_event, answer_rsvp
):
    event = make_event(capacity=2, guest_limit=3)
    rsvp = answer_rsvp(event, email="ana@example.com")
    answer_rsvp(event, email="bob@example.com")
    too_many = client.post(
        page_of(event, rsvp), data={"response": "yes", "guests": "3", "language": "en"}
    )
    assert too_many.status_code == 409
    assert "Only 0 more guests fit" in too_many.text
    assert rsvp.guests == 0

    bad = client.post(page_of(event, rsvp), data={"response": "maybe", "language": "en"})
    assert bad.status_code == 422

    from app.events.models import EventStatus

    event.status = EventStatus.CANCELLED
    db.session.commit()
    assert "Change the answer" not in client.get(page_of(event, rsvp)).text
    refused = client.post(page_of(event, rsvp), data={"response": "no", "language": "en"})
    assert refused.status_code == 409 and rsvp.status is RsvpStatus.CONFIRMED


def test_the_page_belongs_to_its_event_and_to_organizers(
    client, make_user, sign_in, make_event, answer_rsvp
):
    event, other = make_event(), make_event()
    rsvp = answer_rsvp(event)
    assert client.get(page_of(event, rsvp)).status_code in (302, 401)  # signed out
    sign_in(make_user())
    assert client.get(f"/organizer/events/{other.slug}/attendees/{rsvp.id}").status_code == 404
    assert client.get(f"/organizer/events/{event.slug}/attendees/999999").status_code == 404


def test_no_seat_is_given_away_once_an_event_is_over(client, organizer, make_event, answer_rsvp):
    event = make_event(capacity=1)
    seated = answer_rsvp(event)
    waiting = answer_rsvp(event)
    event.starts_at = datetime.now(UTC) - timedelta(hours=3)
    event.ends_at = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()
    response = client.post(page_of(event, seated), data={"response": "no", "language": "en"})
    assert response.status_code == 302  # a correction after the event (a no-show)
    assert seated.status is RsvpStatus.DECLINED
    assert waiting.status is RsvpStatus.WAITLISTED

"""The RSVP rules, exercised through the service layer without a request."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from app.events.locking import lock_event
from app.events.models import EventStatus
from app.extensions import db
from app.mail.models import OutboxMessage
from app.rsvps import errors, services
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.queries import seats_left, seats_taken, waitlist_position


def now():
    return datetime.now(UTC)


def kinds_sent_to(rsvp):
    return [
        m.kind
        for m in db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.rsvp_id == rsvp.id).order_by("id")
        )
    ]


def test_attending_answer_is_confirmed_while_seats_remain(make_event, answer_rsvp):
    event = make_event(capacity=2)
    rsvp = answer_rsvp(event)
    assert rsvp.status is RsvpStatus.CONFIRMED
    assert seats_left(event) == 1
    assert kinds_sent_to(rsvp) == ["rsvp_confirmed"]


def test_event_without_capacity_confirms_everyone(make_event, answer_rsvp):
    event = make_event(capacity=None, guest_limit=3)
    rsvps = [answer_rsvp(event, guests=3) for _ in range(10)]
    assert {r.status for r in rsvps} == {RsvpStatus.CONFIRMED}
    assert seats_left(event) is None
    assert seats_taken(event) == 40


def test_capacity_counts_guests(make_event, answer_rsvp):
    event = make_event(capacity=3, guest_limit=2)
    first = answer_rsvp(event, guests=2)
    second = answer_rsvp(event)
    assert first.status is RsvpStatus.CONFIRMED
    assert second.status is RsvpStatus.WAITLISTED
    assert seats_taken(event) == 3


def test_full_event_waitlists_in_arrival_order(make_event, answer_rsvp):
    event = make_event(capacity=1)
    answer_rsvp(event)
    first, second = answer_rsvp(event), answer_rsvp(event)
    assert (first.status, second.status) == (RsvpStatus.WAITLISTED, RsvpStatus.WAITLISTED)
    assert (waitlist_position(first), waitlist_position(second)) == (1, 2)
    assert kinds_sent_to(second) == ["rsvp_waitlisted"]


def test_an_answer_that_waited_for_the_lock_joins_the_end_of_the_line(make_event, make_answer):
    """Answers take the event's lock one at a time; one stamped earlier may get it later. It
    must not cut in front of those already told their place in line."""
    event = make_event(capacity=1)
    now = datetime.now(UTC)
    services.submit_answer(event, make_answer(), now)
    first = services.submit_answer(event, make_answer(), now).rsvp
    late = services.submit_answer(event, make_answer(), now - timedelta(seconds=1)).rsvp
    db.session.commit()
    assert first.status is late.status is RsvpStatus.WAITLISTED
    assert (waitlist_position(first), waitlist_position(late)) == (1, 2)
    assert late.waitlisted_at > first.waitlisted_at


def test_cancellation_promotes_the_first_waitlisted_and_emails_them(make_event, answer_rsvp):
    event = make_event(capacity=1)
    seated = answer_rsvp(event)
    first, second = answer_rsvp(event), answer_rsvp(event)

    services.cancel_rsvp(seated, now())
    db.session.commit()

    assert seated.status is RsvpStatus.CANCELLED
    assert first.status is RsvpStatus.CONFIRMED
    assert second.status is RsvpStatus.WAITLISTED
    assert waitlist_position(second) == 1
    assert kinds_sent_to(first) == ["rsvp_waitlisted", "rsvp_promoted"]
    assert kinds_sent_to(seated) == ["rsvp_confirmed", "rsvp_cancelled"]


def test_a_party_too_large_keeps_its_place_while_a_smaller_one_is_seated(make_event, answer_rsvp):
    event = make_event(capacity=3, guest_limit=2)
    leaving = answer_rsvp(event)
    answer_rsvp(event, guests=1)
    party = answer_rsvp(event, guests=2)
    single = answer_rsvp(event)

    services.cancel_rsvp(leaving, now())  # frees one seat: too few for the party of three
    db.session.commit()

    assert party.status is RsvpStatus.WAITLISTED
    assert waitlist_position(party) == 1
    assert single.status is RsvpStatus.CONFIRMED
    assert seats_taken(event) == 3


def test_fewer_guests_frees_seats_for_the_waitlist(make_event, answer_rsvp):
    event = make_event(capacity=3, guest_limit=2)
    host = answer_rsvp(event, guests=2)
    waiting = answer_rsvp(event)
    services.change_answer(host, now(), attending=True, guests=1, language="en", needs=None)
    db.session.commit()
    assert waiting.status is RsvpStatus.CONFIRMED
    assert seats_taken(event) == 3


def test_capacity_increase_promotes_waitlisted(make_event, answer_rsvp):
    event = make_event(capacity=1)
    answer_rsvp(event)
    waiting = answer_rsvp(event)
    event.capacity = 2
    promoted = services.fill_free_seats(lock_event(event), now())
    db.session.commit()
    assert promoted == [waiting]
    assert waiting.status is RsvpStatus.CONFIRMED
    assert kinds_sent_to(waiting)[-1] == "rsvp_promoted"


def test_waitlisted_attendee_reducing_guests_is_seated_with_one_email(make_event, answer_rsvp):
    event = make_event(capacity=2, guest_limit=2)
    answer_rsvp(event)
    waiting = answer_rsvp(event, guests=2, join_waitlist=True)
    assert waiting.status is RsvpStatus.WAITLISTED
    outcome = services.change_answer(
        waiting, now(), attending=True, guests=0, language="en", needs=None
    )
    db.session.commit()
    assert waiting.status is RsvpStatus.CONFIRMED
    assert outcome.promoted == []
    assert kinds_sent_to(waiting) == ["rsvp_waitlisted", "rsvp_confirmed"]


def test_waitlisted_attendee_changing_guests_keeps_their_place(make_event, answer_rsvp):
    event = make_event(capacity=1, guest_limit=2)
    answer_rsvp(event)
    first, second = answer_rsvp(event, guests=1), answer_rsvp(event)
    services.change_answer(first, now(), attending=True, guests=2, language="en", needs=None)
    db.session.commit()
    assert waitlist_position(first) == 1
    assert waitlist_position(second) == 2


def test_answering_again_with_a_known_address_changes_nothing_and_emails_the_owner(
    make_event, answer_rsvp, make_answer
):
    """The takeover from the trust issue: a stranger posts the owner's address in other case."""
    event = make_event(capacity=1)
    ana = answer_rsvp(event, email="ana@example.org", name="Ana", organization="ITJ")
    waiting = answer_rsvp(event)
    forged = make_answer(
        email="ANA@example.org", name="Mallory", organization="Evil", attending=False
    )
    outcome = services.submit_answer(event, forged, now())
    db.session.commit()
    assert outcome.result is services.Result.LINK_SENT
    assert outcome.rsvp.id == ana.id
    db.session.refresh(ana)
    assert (ana.name, ana.organization, ana.email) == ("Ana", "ITJ", "ana@example.org")
    assert ana.status is RsvpStatus.CONFIRMED
    assert waiting.status is RsvpStatus.WAITLISTED  # Ana's seat did not move
    assert kinds_sent_to(ana) == ["rsvp_confirmed", "rsvp_already_answered"]
    reminder = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.kind == "rsvp_already_answered")
    ).one()
    assert reminder.recipient_email == "ana@example.org"  # the owner's, not the form's
    assert "Mallory" not in reminder.body_text + reminder.subject
    assert db.session.scalar(db.select(db.func.count()).select_from(Rsvp)) == 2


def test_the_owner_is_emailed_their_link_once_however_often_the_address_is_posted(
    make_event, answer_rsvp, make_answer
):
    event = make_event(capacity=5)
    ana = answer_rsvp(event, email="ana@example.org")
    for _ in range(5):
        services.submit_answer(event, make_answer(email="ana@example.org"), now())
        services.resend_link(event, "Ana@Example.org", now())
    db.session.commit()
    assert kinds_sent_to(ana) == ["rsvp_confirmed", "rsvp_already_answered"]
    later = now() + services.LINK_EMAIL_INTERVAL + timedelta(seconds=1)
    services.resend_link(event, "ana@example.org", later)
    db.session.commit()
    assert kinds_sent_to(ana)[-1] == "rsvp_link_requested"


def test_asking_for_the_link_of_an_address_without_an_answer_sends_nothing(make_event, answer_rsvp):
    event, other = make_event(capacity=5), make_event(capacity=5)
    answer_rsvp(other, email="ana@example.org")  # an answer to another event is not this one
    services.resend_link(event, "ana@example.org", now())
    db.session.commit()
    assert (
        db.session.scalars(
            db.select(OutboxMessage.kind).where(OutboxMessage.kind.like("%link%"))
        ).all()
        == []
    )


def test_declining_through_the_manage_link_frees_the_seat_and_withdraws_the_invite(
    make_event, answer_rsvp
):
    event = make_event(capacity=1)
    rsvp = answer_rsvp(event, email="x@example.com")
    waiting = answer_rsvp(event)
    services.change_answer(rsvp, now(), attending=False, guests=0, language="en", needs=None)
    db.session.commit()
    assert rsvp.status is RsvpStatus.DECLINED
    assert waiting.status is RsvpStatus.CONFIRMED
    declined = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.kind == "rsvp_declined")
    ).one()
    assert declined.ics_method == "CANCEL"


def test_a_party_larger_than_the_seats_left_is_told_how_many_remain(make_event, make_answer):
    event = make_event(capacity=3, guest_limit=3)
    services.submit_answer(event, make_answer(guests=1), now())
    db.session.commit()
    with pytest.raises(errors.PartyTooLarge) as raised:
        services.submit_answer(event, make_answer(guests=2), now())
    db.session.rollback()
    assert (raised.value.seats_left, raised.value.seats_wanted) == (1, 3)
    # It may come with fewer guests, or choose to wait together.
    fewer = services.submit_answer(event, make_answer(guests=0), now()).rsvp
    assert fewer.status is RsvpStatus.CONFIRMED
    services.submit_answer(event, make_answer(guests=0), now())  # now it is full
    waiting = services.submit_answer(event, make_answer(guests=2), now()).rsvp
    assert waiting.status is RsvpStatus.WAITLISTED  # a full event waitlists without asking


def test_a_party_too_large_is_asked_whether_or_not_its_address_has_answered(
    make_event, answer_rsvp, make_answer
):
    """The refusal comes before the address is looked up: it reveals nothing about it."""
    event = make_event(capacity=2, guest_limit=3)
    answer_rsvp(event, email="ana@example.org")
    for email in ("ana@example.org", "nobody@example.org"):
        with pytest.raises(errors.PartyTooLarge):
            services.submit_answer(event, make_answer(email=email, guests=3), now())
        db.session.rollback()


def test_confirmed_attendee_cannot_take_more_guests_than_seats_left(make_event, answer_rsvp):
    event = make_event(capacity=2, guest_limit=3)
    rsvp = answer_rsvp(event)
    with pytest.raises(errors.NotEnoughSeats) as raised:
        services.change_answer(rsvp, now(), attending=True, guests=3, language="en", needs=None)
    db.session.rollback()
    assert raised.value.seats_left == 1
    db.session.refresh(rsvp)
    assert (rsvp.status, rsvp.guests) == (RsvpStatus.CONFIRMED, 0)


def test_guests_over_the_events_limit_are_refused(make_event, make_answer):
    event = make_event(capacity=10, guest_limit=1)
    with pytest.raises(errors.TooManyGuests):
        services.submit_answer(event, make_answer(guests=2), now())


def test_guests_are_refused_where_the_event_allows_none(make_event, make_answer):
    event = make_event(capacity=10, guest_limit=0)
    with pytest.raises(errors.TooManyGuests):
        services.submit_answer(event, make_answer(guests=1), now())


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": EventStatus.CANCELLED}, errors.ClosedReason.CANCELLED),
        ({"status": EventStatus.DRAFT}, errors.ClosedReason.NOT_PUBLISHED),
        ({"days": -1}, errors.ClosedReason.STARTED),
        (
            {"rsvp_deadline": datetime.now(UTC) - timedelta(minutes=1)},
            errors.ClosedReason.DEADLINE_PASSED,
        ),
    ],
)
def test_closed_events_refuse_answers(make_event, make_answer, fields, reason):
    event = make_event(**fields)
    assert services.closed_reason(event, now()) is reason
    with pytest.raises(errors.RsvpsClosed) as raised:
        services.submit_answer(event, make_answer(), now())
    assert raised.value.reason is reason


def test_open_until_the_deadline(make_event):
    deadline = datetime.now(UTC) + timedelta(days=1)
    event = make_event(days=5, rsvp_deadline=deadline)
    assert services.closed_reason(event, deadline - timedelta(seconds=1)) is None
    assert services.closed_reason(event, deadline) is errors.ClosedReason.DEADLINE_PASSED


def test_cancelling_is_refused_once_rsvps_close(make_event, answer_rsvp):
    event = make_event(capacity=5)
    rsvp = answer_rsvp(event)
    event.status = EventStatus.CANCELLED
    db.session.commit()
    with pytest.raises(errors.RsvpsClosed):
        services.cancel_rsvp(rsvp, now())


def test_database_refuses_a_second_rsvp_for_the_same_person(make_event, answer_rsvp):
    event = make_event()
    rsvp = answer_rsvp(event, email="dup@example.com")
    db.session.add(
        Rsvp(
            event=event,
            status=RsvpStatus.DECLINED,
            name="Dup",
            email="DUP@example.com",
            email_key=rsvp.email_key,
            organization="X",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_database_refuses_negative_guests(make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event())
    rsvp.guests = -1
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_rsvp_and_its_email_are_written_together(make_event, make_answer):
    event = make_event(capacity=5)
    services.submit_answer(event, make_answer(), now())
    db.session.rollback()  # the caller's transaction fails after the service ran
    assert db.session.scalar(db.select(db.func.count()).select_from(Rsvp)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0


def test_answering_does_not_count_as_a_change_to_the_event(make_event, answer_rsvp):
    """Calendar feeds use the event's updated_at: an RSVP must not make every feed stale."""
    event = make_event(capacity=5)
    before = event.updated_at
    answer_rsvp(event)
    db.session.refresh(event)
    assert event.updated_at == before


def test_a_decision_made_after_waiting_for_the_lock_reads_the_answer_afresh(
    make_event, answer_rsvp
):
    # Y is loaded while waitlisted; before Y's own change takes the lock, another writer seats
    # Y. Deciding on the stale "waitlisted" would seat Y's extra guests without counting them.
    event = make_event(capacity=2, guest_limit=3)
    first = answer_rsvp(event, email="first@example.com", guests=1)
    late = answer_rsvp(event, email="late@example.com")
    assert late.status is RsvpStatus.WAITLISTED
    with db.engine.begin() as other:  # another request, committed meanwhile
        other.execute(
            db.update(Rsvp).where(Rsvp.id == first.id).values(status=RsvpStatus.CANCELLED)
        )
        other.execute(
            db.update(Rsvp)
            .where(Rsvp.id == late.id)
            .values(status=RsvpStatus.CONFIRMED, waitlisted_at=None)
        )
    assert late.status is RsvpStatus.WAITLISTED  # what this session still believes

    with pytest.raises(errors.NotEnoughSeats):
        services.answer_from_calendar(event, "ACCEPTED", now(), rsvp=late, guests=3)
    db.session.rollback()
    assert seats_taken(event) <= event.capacity

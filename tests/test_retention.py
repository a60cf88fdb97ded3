"""Forgetting on schedule: ID details SECURITY_DATA_DAYS after an event, everything else that
names an attendee RSVP_RETENTION_DAYS after it, with the event's counts intact; and the mail
worker's daily run of it."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.audit.models import AuditEntry
from app.events.models import EventStatus
from app.extensions import db
from app.inbound.models import InboundMessage, InboundSource
from app.invitations.models import Invitation
from app.invitations.queries import invitee_rows
from app.mail import worker
from app.mail.models import OutboxMessage, RejectedAddress
from app.privacy.retention import ANONYMIZED_NAME, purge_personal_data
from app.rsvps import checkin
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.queries import seats_taken
from app.security_lists.models import SecurityDetails
from app.tokens import Purpose, find_by_token, make_token

PASSPORT = {"id_type": "passport", "id_number": "G12345678", "birth_date": "1980-05-01"}


def give_details(rsvp: Rsvp, values: dict = PASSPORT) -> None:
    db.session.add(SecurityDetails(rsvp_id=rsvp.id, values=dict(values), notice_version=1))
    db.session.commit()


def inbound_for(rsvp: Rsvp, received_at: datetime | None = None) -> InboundMessage:
    message = InboundMessage(
        source=InboundSource.SMTP,
        envelope_from=rsvp.email,
        recipient="events+1.abc@convoca.invalid",
        raw=f"From: {rsvp.email}\r\n\r\nYes, {rsvp.name} is coming.".encode(),
        event_id=rsvp.event_id,
        rsvp_id=rsvp.id,
        received_at=received_at or datetime.now(UTC),
    )
    db.session.add(message)
    db.session.commit()
    return message


def days_after(event, days: float) -> datetime:
    return event.ends_at + timedelta(days=days)


def count(model, *conditions) -> int:
    query = db.select(db.func.count()).select_from(model)
    return db.session.scalar(query.where(*conditions) if conditions else query)


def purge(as_of: datetime):
    report = purge_personal_data(as_of)
    db.session.commit()
    db.session.expire_all()
    return report


def test_id_details_are_deleted_a_week_after_the_event(client, make_event, answer_rsvp):
    event = make_event()
    rsvp = answer_rsvp(event)
    give_details(rsvp)
    stored = db.session.execute(text('SELECT "values" FROM security_details')).scalar_one()
    assert "G12345678" not in stored  # ciphertext at rest

    assert purge(days_after(event, 6)).total == 0
    assert count(SecurityDetails) == 1

    report = purge(days_after(event, 8))
    assert report.security_details_deleted == 1
    # Deleted from the table, not hidden: no row, so no ciphertext left to decrypt.
    assert db.session.execute(text("SELECT count(*) FROM security_details")).scalar_one() == 0
    kept = db.session.get(Rsvp, rsvp.id)
    assert kept.name == rsvp.name  # the rest waits for RSVP_RETENTION_DAYS
    download = client.get(f"/rsvp/{make_token(kept, Purpose.MANAGE)}/data.json").json
    assert download["security_details"] is None
    assert "G12345678" not in str(download)


def test_a_cancelled_events_id_details_go_at_the_next_purge(make_event, answer_rsvp):
    event = make_event(days=90)
    give_details(answer_rsvp(event))
    assert purge(datetime.now(UTC)).security_details_deleted == 0
    event.status = EventStatus.CANCELLED
    db.session.commit()
    assert purge(datetime.now(UTC)).security_details_deleted == 1
    assert count(SecurityDetails) == 0


def test_after_retention_attendees_are_anonymized_and_counts_stay(
    app, runner, make_event, answer_rsvp, make_user
):
    organizer = make_user()
    event = make_event(capacity=3, guest_limit=2)
    ana = answer_rsvp(
        event,
        name="Ana López",
        email="ana@example.com",
        phone="+52 664 000 0000",
        job_title="Directora",
        needs="Wheelchair access",
        guests=1,
    )
    ben = answer_rsvp(event, name="Ben Ortiz", email="ben@example.com")
    cruz = answer_rsvp(event, name="Cruz Díaz", email="cruz@example.com", attending=False)
    checkin.check_in(ana, datetime.now(UTC), actor=organizer)  # logged with her name
    db.session.commit()
    inbound_for(ben)
    ana.calendar_comment = "See you there — Ana"
    db.session.commit()
    old_token = make_token(ana, Purpose.MANAGE)
    before = {
        r.id: (r.status, r.guests, r.checked_in_at, r.share_with_host) for r in (ana, ben, cruz)
    }
    taken = seats_taken(event)
    assert count(OutboxMessage, OutboxMessage.rsvp_id == ana.id) > 0

    as_of = days_after(event, 731).date().isoformat()
    result = runner.invoke(args=["purge-personal-data", "--as-of", as_of])
    assert result.exit_code == 0, result.output
    assert "rsvps anonymized: 3" in result.output
    assert "inbound messages deleted: 1" in result.output
    db.session.expire_all()

    for rsvp in (ana, ben, cruz):
        rsvp = db.session.get(Rsvp, rsvp.id)
        assert rsvp.name == ANONYMIZED_NAME
        assert rsvp.email == rsvp.email_key == f"anonymized-{rsvp.id}@anonymized.invalid"
        assert rsvp.organization == ""
        assert (rsvp.job_title, rsvp.phone, rsvp.needs, rsvp.calendar_comment) == (None,) * 4
        assert (rsvp.status, rsvp.guests, rsvp.checked_in_at, rsvp.share_with_host) == before[
            rsvp.id
        ]
        assert "lopez" not in rsvp.search_text and "example.com" not in rsvp.search_text
    assert seats_taken(event) == taken
    assert count(Rsvp, Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.CONFIRMED) == 2
    assert find_by_token(old_token, Purpose.MANAGE) is None
    assert count(OutboxMessage) == 0
    assert count(InboundMessage) == 0
    log = db.session.scalars(db.select(AuditEntry).where(AuditEntry.event_id == event.id)).all()
    assert log and all("López" not in e.label and "ana@" not in e.label for e in log)
    assert all("name" not in e.changes and "email" not in e.changes for e in log)
    assert any("checked_in_at" in e.changes for e in log)  # what happened stays
    dump = "\n".join(str(row) for row in db.session.execute(text("SELECT * FROM rsvps")))
    for personal in ("Ana", "ana@example.com", "664", "Directora", "Wheelchair", "Ortiz"):
        assert personal not in dump


def end_now(event, days_ago: float = 1) -> None:
    """Time passes: the event, answered while ahead, ended `days_ago` days ago."""
    length = event.ends_at - event.starts_at
    event.ends_at = datetime.now(UTC) - timedelta(days=days_ago)
    event.starts_at = event.ends_at - length
    db.session.commit()


def test_nothing_changes_before_the_retention_date(make_event, answer_rsvp):
    event = make_event()
    rsvp = answer_rsvp(event, name="Ana López")
    inbound_for(rsvp)
    end_now(event)
    messages = count(OutboxMessage)

    assert purge(days_after(event, 729)).total == 0
    assert db.session.get(Rsvp, rsvp.id).name == "Ana López"
    assert count(OutboxMessage) == messages
    assert count(InboundMessage) == 1

    report = purge(days_after(event, 731))
    assert report.rsvps_anonymized == 1
    assert report.inbound_messages_deleted == 1
    assert report.outbox_messages_deleted == messages


def test_purging_twice_changes_nothing_the_second_time(make_event, answer_rsvp, invite):
    event = make_event()
    answer_rsvp(event)
    invite(event, "Dora Ruiz <dora@example.com>")
    first = purge(days_after(event, 800))
    assert first.rsvps_anonymized == 1 and first.invitations_anonymized == 1
    assert purge(days_after(event, 800)).total == 0
    assert purge(days_after(event, 900)).total == 0


def test_an_old_events_invitations_still_match_their_answers(board_meeting, invite, answer_rsvp):
    event = board_meeting()
    answered, waiting = invite(event, "Eva Soto <eva@example.com>\nFe Gil <fe@example.com>")
    answer_rsvp(event, invitation=answered, name="Eva Soto", email="eva@example.com")
    link = make_token(answered, Purpose.INVITATION)
    purge(days_after(event, 731))

    rows = {row.invitation.id: row for row in invitee_rows(event)}
    assert rows[answered.id].rsvp is not None  # still counted as answered
    assert rows[waiting.id].rsvp is None
    for row in rows.values():
        assert row.invitation.name == ANONYMIZED_NAME
        assert row.invitation.email.endswith("@anonymized.invalid")
    assert find_by_token(link, Purpose.INVITATION) is None
    assert count(Invitation, Invitation.email.like("%example.com")) == 0


def test_old_mail_goes_whatever_it_concerns(make_event, answer_rsvp):
    event = make_event()
    rsvp = answer_rsvp(event)
    now = datetime.now(UTC)
    inbound_for(rsvp, received_at=now - timedelta(days=731))
    stray = InboundMessage(
        source=InboundSource.IMAP,
        envelope_from="someone@example.org",
        recipient="events@convoca.invalid",
        raw=b"Hello",
        received_at=now - timedelta(days=800),
    )
    db.session.add(stray)
    db.session.add(
        RejectedAddress(
            email="gone@example.org",
            smtp_code=550,
            reply="No such user",
            rejected_at=now - timedelta(days=800),
        )
    )
    db.session.commit()

    report = purge(now)
    assert report.inbound_messages_deleted == 2
    assert report.rejected_addresses_deleted == 1
    assert report.rsvps_anonymized == 0  # the event itself is still ahead


def test_the_worker_purges_at_start_then_once_a_day():
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert worker.purge_is_due(None, start)
    assert not worker.purge_is_due(start, start + timedelta(hours=23, minutes=59))
    assert worker.purge_is_due(start, start + timedelta(days=1))
    assert worker.purge_is_due(start, start + timedelta(days=3))


def test_the_daily_purge_runs_when_due_and_remembers_when(app, make_event, answer_rsvp):
    event = make_event()
    rsvp = answer_rsvp(event)
    give_details(rsvp)
    lines = []
    now = days_after(event, 10)

    assert worker.run_daily_purge(None, now, lines.append) == now
    assert count(SecurityDetails) == 0
    assert lines and "security details deleted: 1" in lines[0]

    later = now + timedelta(hours=5)
    assert worker.run_daily_purge(now, later, lines.append) == now  # not due: nothing run
    assert len(lines) == 1


def test_a_database_error_in_the_purge_does_not_stop_the_worker(app, monkeypatch):
    def broken(as_of):
        raise OperationalError("DELETE", {}, Exception("server closed the connection"))

    monkeypatch.setattr(worker, "purge_personal_data", broken)
    now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    last = worker.run_daily_purge(None, now, print)
    # Tried again an hour later, not a day later.
    assert not worker.purge_is_due(last, now + timedelta(minutes=59))
    assert worker.purge_is_due(last, now + timedelta(hours=1))

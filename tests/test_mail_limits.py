"""The per-recipient hourly limit delays mail to a flooded inbox; it never loses a message."""

from datetime import UTC, datetime, timedelta

from app.events.notifications import queue_event_cancelled
from app.extensions import db
from app.mail.models import MessageStatus, OutboxMessage
from app.mail.queries import outbox_health
from app.mail.sender import deliver_pending


def _count(status: MessageStatus) -> int:
    return db.session.scalar(
        db.select(db.func.count(OutboxMessage.id)).where(OutboxMessage.status == status)
    )


def test_one_address_gets_the_hourly_limit_and_the_rest_later(app, make_event, answer_rsvp, smtp):
    # Twenty answers, each to another event, all with one address in any letter case.
    app.config["MAIL_MAX_PER_RECIPIENT_PER_HOUR"] = 5
    for n in range(20):
        answer_rsvp(make_event(), email="Target@Example.com" if n % 2 else "target@example.com")
    now = datetime.now(UTC)
    report = deliver_pending(now)
    assert (report.sent, report.held) == (5, 15)
    assert len(smtp.mailbox) == 5
    assert _count(MessageStatus.PENDING) == 15  # queued, waiting: nothing dropped

    assert deliver_pending(now + timedelta(minutes=30)).attempted == 0  # still the same hour
    assert deliver_pending(now + timedelta(minutes=61)).sent == 5
    assert len(smtp.mailbox) == 10


def test_a_flood_does_not_cost_the_owner_their_confirmation(app, make_event, answer_rsvp, smtp):
    # A stranger uses up the hour with someone's address; the owner's own answer still arrives.
    app.config["MAIL_MAX_PER_RECIPIENT_PER_HOUR"] = 3
    for _ in range(3):
        answer_rsvp(make_event(), email="owner@example.com")
    now = datetime.now(UTC)
    deliver_pending(now)
    event = make_event(title_en="Board meeting")
    answer_rsvp(event, email="owner@example.com", name="The Owner")
    assert deliver_pending().held == 1
    deliver_pending(now + timedelta(minutes=61))
    assert any("Board meeting" in m["Subject"] for m in smtp.mailbox.to("owner@example.com"))


def test_other_addresses_are_not_held(app, make_event, answer_rsvp, smtp):
    app.config["MAIL_MAX_PER_RECIPIENT_PER_HOUR"] = 2
    for _ in range(4):
        answer_rsvp(make_event(), email="target@example.com")
    answer_rsvp(make_event(), email="someone.else@example.com")
    report = deliver_pending()
    assert (report.sent, report.held) == (3, 2)
    assert len(smtp.mailbox.to("someone.else@example.com")) == 1


def test_an_event_cancellation_goes_over_the_limit(app, make_event, answer_rsvp, smtp):
    app.config["MAIL_MAX_PER_RECIPIENT_PER_HOUR"] = 2
    event = make_event(capacity=50)
    answer_rsvp(event, email="target@example.com")
    for _ in range(2):
        answer_rsvp(make_event(), email="target@example.com")
    assert queue_event_cancelled(event, "Rain") == 1
    db.session.commit()
    deliver_pending()
    sent = db.session.scalars(
        db.select(OutboxMessage.kind)
        .where(OutboxMessage.status == MessageStatus.SENT)
        .order_by(OutboxMessage.id)
    ).all()
    assert sent == ["rsvp_confirmed", "rsvp_confirmed", "event_cancelled"]
    assert _count(MessageStatus.PENDING) == 1  # the third confirmation waits its turn


def test_mail_delivered_over_an_hour_ago_does_not_count(app, make_event, answer_rsvp, smtp):
    app.config["MAIL_MAX_PER_RECIPIENT_PER_HOUR"] = 2
    for _ in range(2):
        answer_rsvp(make_event(), email="target@example.com")
    deliver_pending()
    db.session.execute(
        db.update(OutboxMessage).values(sent_at=datetime.now(UTC) - timedelta(minutes=61))
    )
    db.session.commit()
    answer_rsvp(make_event(), email="target@example.com")
    assert deliver_pending().sent == 1


def test_held_mail_is_not_a_backlog_until_its_hour_has_passed(app, make_event, answer_rsvp, smtp):
    app.config["MAIL_MAX_PER_RECIPIENT_PER_HOUR"] = 1
    for _ in range(2):
        answer_rsvp(make_event(), email="target@example.com")
    now = datetime.now(UTC)
    deliver_pending(now)
    held_until = db.session.scalar(
        db.select(OutboxMessage.held_until).where(OutboxMessage.held_until.is_not(None))
    )
    assert held_until is not None
    later = now + timedelta(minutes=50)
    assert outbox_health(later).oldest_pending_seconds is None  # held, on time
    health = outbox_health(held_until + timedelta(minutes=20))
    assert 1190 <= health.oldest_pending_seconds <= 1210  # late only since the hold ended

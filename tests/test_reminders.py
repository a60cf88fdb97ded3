"""A reminder goes to confirmed attendees REMINDER_HOURS before an event, exactly once."""

import threading
import time
from datetime import UTC, datetime, timedelta

from app.events import notifications, reminders
from app.events.models import Event, EventStatus
from app.events.reminders import send_due_reminders
from app.extensions import db
from app.mail import worker
from app.mail.models import OutboxMessage
from app.mail.sender import deliver_pending
from tests.event_forms import edit_data, local_day


def reminder_messages() -> list[OutboxMessage]:
    return list(
        db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "event_reminder"))
    )


def starting_in(make_event, hours: float, **fields) -> Event:
    """An event starting `hours` from now (the make_event fixture works in whole local days)."""
    event = make_event(**fields)
    event.starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours)
    event.ends_at = event.starts_at + timedelta(hours=2)
    db.session.commit()
    return event


def test_the_reminder_reaches_confirmed_attendees_once(make_event, answer_rsvp, smtp):
    event = starting_in(make_event, 20, capacity=1, title_en="Board meeting")
    seated = answer_rsvp(event, name="Ana López", email="ana@example.com", language="es")
    answer_rsvp(event, email="waiting@example.com")
    answer_rsvp(event, email="declined@example.com", attending=False)
    deliver_pending()
    smtp.mailbox.clear()

    assert send_due_reminders(datetime.now(UTC)) == 1
    assert send_due_reminders(datetime.now(UTC)) == 0  # run twice: still one
    deliver_pending()
    [message] = smtp.mailbox
    assert message["To"] == "Ana López <ana@example.com>"
    assert message["Subject"].startswith("Recordatorio: Board meeting")  # in her language
    body = message.get_body(("plain",)).get_content()
    assert "http://127.0.0.1/rsvp/" in body  # the manage link
    assert '<html lang="es">' in message.get_body(("html",)).get_content()
    db.session.refresh(event)
    assert event.reminder_sent_at is not None
    assert [m.rsvp_id for m in reminder_messages()] == [seated.id]


def test_reminders_wait_for_the_configured_lead_time(app, make_event, answer_rsvp):
    event = starting_in(make_event, 30)
    answer_rsvp(event)
    assert send_due_reminders(datetime.now(UTC)) == 0
    app.config["REMINDER_HOURS"] = 48
    assert send_due_reminders(datetime.now(UTC)) == 1


def test_the_default_lead_time_is_a_day(app):
    assert app.config["REMINDER_HOURS"] == 24


def test_no_reminders_for_drafts_cancelled_or_started_events(make_event, answer_rsvp):
    for status in (EventStatus.DRAFT, EventStatus.CANCELLED):
        event = starting_in(make_event, 5)
        answer_rsvp(event)
        event.status = status
        db.session.commit()
    started = starting_in(make_event, 5)
    answer_rsvp(started)
    started.starts_at = datetime.now(UTC) - timedelta(minutes=10)
    db.session.commit()
    assert send_due_reminders(datetime.now(UTC)) == 0
    assert reminder_messages() == []


def test_an_event_without_attendees_is_still_marked_reminded(make_event):
    event = starting_in(make_event, 5)
    assert send_due_reminders(datetime.now(UTC)) == 0
    db.session.refresh(event)
    assert event.reminder_sent_at is not None


def test_overlapping_runs_send_the_reminder_once(app, make_event, answer_rsvp, monkeypatch):
    event = starting_in(make_event, 3)
    for _ in range(3):
        answer_rsvp(event)
    # Both runs see the event as due before either claims it, and the first is slow to
    # commit once it has: without the conditional claim both would queue reminders.
    both_listed = threading.Barrier(2)
    due_event_ids = reminders.due_event_ids
    queue_reminder = notifications.queue_reminder

    def listed_together(now):
        ids = due_event_ids(now)
        both_listed.wait(timeout=10)
        return ids

    def slow_queue(event, rsvp):
        queue_reminder(event, rsvp)
        time.sleep(0.05)

    monkeypatch.setattr(reminders, "due_event_ids", listed_together)
    monkeypatch.setattr(notifications, "queue_reminder", slow_queue)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                results.append(send_due_reminders(datetime.now(UTC)))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == [0, 3]
    db.session.expire_all()
    assert len(reminder_messages()) == 3


def test_send_reminders_command_runs_one_pass(runner, make_event, answer_rsvp):
    event = starting_in(make_event, 2)
    answer_rsvp(event)
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "reminders queued: 1" in result.output
    assert len(reminder_messages()) == 1
    assert runner.invoke(args=["send-reminders"]).output.strip() == "reminders queued: 0"


def test_the_mail_worker_loop_sends_due_reminders(
    runner, make_event, answer_rsvp, smtp, monkeypatch
):
    event = starting_in(make_event, 2, title_en="Site visit")
    answer_rsvp(event, email="ana@example.com")
    deliver_pending()
    smtp.mailbox.clear()

    def stop_after_one_pass(stop, seconds):
        stop.received = "SIGINT"  # as Ctrl-C during the pause would

    monkeypatch.setattr(worker.StopSignals, "sleep", stop_after_one_pass)
    result = runner.invoke(args=["send-mail", "--loop"])
    assert result.exit_code == 0, result.output
    assert "reminders queued: 1" in result.output
    [message] = smtp.mailbox
    assert message["Subject"].startswith("Reminder: Site visit")


def test_a_one_off_send_mail_does_not_queue_reminders(runner, make_event, answer_rsvp):
    event = starting_in(make_event, 2)
    answer_rsvp(event)
    runner.invoke(args=["send-mail"])
    assert reminder_messages() == []


def test_moving_an_event_later_rearms_its_reminder(client, organizer, make_event, answer_rsvp):
    event = starting_in(make_event, 5)
    answer_rsvp(event)
    send_due_reminders(datetime.now(UTC))
    db.session.refresh(event)
    assert event.reminder_sent_at is not None

    day = local_day(14)
    client.post(
        f"/organizer/events/{event.slug}/edit",
        data=edit_data(event, starts_at=f"{day}T09:00", ends_at=f"{day}T11:00"),
    )
    db.session.refresh(event)
    assert event.reminder_sent_at is None
    # Nothing is due until the new start comes near; then it goes out again.
    assert send_due_reminders(datetime.now(UTC)) == 0
    assert send_due_reminders(event.starts_at - timedelta(hours=3)) == 1


def test_a_small_move_inside_the_reminder_window_does_not_remind_again(
    client, organizer, make_event, answer_rsvp
):
    event = starting_in(make_event, 5)
    answer_rsvp(event)
    send_due_reminders(datetime.now(UTC))
    db.session.refresh(event)
    later = event.starts_at.astimezone(event.zone) + timedelta(hours=1)
    client.post(
        f"/organizer/events/{event.slug}/edit",
        data=edit_data(
            event,
            starts_at=f"{later:%Y-%m-%dT%H:%M}",
            ends_at=f"{later + timedelta(hours=1):%Y-%m-%dT%H:%M}",
        ),
    )
    db.session.refresh(event)
    assert event.reminder_sent_at is not None
    assert send_due_reminders(datetime.now(UTC)) == 0

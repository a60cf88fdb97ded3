"""Bounces: a delivery status notification marks the message that failed and its address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.inbound.addresses import bounce_address
from app.inbound.bounces import bounced_addresses, delivery_reports, is_bounced
from app.inbound.models import InboundMessage, InboundSource, InboundStatus
from app.inbound.processing import Reason, process_received
from app.inbound.receiving import store_inbound
from app.mail.models import OutboxMessage, RejectedAddress

FIXTURES = Path(__file__).parent / "fixtures" / "inbound"
NADIE = "nadie@contoso.com"  # the address every bounce fixture reports


@pytest.fixture(autouse=True)
def answers_by_email(app):
    app.config["INBOUND_EMAIL_DOMAIN"] = "reply.example.org"


@pytest.fixture
def confirmation(make_event, answer_rsvp):
    """The confirmation emailed to someone who answered with an address that bounces."""

    def make(email: str = NADIE) -> OutboxMessage:
        rsvp = answer_rsvp(make_event(), email=email)
        return db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.rsvp_id == rsvp.id))

    return make


def bounce(name: str, outbox_message: OutboxMessage, raw: bytes | None = None) -> InboundMessage:
    """Store a fixture (or `raw`) as received on the message's bounce address, and apply it."""
    message = store_inbound(
        raw or (FIXTURES / name).read_bytes(),
        recipient=bounce_address(outbox_message),
        envelope_from="",
        source=InboundSource.LMTP,
    )
    assert message is not None and message.outbox_message_id == outbox_message.id
    process_received()
    return db.session.get(InboundMessage, message.id)


def test_a_failed_delivery_marks_the_message_bounced_and_the_address_undeliverable(
    confirmation,
):
    sent = confirmation()

    message = bounce("dsn_failed.eml", sent)

    assert message.status is InboundStatus.APPLIED
    assert "5.1.1" in message.detail
    assert db.session.get(OutboxMessage, sent.id).bounced_at is not None
    rejected = db.session.scalar(db.select(RejectedAddress))
    assert (rejected.email, rejected.smtp_code) == (NADIE, 550)
    assert "User unknown in virtual mailbox table" in rejected.reply
    assert is_bounced("Nadie@Contoso.com")
    assert bounced_addresses(["Nadie@Contoso.com", "ana@example.com"]) == {NADIE}


def test_a_second_bounce_for_the_address_updates_it(confirmation):
    first, second = confirmation(), confirmation()
    bounce("dsn_failed.eml", first)
    db.session.execute(
        db.update(RejectedAddress).values(
            smtp_code=552, rejected_at=datetime.now(UTC) - timedelta(days=3)
        )
    )
    db.session.commit()

    bounce("dsn_failed.eml", second)

    [rejected] = db.session.scalars(db.select(RejectedAddress)).all()
    assert rejected.smtp_code == 550
    assert rejected.rejected_at > datetime.now(UTC) - timedelta(hours=1)


def test_a_failure_reported_for_another_address_marks_nothing(confirmation):
    # Our message went to Ana; the report (forged, or about a forward) names somebody else.
    sent = confirmation("ana@example.com")

    message = bounce("dsn_failed.eml", sent)

    assert (message.status, message.reason) == (
        InboundStatus.IGNORED,
        Reason.BOUNCE_OTHER_RECIPIENT,
    )
    assert NADIE in message.detail and "ana@example.com" in message.detail
    assert db.session.get(OutboxMessage, sent.id).bounced_at is None
    assert db.session.scalar(db.select(RejectedAddress)) is None


def test_a_failure_that_names_no_address_is_about_our_recipient(confirmation):
    sent = confirmation("Nadie@Contoso.com")
    raw = (FIXTURES / "dsn_failed.eml").read_bytes()
    raw = raw.replace(
        b"Final-Recipient: rfc822; nadie@contoso.com", b"Final-Recipient: x400; S=Nadie"
    )

    message = bounce("dsn_failed.eml", sent, raw)

    assert message.status is InboundStatus.APPLIED
    assert db.session.get(OutboxMessage, sent.id).bounced_at is not None
    assert is_bounced(NADIE)


def test_a_delayed_delivery_is_ignored(confirmation):
    sent = confirmation()

    message = bounce("dsn_delayed.eml", sent)

    assert (message.status, message.reason) == (InboundStatus.IGNORED, Reason.BOUNCE_DELAYED)
    assert db.session.get(OutboxMessage, sent.id).bounced_at is None
    assert not is_bounced(NADIE)


def test_an_auto_reply_to_a_bounce_address_is_ignored(confirmation):
    sent = confirmation()

    message = bounce("out_of_office.eml", sent)

    assert (message.status, message.reason) == (InboundStatus.IGNORED, Reason.NOT_A_BOUNCE)
    assert db.session.get(OutboxMessage, sent.id).bounced_at is None
    assert not is_bounced(NADIE)


def test_a_report_is_read_per_recipient():
    [report] = delivery_reports((FIXTURES / "dsn_failed.eml").read_bytes())
    assert (report.recipient, report.action, report.status) == (NADIE, "failed", "5.1.1")
    assert report.permanent and report.smtp_code == 550
    assert report.diagnostic.startswith("smtp; 550 5.1.1 <nadie@contoso.com>: Recipient")
    assert delivery_reports((FIXTURES / "out_of_office.eml").read_bytes()) is None


def test_bounced_addresses_are_looked_up_in_batches(app):
    db.session.add_all(
        RejectedAddress(email=f"gone{n}@example.com", smtp_code=550, reply="5.1.1")
        for n in range(0, 1200, 2)
    )
    db.session.commit()

    found = bounced_addresses(f"Gone{n}@Example.com" for n in range(1200))

    assert found == {f"gone{n}@example.com" for n in range(0, 1200, 2)}
    assert bounced_addresses([]) == set()

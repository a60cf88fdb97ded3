"""`receive-mail` as an SMTP and LMTP server: what it refuses before the data, what it stores,
and that it answers 250 only once a message is committed.

Everything real: the server listens on 127.0.0.1 (in the test's process, on the test's
database), and smtplib talks to it as a sending mail server would."""

import os
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from app.db_types import utcnow
from app.extensions import db
from app.inbound.addresses import reply_address
from app.inbound.models import InboundMessage, InboundSource, InboundStatus
from app.inbound.server import make_server, stop_server
from app.rsvps.models import Rsvp, RsvpStatus
from app.tokens import revoke_tokens
from config import Config
from tests.conftest import free_port

DOMAIN = "reply.example.org"
SENDER = "ana@example.com"


@pytest.fixture
def inbound(app):
    app.config["INBOUND_EMAIL_DOMAIN"] = DOMAIN
    return app


@pytest.fixture
def receiver(inbound):
    """`receiver(lmtp=False)` starts a server on a free port and returns the port."""
    servers = []

    def start(lmtp: bool = False) -> int:
        server = make_server(inbound, "127.0.0.1", free_port(), lmtp=lmtp)
        server.start()
        servers.append(server)
        return server.port

    yield start
    for server in servers:
        stop_server(server, grace=1)


@pytest.fixture
def attendee_address(make_event, answer_rsvp, inbound):
    """A live reply address: an attendee's, for an answer they made on the web."""
    return lambda: reply_address(answer_rsvp(make_event()))


def message(to: str, body: str = "Accepted: Quarterly meeting") -> bytes:
    """A message as it travels: CRLF line ends, 8-bit text, a line starting with a dot (sent
    dot-stuffed, stored without the extra dot)."""
    return (
        f"From: Ana <{SENDER}>\r\nTo: {to}\r\nSubject: {body}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body} — sí, asistiré.\r\n.a line starting with a dot\r\n"
    ).encode()


def stored() -> list[InboundMessage]:
    db.session.rollback()  # a fresh snapshot: the server committed on its own connection
    return list(db.session.scalars(db.select(InboundMessage).order_by(InboundMessage.id)))


def test_a_made_up_address_is_refused_at_rcpt_and_nothing_is_stored(receiver, attendee_address):
    port = receiver()
    real = attendee_address()
    made_up = f"events+r{'x' * 30}@{DOMAIN}"
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for address in (made_up, f"events@{DOMAIN}", real.replace(DOMAIN, "example.net")):
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                smtp.sendmail(SENDER, [address], message(address))
            code, text = refused.value.recipients[address]
            assert (code, text) == (550, b"5.1.1 No such address")
    assert stored() == []


def test_a_reply_address_is_accepted_and_the_message_stored_byte_for_byte(
    receiver, make_event, answer_rsvp
):
    port = receiver()
    rsvp = answer_rsvp(make_event())
    address = reply_address(rsvp)
    raw = message(address)
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        # A calendar app may write the address in capitals; the token survives it.
        assert smtp.sendmail(SENDER, [address.upper()], raw) == {}

    [kept] = stored()
    assert kept.raw == raw
    assert kept.recipient == address.lower()
    assert kept.envelope_from == SENDER
    assert kept.source is InboundSource.SMTP
    assert (kept.rsvp_id, kept.event_id) == (rsvp.id, rsvp.event_id)


def test_messages_are_limited_to_a_megabyte_by_default():
    # A calendar answer is a few kilobytes; a bigger message only costs the applier.
    assert Config.INBOUND_MAX_BYTES == 1024 * 1024


def test_a_message_over_the_size_limit_is_refused(inbound, receiver, attendee_address):
    inbound.config["INBOUND_MAX_BYTES"] = 2000
    port = receiver()
    address = attendee_address()
    big = message(address) + (b"y" * 70 + b"\r\n") * 30
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        # A sender that announces the size is refused at MAIL FROM …
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail(SENDER, [address], big)
        assert refused.value.smtp_code == 552
        smtp.rset()
        # … one that does not, after the data.
        smtp.mail(SENDER)
        assert smtp.rcpt(address)[0] == 250
        assert smtp.data(big)[0] == 552
    assert stored() == []


def test_a_sender_over_its_hourly_limit_is_told_to_come_back_later(
    inbound, receiver, attendee_address
):
    inbound.config["INBOUND_MAX_PER_SENDER_PER_HOUR"] = 2
    port = receiver()
    address = attendee_address()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for _ in range(2):
            assert smtp.sendmail(SENDER, [address], message(address)) == {}
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail(SENDER.upper(), [address], message(address))
        assert refused.value.smtp_code == 450
        assert refused.value.smtp_error.startswith(b"4.7.1")
        # Someone else is still welcome.
        smtp.rset()
        assert smtp.sendmail("bob@example.com", [address], message(address)) == {}

        # An hour later the sender may write again.
        for row in stored():
            row.received_at = utcnow() - timedelta(minutes=61)
        db.session.commit()
        assert smtp.sendmail(SENDER, [address], message(address)) == {}
    assert len(stored()) == 4


def test_an_address_over_its_hourly_limit_is_refused_whoever_claims_to_send(
    inbound, receiver, attendee_address
):
    inbound.config["INBOUND_MAX_PER_ADDRESS_PER_HOUR"] = 2
    port = receiver()
    address, other = attendee_address(), attendee_address()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(2):
            assert smtp.sendmail(f"sender{n}@example.com", [address], message(address)) == {}
        # A new name in MAIL FROM every time does not get past it …
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("sender2@example.com", [address], message(address))
        assert refused.value.recipients[address] == (
            450,
            b"4.7.1 Too many messages for this address, try again later",
        )
        # … nor the null sender; another address is still welcome.
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail("", [address.upper()], message(address))
        assert smtp.sendmail("sender3@example.com", [other], message(other)) == {}
    assert [m.recipient for m in stored()] == [address.lower()] * 2 + [other.lower()]


def test_bounces_count_per_address_not_all_together(inbound, receiver, attendee_address):
    inbound.config["INBOUND_MAX_PER_SENDER_PER_HOUR"] = 1
    port = receiver()
    first, second = attendee_address(), attendee_address()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        # The null sender (MAIL FROM:<>) is every mail server's: its limit is per address.
        assert smtp.sendmail("", [first], message(first)) == {}
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("", [first], message(first))
        assert refused.value.recipients[first][0] == 450
        assert smtp.sendmail("", [second], message(second)) == {}
    assert [m.envelope_from for m in stored()] == ["", ""]


def test_a_database_failure_answers_451_and_the_retry_is_stored(receiver, attendee_address):
    port = receiver()
    address = attendee_address()
    table = InboundMessage.__table__
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.ehlo()
        smtp.mail(SENDER)
        assert smtp.rcpt(address)[0] == 250
        db.session.rollback()
        table.drop(db.engine)  # the table the message goes to is gone
        try:
            code, text = smtp.data(message(address))
        finally:
            table.create(db.engine)
        assert (code, text) == (451, b"4.3.0 try again later")

        # The sending server tries again later, and this time it is kept.
        smtp.rset()
        assert smtp.sendmail(SENDER, [address], message(address)) == {}
    assert [m.raw for m in stored()] == [message(address)]


def test_lmtp_answers_each_recipient_on_its_own(receiver, make_event, answer_rsvp):
    port = receiver(lmtp=True)
    event = make_event()
    kept_rsvp, revoked_rsvp = answer_rsvp(event), answer_rsvp(event)
    kept, revoked = reply_address(kept_rsvp), reply_address(revoked_rsvp)
    made_up = f"events+r{'x' * 30}@{DOMAIN}"
    with smtplib.LMTP("127.0.0.1", port) as lmtp:
        assert lmtp.ehlo()[0] == 250  # LHLO
        lmtp.mail(SENDER)
        assert lmtp.rcpt(kept)[0] == 250
        assert lmtp.rcpt(made_up)[0] == 550
        assert lmtp.rcpt(revoked)[0] == 250
        # The second person's links die while the message is on its way.
        revoke_tokens(db.session.get(Rsvp, revoked_rsvp.id))
        db.session.commit()
        # One reply per accepted recipient, in order.
        assert lmtp.data(message(kept))[0] == 250
        assert lmtp.getreply() == (550, b"5.1.1 No such address")

    [message_kept] = stored()
    assert message_kept.recipient == kept.lower()
    assert message_kept.source is InboundSource.LMTP


def test_starttls_is_offered_when_a_certificate_is_configured(
    inbound, receiver, attendee_address, tmp_path
):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=reply.example.org", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    inbound.config.update(INBOUND_TLS_CERT_FILE=str(cert), INBOUND_TLS_KEY_FILE=str(key))
    port = receiver()
    address = attendee_address()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls")
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        assert smtp.starttls(context=context)[0] == 220
        assert smtp.sendmail(SENDER, [address], message(address)) == {}
    assert len(stored()) == 1


def test_the_command_refuses_to_start_without_what_it_needs(app, runner):
    result = runner.invoke(args=["receive-mail"])
    assert result.exit_code == 2
    assert "INBOUND_EMAIL_DOMAIN is not set" in result.output

    app.config["INBOUND_EMAIL_DOMAIN"] = DOMAIN
    result = runner.invoke(args=["receive-mail", "--imap"])
    assert result.exit_code == 2
    assert "IMAP_URL is not set" in result.output


# --- End to end: `flask receive-mail` in its own process ------------------------------------

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def wait_until(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def receive_mail_process(inbound):
    """`flask receive-mail` on a free port, on the test's database; stopped with SIGTERM."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "flask"), "--app", "wsgi", "receive-mail", "--port", str(port)],
        cwd=ROOT,
        env={
            **os.environ,
            "CONVOCA_ENV": "testing",
            "TEST_DATABASE_URL": inbound.config["SQLALCHEMY_DATABASE_URI"],
            "INBOUND_EMAIL_DOMAIN": DOMAIN,
            "PYTHONPATH": str(ROOT),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(lambda: listening(port) or process.poll() is not None, 30, "receive-mail")
        assert process.poll() is None, process.stdout.read()
        process.port = port
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def calendar_file(event, rsvp, partstat: str, stamp: datetime, *, outlook: bool) -> str:
    sequence = event.sequence + rsvp.ical_sequence_offset  # the person's invitation's
    attendee = rsvp.email.upper() if outlook else rsvp.email
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN"
        if outlook
        else "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "METHOD:REPLY",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
        f"DTSTART:{event.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"DTEND:{event.ends_at.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{event.title_en}",
    ]
    if outlook:  # no ORGANIZER; the address in capitals
        lines.append(f"ATTENDEE;PARTSTAT={partstat};RSVP=FALSE:mailto:{attendee}")
    else:
        lines += [
            f"ORGANIZER;CN=Smart Border Coalition:mailto:{reply_address(rsvp)}",
            "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
            f"PARTSTAT={partstat};CN={rsvp.name};X-NUM-GUESTS=0:mailto:{attendee}",
        ]
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def gmail_reply(event, rsvp, partstat: str, stamp: datetime) -> bytes:
    """As Google Calendar answers: text/calendar with method=REPLY, and the file attached."""
    ics = calendar_file(event, rsvp, partstat, stamp, outlook=False)
    mail = EmailMessage()
    mail["From"] = f"{rsvp.name} <{rsvp.email}>"
    mail["To"] = reply_address(rsvp)
    mail["Subject"] = f"Declined: {event.title_en}"
    mail.set_content(f"{rsvp.name} has declined this invitation.")
    mail.add_alternative(ics, subtype="calendar", params={"method": "REPLY"})
    mail.add_attachment(ics.encode(), "application", "ics", filename="invite.ics")
    return mail.as_bytes(policy=policy.SMTP)


def outlook_reply(event, rsvp, partstat: str, stamp: datetime) -> bytes:
    """As Outlook answers: text/calendar without a method parameter, METHOD inside only."""
    mail = EmailMessage()
    mail["From"] = f"{rsvp.name} <{rsvp.email}>"
    mail["To"] = reply_address(rsvp).upper()
    mail["Subject"] = f"Accepted: {event.title_en}"
    mail.set_content(calendar_file(event, rsvp, partstat, stamp, outlook=True), subtype="calendar")
    return mail.as_bytes(policy=policy.SMTP)


def rsvp_status(rsvp_id: int) -> RsvpStatus:
    db.session.rollback()
    return db.session.get(Rsvp, rsvp_id, populate_existing=True).status


def test_answers_from_gmail_and_outlook_change_the_rsvp_within_seconds(
    receive_mail_process, make_event, answer_rsvp
):
    event = make_event()
    rsvp = answer_rsvp(event, name="Ana Díaz", email="ana@example.com")
    assert rsvp.status is RsvpStatus.CONFIRMED
    port = receive_mail_process.port
    stamp = datetime.now(UTC).replace(microsecond=0)

    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.sendmail(
            rsvp.email, [reply_address(rsvp)], gmail_reply(event, rsvp, "DECLINED", stamp)
        )
    wait_until(lambda: rsvp_status(rsvp.id) is RsvpStatus.DECLINED, 10, "the decline")

    rsvp = db.session.get(Rsvp, rsvp.id)  # its invitation's SEQUENCE may have moved on
    later = stamp + timedelta(minutes=1)
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.sendmail(
            rsvp.email, [reply_address(rsvp).upper()], outlook_reply(event, rsvp, "ACCEPTED", later)
        )
    wait_until(lambda: rsvp_status(rsvp.id) is RsvpStatus.CONFIRMED, 10, "the acceptance")

    statuses = db.session.scalars(db.select(InboundMessage.status).order_by(InboundMessage.id))
    assert list(statuses) == [InboundStatus.APPLIED, InboundStatus.APPLIED]

    # SIGTERM: the server stops taking mail and the command ends cleanly.
    receive_mail_process.send_signal(signal.SIGTERM)
    assert receive_mail_process.wait(timeout=20) == 0
    assert "receive-mail: stopped" in receive_mail_process.stdout.read()
    assert not listening(port)

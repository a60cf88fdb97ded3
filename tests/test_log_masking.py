"""Personal links never reach a log whole: gunicorn's access and error logs and the app's own
loggers mask their tokens (app/logmasking.py)."""

from __future__ import annotations

import logging
import os
import signal
import smtplib
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from app.inbound.addresses import bounce_address, reply_address
from app.inbound.server import make_server as make_mail_server
from app.inbound.server import stop_server
from app.logmasking import TOKEN_MASK, TokenMaskingFilter, mask_tokens
from app.mail.models import OutboxMessage
from app.tokens import Purpose, make_token
from tests.conftest import free_port, once

pytestmark = once

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "42.qQFpo3BRCM5oIoj6D7ao7HFV8qqAHfIvuQw-ISMehE8"
MASKED = f"42.{TOKEN_MASK}"


@pytest.mark.parametrize(
    "path",
    [
        "/rsvp/{}",
        "/rsvp/{}/cancel",
        "/rsvp/{}/new-link",
        "/rsvp/{}/event",
        "/invitation/{}",
        "/invitation/{}?lang=es",
        "/calendar/me/{}.ics",
        "/calendar/me/{}.ics?lang=es",
        "/organizer/checkin/{}",
        "GET /rsvp/{} HTTP/1.1",
        "/organizer/login?next=/organizer/checkin/{}",
    ],
)
def test_every_personal_link_shape_is_masked(path):
    masked = mask_tokens(path.format(TOKEN))
    assert masked == path.format(MASKED)
    assert "qQFpo3BRCM5" not in masked


def test_two_tokens_in_one_line_are_both_masked():
    line = f'"GET /rsvp/{TOKEN} HTTP/1.1" 200 "http://127.0.0.1/invitation/7.{TOKEN[3:]}"'
    assert (
        mask_tokens(line)
        == f'"GET /rsvp/{MASKED} HTTP/1.1" 200 "http://127.0.0.1/invitation/7.{TOKEN_MASK}"'
    )


@pytest.mark.parametrize(
    "text",
    [
        "/events/cross-border-logistics-forum",
        "/organizer/events/forum/attendees/12",
        "/static/css/app.css?v=1.2.3",
        "/rsvp/42.tooshort",
        f"/rsvp/42.{TOKEN[3:]}x",  # 44 characters: not a token, left as it is
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0.6478.126",
    ],
)
def test_text_without_a_token_is_left_alone(text):
    assert mask_tokens(text) == text


ADDRESS_TOKEN = "k3qzv7m2xw4n5b6c7d5e4f2g3h"  # 26 base32 characters


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            f"events+r12.{ADDRESS_TOKEN}@reply.example.org",
            f"events+r12.{TOKEN_MASK}@reply.example.org",
        ),
        (
            f"recip: EVENTS+I7.{ADDRESS_TOKEN.upper()}@REPLY.EXAMPLE.ORG",
            f"recip: EVENTS+I7.{TOKEN_MASK}@REPLY.EXAMPLE.ORG",
        ),
        (
            f"b'RCPT TO:<bounces+42.{ADDRESS_TOKEN}@reply.example.org>'",
            f"b'RCPT TO:<bounces+42.{TOKEN_MASK}@reply.example.org>'",
        ),
    ],
)
def test_the_token_of_a_reply_or_bounce_address_is_masked(text, masked):
    assert mask_tokens(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "events@reply.example.org",
        f"events+r12.{ADDRESS_TOKEN[:-1]}@reply.example.org",  # 25 characters: not a token
        f"events+r12.{ADDRESS_TOKEN}x@reply.example.org",
    ],
)
def test_an_address_without_a_token_is_left_alone(text):
    assert mask_tokens(text) == text


def test_receive_mails_logs_mask_the_tokens_of_our_addresses(app, make_event, answer_rsvp, caplog):
    """aiosmtpd's conversation log ("mail.log") and receive-mail's own warnings print the
    addresses mail is sent to."""
    app.config.update(INBOUND_EMAIL_DOMAIN="reply.example.org", INBOUND_MAX_PER_ADDRESS_PER_HOUR=1)
    rsvp = answer_rsvp(make_event())
    address = reply_address(rsvp)
    confirmation = db.session.scalar(
        db.select(OutboxMessage).where(OutboxMessage.rsvp_id == rsvp.id)
    )
    bounces = bounce_address(confirmation)  # as a sender, for the test: it is ours too
    server = make_mail_server(app, "127.0.0.1", free_port())
    server.start()
    try:
        with caplog.at_level(logging.INFO), smtplib.SMTP("127.0.0.1", server.port) as smtp:
            smtp.sendmail(bounces, [address], b"Subject: Yes\r\n\r\nYes\r\n")
            with pytest.raises(smtplib.SMTPRecipientsRefused):  # over its hourly limit
                smtp.sendmail(bounces, [address], b"Subject: Yes\r\n\r\nYes\r\n")
    finally:
        stop_server(server, grace=1)
    lines = [
        record.getMessage()
        for record in caplog.records
        if record.name == "mail.log" or record.name.startswith("app.inbound")
    ]
    assert any("over its hourly limit" in line for line in lines), lines
    assert any(mask_tokens(address.lower()) in line for line in lines), lines
    assert any(mask_tokens(bounces) in line for line in lines), lines
    for token in (address, bounces):
        secret = token.split(".", 1)[1].split("@")[0]
        assert not any(secret.lower() in line.lower() for line in lines)


def test_every_inbound_logger_masks_tokens(app):
    names = [name for name in logging.root.manager.loggerDict if name.startswith("app.inbound")]
    assert "app.inbound.server" in names
    for name in [*names, "mail.log"]:
        filters = logging.getLogger(name).filters
        assert any(isinstance(f, TokenMaskingFilter) for f in filters), name


@pytest.fixture
def personal_links(app, make_event, answer_rsvp, invite, board_meeting):
    """`links()`: working links of every kind, made with the app's SECRET_KEY at the call."""
    rsvp = answer_rsvp(make_event(capacity=5), name="Ana López")
    [invitation] = invite(board_meeting(), "Ines Invitee <ines@example.com>")

    def links() -> list[str]:
        return [
            f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}",
            f"/invitation/{make_token(invitation, Purpose.INVITATION)}",
            f"/calendar/me/{make_token(rsvp, Purpose.FEED)}.ics",
        ]

    return links


def _token(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".ics")


def _get(url: str, **headers) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_dev_server_request_log_masks_tokens(app, personal_links, caplog):
    """`flask run` logs each request through the "werkzeug" logger."""
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for path in personal_links():
                assert _get(f"http://127.0.0.1:{server.port}{path}") == 200
    finally:
        server.shutdown()
        thread.join(timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    for path in personal_links():
        assert any(mask_tokens(path) in line for line in lines), (path, lines)
        assert not any(_token(path) in line for line in lines)


def test_the_apps_error_log_masks_tokens(app, caplog):
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        app.logger.error("Exception on %s [%s]", f"/rsvp/{TOKEN}", "POST")
    assert caplog.records[-1].getMessage() == f"Exception on /rsvp/{MASKED} [POST]"


SECRET = "a-production-secret-for-this-test"


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {process.communicate()[0]}")
        try:
            if _get(url) == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


def test_gunicorns_access_log_masks_the_token_of_a_personal_link(app, personal_links, tmp_path):
    """gunicorn for real, with the project's gunicorn.conf.py, in production configuration."""
    app.config["SECRET_KEY"] = SECRET  # links that the production server (with SECRET) opens
    links = personal_links()
    bind = f"127.0.0.1:{free_port()}"
    env = os.environ | {
        "CONVOCA_ENV": "production",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "GUNICORN_WORKERS": "1",
        "MAIL_SINK_DIR": str(tmp_path / "mail"),
        "PUBLIC_URL": "http://127.0.0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", bind, "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(f"http://{bind}/healthz", process)
        for path in links:
            assert _get(f"http://{bind}{path}") == 200, path
        # Our own pages send their address as the Referer (Referrer-Policy: same-origin).
        assert _get(f"http://{bind}/", Referer=f"http://{bind}{links[0]}") == 200
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    for path in links:
        assert _token(path) not in output
        assert f"GET {mask_tokens(path)} HTTP/1.1" in output, output
    assert f'"http://{bind}{mask_tokens(links[0])}"' in output  # the referer

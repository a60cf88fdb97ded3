"""Personal links out of the logs: their tokens are masked wherever a request is logged.

A token (app/tokens.py) is the whole key to someone's RSVP, invitation, calendar feed or
check-in code, and an access log is read by more people, and kept longer, than the database.
The reply and bounce addresses of inbound mail (app/inbound/addresses.py) carry a token too,
as much a key as a link's: `receive-mail` and aiosmtpd's `mail.log` print them.
`mask_tokens` is the one rule; gunicorn's access and error logs (gunicorn.conf.py) and the
app's own loggers (the Werkzeug dev server's request log, Flask's error log, inbound mail's)
all go through it.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

TOKEN_MASK = "[masked]"
# `<record id>.<43 base64url characters>`, not inside a longer run of such characters. The id
# is kept: it names a record without opening it, and helps to follow a problem through logs.
_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])([0-9]{1,18})\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
# An address token: `[r|i]<record id>.<26 base32 characters>` in a local part
# ("events+r12.<26>@…", "bounces+42.<26>@…"), in any letter case (mail systems change it).
_ADDRESS_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_-])([RrIi]?[0-9]{1,18})\.[A-Za-z2-7]{26}(?![A-Za-z0-9_-])"
)
# Loggers that print reply and bounce addresses: the inbound modules', and aiosmtpd's (the
# SMTP conversation). A filter on a logger does not see its children's records: each is named.
INBOUND_LOGGERS = (
    "app.inbound",
    "app.inbound.commands",
    "app.inbound.imap",
    "app.inbound.processing",
    "app.inbound.server",
    "mail.log",
)


def mask_tokens(text: str) -> str:
    """`text` (a path, a URI, a log line) with every personal-link token masked:
    "/rsvp/12.<43 characters>" becomes "/rsvp/12.[masked]", and an address's
    "events+r12.<26 characters>@…" becomes "events+r12.[masked]@…"."""
    text = _TOKEN.sub(rf"\1.{TOKEN_MASK}", text)
    return _ADDRESS_TOKEN.sub(rf"\1.{TOKEN_MASK}", text)


class TokenMaskingFilter(logging.Filter):
    """Masks tokens in a record's message, arguments included (the Werkzeug request line is
    an argument, and so is any request object whose text holds a path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def mask_tokens_in(logger: logging.Logger) -> None:
    """Add the filter to `logger`, once however many apps are created in one process."""
    if not any(isinstance(f, TokenMaskingFilter) for f in logger.filters):
        logger.addFilter(TokenMaskingFilter())


def register_log_masking(app: Flask) -> None:
    """The app's error log, the dev server's request log (`flask run`) and inbound mail's
    logs (`flask receive-mail`) mask tokens.

    A logger's filters apply to what is logged to it by name, so each logger gets its own.
    """
    mask_tokens_in(app.logger)
    mask_tokens_in(logging.getLogger("werkzeug"))
    for name in INBOUND_LOGGERS:
        mask_tokens_in(logging.getLogger(name))

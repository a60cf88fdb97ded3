"""Parsing a received email within bounds, for calendar answers and bounces alike.

Python's `email` package parses nested parts in quadratic time, many parts slowly, and some
header values (address lists, encoded words) in time and memory far beyond their size: a
megabyte of crafted mail could hold the single applier for minutes. A calendar answer or a
bounce is a few parts of a few kilobytes, so a message far beyond that is refused: before it is
parsed when its bytes already say so, otherwise before its parts and headers are read.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

MAX_PARTS = 100
MAX_DEPTH = 10  # a multipart inside a multipart … the message itself is depth 0
# Before parsing: lines that may open a part ("--boundary"), and declarations of a part that
# holds others (a boundary, an attached message). A real answer has a few of each.
MAX_DELIMITER_LINES = 4 * MAX_PARTS
_CONTAINER = re.compile(rb"(?i)boundary\*?[0-9]*\*?\s*=|message/")
# The headers read from a message or its parts (app/inbound/itip.py, bounces.py). Others are
# never parsed, so their length does not matter (Exchange's run to kilobytes).
READ_HEADERS = frozenset(
    {
        "from",
        "auto-submitted",
        "precedence",
        "content-type",
        "content-disposition",
        "final-recipient",
        "action",
        "status",
        "diagnostic-code",
    }
)
MAX_HEADER_CHARS = 4000
MAX_READ_HEADER_CHARS = 20_000  # all of them together, in every part


class UnreadableMessage(Exception):
    """The message is too complex to read safely, or too broken to parse."""


def read_message(raw: bytes) -> EmailMessage:
    """`raw` parsed (policy.default), once it is known to hold at most MAX_PARTS parts nested
    at most MAX_DEPTH deep, and headers short enough to read. Raises UnreadableMessage."""
    too_many = f"more than {MAX_PARTS} MIME parts"
    if raw.count(b"\n--") > MAX_DELIMITER_LINES:
        raise UnreadableMessage(too_many)
    if sum(1 for _ in _CONTAINER.finditer(raw)) > MAX_PARTS:
        raise UnreadableMessage(too_many)
    try:
        message = message_from_bytes(raw, policy=policy.default)
    except Exception as error:  # RecursionError, and whatever else broken bytes cause
        raise UnreadableMessage(f"{type(error).__name__}: {error}"[:300]) from error
    _check_structure(message)
    return message


def _check_structure(message: EmailMessage) -> None:
    """Count parts, depth and read headers without parsing a header (raw_items) or walking
    recursively; stop at the first limit passed."""
    stack, parts, header_chars = [(message, 0)], 0, 0
    while stack:
        part, depth = stack.pop()
        parts += 1
        if parts > MAX_PARTS:
            raise UnreadableMessage(f"more than {MAX_PARTS} MIME parts")
        if depth > MAX_DEPTH:
            raise UnreadableMessage(f"MIME parts nested more than {MAX_DEPTH} deep")
        for name, value in part.raw_items():
            if str(name).lower() not in READ_HEADERS:
                continue
            if len(value) > MAX_HEADER_CHARS:
                raise UnreadableMessage(f"a {name} header of {len(value)} characters")
            header_chars += len(value)
        if header_chars > MAX_READ_HEADER_CHARS:
            raise UnreadableMessage("headers too long to read")
        payload = part.get_payload()
        if isinstance(payload, list):  # a multipart, or an attached message
            stack.extend((child, depth + 1) for child in payload)

"""Finding a calendar app's answer (an iTIP REPLY or COUNTER, RFC 5546) in an email.

Clients write it differently, and every shape seen in the wild is read here:

- Google Calendar: a text/calendar part with `method=REPLY` in its Content-Type, the same file
  again as an application/ics attachment, guests in the ATTENDEE's X-NUM-GUESTS and a typed
  note in its X-RESPONSE-COMMENT.
- Outlook and Exchange: METHOD only inside the calendar (sometimes no `method` parameter), no
  ORGANIZER, the note in COMMENT, the attendee's address in another letter case or an alias;
  or no iCalendar at all, but a winmail.dat (app/inbound/tnef.py).
- Apple Calendar: text/calendar with METHOD:REPLY, often an attachment only.

What is returned is only what the answer says; whose answer it is comes from the address it
was sent to (app/inbound/addresses.py), never from the ATTENDEE written in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses

from icalendar import Calendar

from app.inbound.mime import UnreadableMessage, read_message
from app.inbound.tnef import MeetingResponse, UnreadableTnef, read_tnef

METHODS = frozenset({"REPLY", "COUNTER"})
CALENDAR_TYPES = frozenset({"text/calendar", "application/ics", "text/x-vcalendar"})
TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
# SEQUENCE is stored (InboundMessage.reply_sequence, a 32-bit INTEGER): anything beyond is no
# real calendar's.
SEQUENCE_RANGE = range(-(2**31), 2**31)


class NotACalendarReply(Exception):
    """The message holds no calendar answer we can read. `reason` is a code for the organizer
    page (app/inbound/processing.py Reason); `detail` says what was found, for people."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class CalendarReply:
    method: str  # REPLY or COUNTER
    uid: str
    sequence: int
    dtstamp: datetime | None  # in UTC; None if the client left it out
    partstat: str  # ACCEPTED, DECLINED, TENTATIVE … upper case, as written
    attendee_email: str  # as written (any case), "mailto:" removed; may be an alias
    comment: str | None
    guests: int | None  # Google's X-NUM-GUESTS; None when the client does not say
    sender: str = ""  # the address in the message's From header, as written; may be ""


def parse_reply(raw: bytes) -> CalendarReply:
    """The calendar answer in a raw email, from its first part that holds one.

    Raises NotACalendarReply when there is none (a person's typed reply, an auto-reply) or
    what there is cannot be read, or the message is too complex to read (app/inbound/mime.py).
    """
    try:
        message = read_message(raw)
    except UnreadableMessage as error:
        raise NotACalendarReply("unreadable_message", str(error)) from error
    sender = _sender(message)
    first_error: NotACalendarReply | None = None
    for part in _leaf_parts(message):
        try:
            if _is_tnef(part):
                return _from_tnef(_payload(part), sender)
            if _is_calendar(part):
                return _from_calendar(_text(part), part.get_param("method"), sender)
        except NotACalendarReply as error:
            first_error = first_error or error  # a later part may still hold the answer
        except Exception as error:  # the email package trips on some broken headers
            first_error = first_error or NotACalendarReply(
                "unreadable_message", f"{type(error).__name__}: {error}"[:300]
            )
    if first_error is not None:
        raise first_error
    if _is_automatic(message):
        raise NotACalendarReply("auto_reply", "an automatic message (out of office, report)")
    raise NotACalendarReply("no_calendar", "no calendar answer in the message")


def _leaf_parts(message: EmailMessage) -> Iterator[EmailMessage]:
    """The message's non-multipart parts, without going into attached messages: a forwarded
    invitation is not the sender's answer."""
    if message.is_multipart():
        if message.get_content_maintype() == "message":
            return
        for part in message.iter_parts():
            yield from _leaf_parts(part)
    else:
        yield message


def _filename(part: EmailMessage) -> str:
    """The attachment's name (Content-Disposition's filename, else Content-Type's name)."""
    return str(part.get_filename() or "").lower()


def _is_calendar(part: EmailMessage) -> bool:
    return part.get_content_type() in CALENDAR_TYPES or _filename(part).endswith(".ics")


def _is_tnef(part: EmailMessage) -> bool:
    return part.get_content_type() in TNEF_TYPES or _filename(part) == "winmail.dat"


def _header(message: EmailMessage, name: str) -> str:
    """A header's text; "" when absent or too broken for the email package to read."""
    try:
        return str(message.get(name, "")).strip()
    except Exception:  # its parser raises on some malformed values
        return ""


def _is_automatic(message: EmailMessage) -> bool:
    """An out-of-office or other machine reply (RFC 3834), or a delivery report."""
    return (
        _header(message, "Auto-Submitted").lower() not in ("", "no")
        or message.get_content_type() == "multipart/report"
        or "X-Autoreply" in message
        or _header(message, "Precedence").lower() in ("auto_reply", "bulk", "junk")
    )


def _sender(message: EmailMessage) -> str:
    addresses = getaddresses([_header(message, "From")])
    return addresses[0][1] if addresses else ""


def _payload(part: EmailMessage) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _text(part: EmailMessage) -> str:
    data = _payload(part)
    try:
        text = data.decode(part.get_content_charset() or "utf-8")
    except (LookupError, ValueError):  # an unknown or garbled charset
        text = data.decode("utf-8", "replace")
    return text.lstrip("\ufeff")


def _from_calendar(text: str, method_param: str | None, sender: str) -> CalendarReply:
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as error:
        raise NotACalendarReply("unreadable_calendar", str(error)[:300]) from error
    # The calendar's own METHOD decides; Outlook often leaves the Content-Type without one.
    method = str(calendar.get("METHOD") or method_param or "").strip().upper()
    if not method:
        raise NotACalendarReply("no_method", "a calendar file without METHOD: not an answer")
    if method not in METHODS:
        raise NotACalendarReply("unsupported_method", f"METHOD:{method}")
    vevent = next(iter(calendar.walk("VEVENT")), None)
    if vevent is None:
        raise NotACalendarReply("unreadable_calendar", "no VEVENT")
    uid = str(vevent.get("UID") or "").strip()
    if not uid:
        raise NotACalendarReply("unreadable_calendar", "no UID")
    try:
        sequence = int(str(vevent.get("SEQUENCE", 0)).strip())
    except ValueError as error:
        raise NotACalendarReply("unreadable_calendar", "SEQUENCE is not a number") from error
    _check_sequence(sequence)
    attendee = _attendee(vevent.get("ATTENDEE"), sender)
    if attendee is None:
        raise NotACalendarReply("unreadable_calendar", "no ATTENDEE")
    return CalendarReply(
        method=method,
        uid=uid,
        sequence=sequence,
        dtstamp=_stamp(vevent),
        partstat=str(attendee.params.get("PARTSTAT", "NEEDS-ACTION")).strip().upper(),
        attendee_email=_address(attendee),
        comment=_comment(vevent, attendee),
        guests=_guests(attendee.params.get("X-NUM-GUESTS")),
        sender=sender,
    )


def _check_sequence(sequence: int) -> None:
    if sequence not in SEQUENCE_RANGE:
        raise NotACalendarReply("unreadable_calendar", f"SEQUENCE {sequence} is out of range")


def _attendee(value, sender: str):
    """The one answering: a REPLY names one ATTENDEE; if a client names more, the sender's,
    else the first that answered."""
    attendees = value if isinstance(value, list) else [value] if value is not None else []
    if len(attendees) <= 1:
        return attendees[0] if attendees else None
    by_sender = [a for a in attendees if _address(a).casefold() == sender.casefold()]
    answered = [a for a in attendees if a.params.get("PARTSTAT", "NEEDS-ACTION") != "NEEDS-ACTION"]
    return (by_sender or answered or attendees)[0]


def _address(attendee) -> str:
    address = str(attendee).strip()
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:") :]
    return address.strip()


def _stamp(vevent) -> datetime | None:
    if "DTSTAMP" not in vevent:
        return None
    try:
        stamp = vevent.decoded("DTSTAMP")
    except (ValueError, TypeError):
        return None
    if not isinstance(stamp, datetime):
        return None  # a date alone orders nothing
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _comment(vevent, attendee) -> str | None:
    comments = vevent.get("COMMENT")
    comments = comments if isinstance(comments, list) else [comments] if comments else []
    text = "\n".join(str(c).strip() for c in comments if str(c).strip())
    # Google puts the note on the attendee instead.
    text = text or str(attendee.params.get("X-RESPONSE-COMMENT", "")).strip()
    return text or None


def _guests(value) -> int | None:
    if value is None:
        return None
    try:
        return max(int(str(value).strip()), 0)
    except ValueError:
        return None


def _from_tnef(data: bytes, sender: str) -> CalendarReply:
    try:
        contents = read_tnef(data)
    except UnreadableTnef as error:
        raise NotACalendarReply("unreadable_tnef", str(error)[:300]) from error
    for calendar in contents.calendars:
        try:
            return _from_calendar(calendar.decode("utf-8", "replace"), None, sender)
        except NotACalendarReply:
            continue
    if contents.response is None:
        raise NotACalendarReply(
            "tnef_without_calendar", "a winmail.dat that is not a meeting response"
        )
    return _from_meeting_response(contents.response, sender)


def _from_meeting_response(response: MeetingResponse, sender: str) -> CalendarReply:
    if not response.uid:
        raise NotACalendarReply(
            "tnef_without_calendar", "a meeting response that does not name its meeting"
        )
    _check_sequence(response.sequence)
    return CalendarReply(
        method="COUNTER" if response.counter else "REPLY",
        uid=response.uid,
        sequence=response.sequence,
        dtstamp=response.stamp,
        partstat=response.partstat,
        attendee_email=response.sender or sender,
        comment=response.note,
        guests=None,
        sender=sender,
    )

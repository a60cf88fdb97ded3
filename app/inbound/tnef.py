"""Exchange's winmail.dat (application/ms-tnef), read for a calendar answer, best effort.

Exchange sends some meeting responses as TNEF instead of iCalendar: a MAPI message whose class
says the answer (IPM.Schedule.Meeting.Resp.Pos/Neg/Tent) and whose named properties carry the
meeting's identity. An iCalendar file attached inside the TNEF is used first when there is one.
The MAPI meanings come from Microsoft's [MS-OXOCAL] and [MS-OXCICAL].

tnefparse trusts the counts written in the file (a 40-byte winmail.dat can make it loop for
hours, logging as it goes), so `read_tnef` never parses in the applier's process: this module
runs itself as a child (`python -I app/inbound/tnef.py`) under a CPU limit and a timeout, and
reads its answer as JSON. It therefore imports nothing from the app: loading the app would cost
the child most of its CPU allowance.
"""

from __future__ import annotations

import base64
import json
import logging
import resource
import struct
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tnefparse.tnef import TNEF

# A winmail.dat holding a meeting response is a few kilobytes; a larger one is not read.
MAX_TNEF_BYTES = 2 * 1024 * 1024
# The child's allowance: CPU seconds (the kernel stops it), and seconds in all (it is killed).
CHILD_CPU_SECONDS = 3
CHILD_TIMEOUT_SECONDS = 5
CHILD_MEMORY_BYTES = 512 * 1024 * 1024

# Property sets of the named properties read here.
PSETID_MEETING = uuid.UUID("6ED8DA90-450B-101B-98DA-00AA003F1305")
PSETID_APPOINTMENT = uuid.UUID("00062002-0000-0000-C000-000000000046")

_GLOBAL_OBJECT_ID = (PSETID_MEETING, 0x0003)  # PidLidGlobalObjectId
_CLEAN_GLOBAL_OBJECT_ID = (PSETID_MEETING, 0x0023)  # PidLidCleanGlobalObjectId
_ATTENDEE_CRITICAL_CHANGE = (PSETID_MEETING, 0x0001)  # a reply's DTSTAMP
_SEQUENCE = (PSETID_APPOINTMENT, 0x8201)  # PidLidAppointmentSequence
_COUNTER_PROPOSAL = (PSETID_APPOINTMENT, 0x8257)  # PidLidAppointmentCounterProposal

_MESSAGE_CLASS = 0x001A
_CLIENT_SUBMIT_TIME = 0x0039
_SENDER_ADDRESSES = (0x5D01, 0x5D02, 0x0C1F, 0x0065)  # sender and "sent representing" SMTP first
_ATT_MESSAGE_CLASS = 0x8008

_PARTSTATS = {
    "IPM.SCHEDULE.MEETING.RESP.POS": "ACCEPTED",
    "IPM.SCHEDULE.MEETING.RESP.NEG": "DECLINED",
    "IPM.SCHEDULE.MEETING.RESP.TENT": "TENTATIVE",
}

# A GlobalObjectId starts with this class id; an event made outside Exchange (ours) carries its
# iCalendar UID after the "vCal-Uid" marker.
_OBJECT_ID_CLASS = bytes.fromhex("040000008200E00074C5B7101A82E008")
_VCAL_UID = b"vCal-Uid\x01\x00\x00\x00"


class UnreadableTnef(Exception):
    """The winmail.dat is not TNEF, or is cut short."""


@dataclass(frozen=True)
class MeetingResponse:
    """What a TNEF meeting response says, in iCalendar's terms."""

    partstat: str
    counter: bool  # "propose new time"
    uid: str | None
    sequence: int
    stamp: datetime | None
    sender: str | None  # an SMTP address; None when Exchange gave only its own kind
    note: str | None  # the text typed with the answer


@dataclass(frozen=True)
class TnefContents:
    calendars: list[bytes] = field(default_factory=list)  # attached .ics files
    response: MeetingResponse | None = None


def read_tnef(data: bytes) -> TnefContents:
    """The calendar content of a winmail.dat: attached iCalendar files, and the meeting
    response its MAPI properties describe, if it is one. Parsed in a child process with
    limited CPU, memory and time; raises UnreadableTnef for a file too large, malformed, or
    that the child could not read within its limits."""
    if len(data) > MAX_TNEF_BYTES:
        raise UnreadableTnef(f"larger than {MAX_TNEF_BYTES // (1024 * 1024)} MB")
    try:
        child = subprocess.run(
            [sys.executable, "-I", __file__],
            input=data,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # the child reports errors on stdout; nothing else counts
            timeout=CHILD_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise UnreadableTnef(f"not read within {CHILD_TIMEOUT_SECONDS} seconds") from error
    try:
        answer = json.loads(child.stdout)
    except ValueError:
        answer = None
    if child.returncode != 0 or not isinstance(answer, dict):
        # Stopped at its CPU limit (a signal: negative), out of memory, or crashed.
        raise UnreadableTnef(
            f"too costly or too broken to read (the reader ended with status {child.returncode})"
        )
    if "error" in answer:
        raise UnreadableTnef(str(answer["error"]))
    return _contents_from_json(answer)


def parse_tnef(data: bytes) -> TnefContents:
    """What read_tnef returns, parsed in this process: only for the child, or for a file
    known to be harmless."""
    try:
        tnef = TNEF(data, do_checksum=False)
    except Exception as error:  # tnefparse fails in many ways on a cut or odd file
        raise UnreadableTnef(f"{type(error).__name__}: {error}") from error
    calendars = [
        attachment.data
        for attachment in tnef.attachments
        if isinstance(attachment.data, bytes)
        and (
            str(attachment.long_filename()).lower().endswith(".ics")
            or attachment.data.lstrip().upper().startswith(b"BEGIN:VCALENDAR")
        )
    ]
    return TnefContents(calendars, _meeting_response(tnef))


def _contents_to_json(contents: TnefContents) -> dict:
    response = contents.response
    return {
        "calendars": [base64.b64encode(c).decode() for c in contents.calendars],
        "response": None
        if response is None
        else {
            "partstat": response.partstat,
            "counter": response.counter,
            "uid": response.uid,
            "sequence": response.sequence,
            "stamp": response.stamp.isoformat() if response.stamp else None,
            "sender": response.sender,
            "note": response.note,
        },
    }


def _contents_from_json(answer: dict) -> TnefContents:
    try:
        calendars = [base64.b64decode(c) for c in answer["calendars"]]
        response = answer["response"]
        if response is not None:
            stamp = response["stamp"]
            response = MeetingResponse(
                partstat=str(response["partstat"]),
                counter=bool(response["counter"]),
                uid=response["uid"],
                sequence=int(response["sequence"]),
                stamp=datetime.fromisoformat(stamp) if stamp else None,
                sender=response["sender"],
                note=response["note"],
            )
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableTnef(f"the reader's answer is malformed: {error}") from error
    return TnefContents(calendars, response)


def _child() -> None:
    """The child's side: a winmail.dat on stdin, its contents as JSON on stdout."""
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    logging.getLogger("tnefparse").setLevel(logging.ERROR)  # it warns once per bad property
    data = sys.stdin.buffer.read(MAX_TNEF_BYTES + 1)
    try:
        answer = _contents_to_json(parse_tnef(data))
    except UnreadableTnef as error:
        answer = {"error": str(error)}
    json.dump(answer, sys.stdout)


def _meeting_response(tnef: TNEF) -> MeetingResponse | None:
    named = {(p.guid, p.guid_prop): p for p in tnef.mapiprops if p.guid_prop is not None}
    tagged = {p.name: p for p in tnef.mapiprops if not p.guid}
    message_class = next(
        (str(o.data) for o in tnef.msgprops if o.name == _ATT_MESSAGE_CLASS),
        _data(tagged.get(_MESSAGE_CLASS)),
    )
    partstat = _PARTSTATS.get(str(message_class or "").strip().upper())
    if partstat is None:
        return None
    object_id = named.get(_GLOBAL_OBJECT_ID) or named.get(_CLEAN_GLOBAL_OBJECT_ID)
    sequence = _data(named.get(_SEQUENCE))
    stamp = _data(named.get(_ATTENDEE_CRITICAL_CHANGE)) or _data(tagged.get(_CLIENT_SUBMIT_TIME))
    sender = next(
        (
            address
            for tag in _SENDER_ADDRESSES
            if "@" in (address := str(_data(tagged.get(tag)) or ""))
        ),
        None,
    )
    body = tnef.body.decode("cp1252", "replace") if isinstance(tnef.body, bytes) else tnef.body
    return MeetingResponse(
        partstat=partstat,
        counter=bool(_data(named.get(_COUNTER_PROPOSAL))),
        uid=_uid(object_id.raw_data[0]) if object_id is not None and object_id.raw_data else None,
        sequence=sequence if isinstance(sequence, int) else 0,
        stamp=stamp.replace(tzinfo=UTC) if isinstance(stamp, datetime) else None,
        sender=sender.strip().lower() if sender else None,
        note=(body or "").strip("\x00").strip() or None,
    )


def _data(prop):
    """A property's value; None for a missing or undecodable one."""
    if prop is None:
        return None
    try:
        return prop.data
    except (ValueError, struct.error, OverflowError):
        return None


def _uid(object_id: bytes) -> str | None:
    """The iCalendar UID in a GlobalObjectId ([MS-OXOCAL] 2.2.1.27): the text after
    "vCal-Uid" for an event made elsewhere, otherwise the whole id in hexadecimal, as Outlook
    writes it into the UID of the iCalendar it exports."""
    if not object_id.startswith(_OBJECT_ID_CLASS) or len(object_id) < 40:
        return None
    size = int.from_bytes(object_id[36:40], "little")
    payload = object_id[40 : 40 + size]
    if payload.startswith(_VCAL_UID):
        return payload[len(_VCAL_UID) :].split(b"\x00", 1)[0].decode("utf-8", "replace") or None
    clean = object_id[:16] + b"\x00\x00\x00\x00" + object_id[20 : 40 + size]
    return clean.hex().upper()


if __name__ == "__main__":
    _child()

"""Security lists: an organizer turns one on for an event's venue; attendees give their details
with their answer, and may correct them.

Plain functions over models: they flush, never commit, and raise the errors of errors.py (or
EncryptionUnavailable) for views to say. Details are personal data of the strictest kind: no
function here logs, audits or returns them in an error message; audit entries name the list's
settings and counts only.

`SecurityDetails.values` holds the list's field keys (app/security_lists/venues.py), only those
given, each a string:
    given_names, paternal_surname, maternal_surname, organization, plate_region,
    vehicle_make, vehicle_colour   text, single spaces, trimmed
    birth_date, id_expiry          "YYYY-MM-DD"
    nationality                    ISO 3166 alpha-2 code, "MX"
    id_type                        an IdType value: passport, us_passport_card, ine, sentri,
                                   bcc, drivers_licence
    id_number, plate               upper case, without spaces or dashes
An optional field left blank (maternal_surname; the vehicle's, for who comes on foot) is
absent, and so is a field the organizer added after the person answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, inspect

from app.audit import services as audit
from app.events.models import Event
from app.extensions import db
from app.privacy.encryption import EncryptionUnavailable, encryption_available
from app.rsvps.errors import ClosedReason, DetailsRequired, RsvpsClosed
from app.rsvps.models import Rsvp
from app.security_lists import venues
from app.security_lists.errors import (
    ConsentMissing,
    DueAfterStart,
    NoFieldsChosen,
    NoSecurityList,
    NotAttending,
)
from app.security_lists.models import SecurityDetails, SecurityList, VenueTemplate
from app.security_lists.queries import (
    collects_details,
    details_ids,
    has_details,
    security_list_of,
)
from app.security_lists.validation import clean_details

if TYPE_CHECKING:
    from app.accounts.models import User


@dataclass(frozen=True)
class GivenDetails:
    """Details as typed into a form, and the privacy notice version the person accepted with
    them (None: they did not tick the box). Never shown in a repr: they may reach a log."""

    values: dict[str, str] = field(repr=False)
    notice_version: int | None


def last_day(event: Event) -> date:
    """The event's last local day: a document must still be valid on it."""
    return event.ends_at.astimezone(event.zone).date()


def _clean(security_list: SecurityList, rsvp_organization: str, values: dict, now: datetime):
    """The details for the list's fields, checked (InvalidDetails) and normalised. The
    organization is the RSVP's own: it is not typed twice."""
    event = security_list.event
    typed = {**values, venues.ORGANIZATION: rsvp_organization}
    return clean_details(
        security_list.fields,
        typed,
        today=now.astimezone(event.zone).date(),
        event_day=last_day(event),
    )


def check_answer_details(
    event: Event, given: GivenDetails | None, now: datetime, organization: str
) -> None:
    """An attending answer's details, checked before anything is looked up or stored: every
    answer from a form gets the same reply, whether or not its address has answered before.

    Raises DetailsRequired when the venue asks for them and none came, ConsentMissing without
    the notice's version, InvalidDetails when a value cannot be right.
    """
    security_list = collects_details(event)
    if security_list is None:
        return
    if given is None:
        raise DetailsRequired()
    if not given.notice_version:
        raise ConsentMissing()
    _clean(security_list, organization, given.values, now)


def take_details(rsvp: Rsvp, given: GivenDetails | None, now: datetime) -> None:
    """Record the details that came with an attending answer, when the event's list asks
    for them (otherwise there is nothing to keep)."""
    if given is None or collects_details(rsvp.event) is None:
        return
    if not given.notice_version:
        raise ConsentMissing()
    record_details(rsvp, given.values, given.notice_version, now)


def record_details(rsvp: Rsvp, values: dict, notice_version: int, now: datetime) -> SecurityDetails:
    """Store (or replace) the attendee's details for their event's list, with the version of
    the privacy notice they accepted. Checked and normalised first (InvalidDetails); refused
    without a list (NoSecurityList), consent (ConsentMissing) or a key (EncryptionUnavailable)."""
    if not encryption_available():
        raise EncryptionUnavailable("DATA_ENCRYPTION_KEYS is not set")
    security_list = security_list_of(rsvp.event)
    if security_list is None:
        raise NoSecurityList()
    if not notice_version:
        raise ConsentMissing()
    cleaned = _clean(security_list, rsvp.organization, values, now)
    details = rsvp.security_details
    if details is None:
        details = SecurityDetails(values=cleaned, notice_version=notice_version, consented_at=now)
        rsvp.security_details = details
    else:
        details.values = cleaned
        details.notice_version = notice_version
        details.consented_at = now
    db.session.flush()
    return details


def correct_details(
    rsvp: Rsvp, values: dict, notice_version: int, now: datetime
) -> SecurityDetails:
    """The attendee corrects their details from their personal page, or gives them there once
    their answer can no longer change: until the event starts, while they are coming. The page
    never shows the whole ID number, so a blank one keeps the number on record."""
    event = rsvp.event
    if event.is_cancelled:
        raise RsvpsClosed(ClosedReason.CANCELLED)
    if now >= event.starts_at:
        raise RsvpsClosed(ClosedReason.STARTED)
    if not rsvp.status.is_attending:
        raise NotAttending()
    kept = kept_number(rsvp, values)
    return record_details(rsvp, kept, notice_version, now)


def kept_number(rsvp: Rsvp, values: dict) -> dict:
    """`values` with the ID number on record in place of a blank one."""
    if (values.get(venues.ID_NUMBER) or "").strip():
        return values
    stored = stored_details(rsvp) or {}
    if venues.ID_NUMBER not in stored:
        return values
    return {**values, venues.ID_NUMBER: stored[venues.ID_NUMBER]}


def stored_details(rsvp: Rsvp) -> dict[str, str] | None:
    """The attendee's details on record, decrypted; None without any (or without a key to open
    them)."""
    if not encryption_available() or not has_details(rsvp):
        return None
    return dict(rsvp.security_details.values)


def missing_fields(security_list: SecurityList, values: dict[str, str]) -> list[str]:
    """Fields the list asks that the details lack and must have (an organizer added them)."""
    return [
        key
        for key in security_list.fields
        if key not in values and key not in venues.OPTIONAL_FIELDS
    ]


def require_details(event: Event, rsvp: Rsvp, attending: bool = True) -> None:
    """Attending an event whose venue keeps a security list needs details on record
    (DetailsRequired). Without a key none are asked, and so none are needed."""
    if attending and collects_details(event) is not None and not has_details(rsvp):
        raise DetailsRequired()


def forget_details(rsvp: Rsvp) -> bool:
    """Delete the attendee's details: someone not coming is no visitor of the venue. Works
    without a key (nothing is decrypted). Returns whether there were any."""
    if not has_details(rsvp):
        return False
    if "security_details" in inspect(rsvp).dict:
        rsvp.security_details = None  # delete-orphan
    else:
        db.session.execute(delete(SecurityDetails).where(SecurityDetails.rsvp_id == rsvp.id))
    db.session.flush()
    return True


# The organizer's side


def configure_list(
    event: Event,
    *,
    template: VenueTemplate,
    vehicle: bool,
    fields: list[str] | None,
    due_at: datetime | None,
    actor: User | None = None,
) -> SecurityList:
    """Turn the event's list on, or change it. `fields` None asks every field of the template
    (and vehicle add-on); otherwise those of them chosen, in the template's order.

    Values of fields no longer asked are deleted from everyone's details at once. Logged for
    `actor` with the list's settings. Refused without a key (EncryptionUnavailable), without
    fields (NoFieldsChosen), or due once the event has begun (DueAfterStart).
    """
    if not encryption_available():
        raise EncryptionUnavailable("DATA_ENCRYPTION_KEYS is not set")
    if fields is None:
        chosen = list(venues.template_fields(template, vehicle))
    else:
        chosen = venues.chosen_fields(template, vehicle, fields)
    if not chosen:
        raise NoFieldsChosen()
    if due_at is not None and due_at >= event.starts_at:
        raise DueAfterStart()
    security_list = security_list_of(event)
    settings = {
        "template": template.value,
        "vehicle": vehicle,
        "fields": " ".join(chosen),
        "due_at": due_at.isoformat() if due_at else None,
    }
    if security_list is None:
        security_list = SecurityList(event=event)
        db.session.add(security_list)
        before = None
    else:
        before = _settings(security_list)
        _drop_values(event, set(security_list.fields) - set(chosen))
    security_list.template = template
    security_list.vehicle = vehicle
    security_list.fields = chosen
    security_list.due_at = due_at
    db.session.flush()
    if before is None:
        audit.log_action(actor, "created", "security_list", event, event.title_en, **settings)
    else:
        changed = {key: value for key, value in settings.items() if before[key] != value}
        if changed:
            audit.log_action(actor, "updated", "security_list", event, event.title_en, **changed)
    return security_list


def _settings(security_list: SecurityList) -> dict[str, object]:
    return {
        "template": security_list.template.value,
        "vehicle": security_list.vehicle,
        "fields": " ".join(security_list.fields),
        "due_at": security_list.due_at.isoformat() if security_list.due_at else None,
    }


def _drop_values(event: Event, keys: set[str]) -> None:
    """Delete the values of `keys` from every attendee's details: not asked, not kept."""
    if not keys:
        return
    for details_id in details_ids(event):
        details = db.session.get(SecurityDetails, details_id)
        if keys & details.values.keys():
            details.values = {k: v for k, v in details.values.items() if k not in keys}


def turn_off(event: Event, *, actor: User | None = None) -> int:
    """Delete the event's list and every attendee's details for it; returns how many people's
    details were deleted. Works without a key: nothing is decrypted."""
    security_list = security_list_of(event)
    if security_list is None:
        raise NoSecurityList()
    ids = details_ids(event)
    if ids:
        db.session.execute(delete(SecurityDetails).where(SecurityDetails.id.in_(ids)))
    db.session.delete(security_list)
    db.session.flush()
    audit.log_action(
        actor,
        "deleted",
        "security_list",
        event,
        event.title_en,
        template=security_list.template.value,
        details_deleted=len(ids),
    )
    return len(ids)

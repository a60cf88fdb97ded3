"""Reading a security list out, for the organizers allowed to (app/security_lists/access.py):
who gave details and who is missing, and the CSV and Excel files sent to the venue.

Decrypted values exist only in memory while a page or file is made. The Excel workbook is built
in memory, not in openpyxl's write-only mode, which spills rows to a temporary file on disk: a
list is a venue's visitors, a few hundred rows at most. Nothing here logs a value.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from babel import Locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.extensions import db
from app.i18n import current_language
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.names import last_name_key
from app.security_lists import venues
from app.security_lists.labels import ID_TYPE_LABELS
from app.security_lists.models import SecurityDetails, SecurityList
from app.security_lists.services import missing_fields
from app.security_lists.validation import ID_TYPES, IdType
from app.spreadsheets import csv_text, xlsx_text

LISTED = (RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED)
COLUMN_WIDTH = 22  # Excel, in characters


@dataclass(frozen=True)
class ListEntry:
    """One confirmed or waitlisted attendee, with their details if they gave them."""

    rsvp_id: int
    name: str
    organization: str
    status: RsvpStatus
    values: dict[str, str] | None  # decrypted; None while they have given none
    missing: tuple[str, ...] = ()  # fields asked since they answered, which they must give

    @property
    def given(self) -> bool:
        return self.values is not None

    @property
    def complete(self) -> bool:
        return self.given and not self.missing


@dataclass(frozen=True)
class Progress:
    """How far the list is: the event page's line."""

    complete: int  # confirmed attendees with every detail the list asks
    confirmed: int
    due_at: datetime | None

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and now > self.due_at and self.complete < self.confirmed


@dataclass(frozen=True)
class ListContents:
    security_list: SecurityList
    confirmed: list[ListEntry]
    waitlisted: list[ListEntry]

    @property
    def exported(self) -> list[ListEntry]:
        """What goes to the venue: the confirmed attendees who gave details (someone still
        missing a field the organizer added since has it blank, and the page says so)."""
        return [entry for entry in self.confirmed if entry.given]

    @property
    def progress(self) -> Progress:
        complete = sum(entry.complete for entry in self.confirmed)
        return Progress(complete, len(self.confirmed), self.security_list.due_at)


def list_contents(security_list: SecurityList) -> ListContents:
    """Every confirmed and waitlisted attendee by last name, with their decrypted details.

    Raises cryptography's InvalidToken, or EncryptionUnavailable, when the configured keys
    cannot open the details (app/privacy/encryption.py).
    """
    rows = db.session.execute(
        db.select(
            Rsvp.id,
            Rsvp.name,
            Rsvp.language,
            Rsvp.organization,
            Rsvp.status,
            SecurityDetails.values,  # decrypted by its column type as the row is read
        )
        .outerjoin(SecurityDetails, SecurityDetails.rsvp_id == Rsvp.id)
        .where(Rsvp.event_id == security_list.event_id, Rsvp.status.in_(LISTED))
    ).all()
    rows.sort(key=lambda row: last_name_key(row.name, row.language))
    entries = [
        ListEntry(
            row.id,
            row.name,
            row.organization,
            row.status,
            row.values,
            tuple(missing_fields(security_list, row.values)) if row.values is not None else (),
        )
        for row in rows
    ]
    return ListContents(
        security_list=security_list,
        confirmed=[e for e in entries if e.status is RsvpStatus.CONFIRMED],
        waitlisted=[e for e in entries if e.status is RsvpStatus.WAITLISTED],
    )


def progress(security_list: SecurityList) -> Progress:
    """Counts only, for the event page; the details are decrypted to tell complete ones (a
    field added to the list since someone answered), but nothing of them leaves here."""
    return list_contents(security_list).progress


# Column titles for the venue's file, about the visitor rather than to them (the form's labels,
# app/security_lists/labels.py, say "as on your ID" and the like).
COLUMN_TITLES = {
    venues.GIVEN_NAMES: _l("Given names"),
    venues.PATERNAL_SURNAME: _l("First surname"),
    venues.MATERNAL_SURNAME: _l("Second surname"),
    venues.BIRTH_DATE: _l("Date of birth"),
    venues.NATIONALITY: _l("Nationality"),
    venues.ORGANIZATION: _l("Organization"),
    venues.ID_TYPE: _l("ID type"),
    venues.ID_NUMBER: _l("ID number"),
    venues.ID_EXPIRY: _l("ID expiry date"),
    venues.PLATE: _l("License plate"),
    venues.PLATE_REGION: _l("Plate state or country"),
    venues.VEHICLE_MAKE: _l("Vehicle make and model"),
    venues.VEHICLE_COLOUR: _l("Vehicle color"),
}


def field_label(key: str) -> str:
    """A venue field's column title in the reader's language."""
    return str(COLUMN_TITLES.get(key, key))


def field_value(key: str, value: str | None) -> str:
    """A stored value as the venue reads it: the ID type and nationality by name, in the
    reader's language; dates stay YYYY-MM-DD, which no one on either side of the border
    misreads."""
    if not value:
        return ""
    if key == venues.ID_TYPE and value in ID_TYPES:
        return str(ID_TYPE_LABELS[IdType(value)])
    if key == venues.NATIONALITY:
        return Locale.parse(current_language()).territories.get(value, value)
    return value


def venue_fields(security_list: SecurityList) -> list[str]:
    """The list's fields in its order, but the organization: it is the RSVP's own
    (venues.FROM_RSVP), already in the second column."""
    return [key for key in security_list.fields if key not in venues.FROM_RSVP]


def header(security_list: SecurityList) -> list[str]:
    """Name and organization, then the venue's fields in the list's order."""
    return [_("Name"), _("Organization")] + [field_label(k) for k in venue_fields(security_list)]


def _table(contents: ListContents) -> tuple[list[str], list[list[str]]]:
    fields = venue_fields(contents.security_list)
    rows = [
        [entry.name, entry.organization]
        + [field_value(key, entry.values.get(key)) for key in fields]
        for entry in contents.exported
    ]
    return header(contents.security_list), rows


def csv_bytes(contents: ListContents) -> bytes:
    """UTF-8 with a BOM, so Excel reads accents; every cell as text, formulas defused."""
    titles, rows = _table(contents)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(titles)
    writer.writerows([csv_text(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode()


def xlsx_bytes(contents: ListContents) -> bytes:
    """One sheet, header row bold and frozen. Every value is a text cell, so an ID number keeps
    its leading zeros and a date of birth stays the ISO date it was given."""
    titles, rows = _table(contents)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Security list")[:31]
    sheet.freeze_panes = "A2"
    sheet.append(titles)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index in range(1, len(titles) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTH
    for row in rows:
        sheet.append([xlsx_text(sheet, value) for value in row])
    target = io.BytesIO()
    workbook.save(target)
    return target.getvalue()

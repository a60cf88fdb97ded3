"""Attendee exports: CSV and Excel, streamed so that 100,000 RSVPs never sit in memory at once.

Rows come from the database in batches (`yield_per`) as plain column tuples, not ORM objects,
and leave as soon as they are written: CSV in chunks of the HTTP response, Excel through
openpyxl's write-only mode, which spills rows to a temporary file.
"""

from __future__ import annotations

import csv
import enum
import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.engine import Row

from app.events.models import Event
from app.extensions import db
from app.rsvps.attendee_list import AttendeeFilters, attendees_query
from app.rsvps.checkin import is_placeholder_email
from app.rsvps.labels import STATUS_LABELS
from app.rsvps.models import Rsvp
from app.spreadsheets import csv_text, xlsx_text

BATCH = 1000  # rows fetched from the database at a time
CSV_CHUNK = 64 * 1024  # characters gathered before a chunk goes out
CSV_DATETIME = "%Y-%m-%d %H:%M"  # Excel reads this as a date and time
EXCEL_DATETIME = "yyyy-mm-dd hh:mm"


class Kind(enum.Enum):
    TEXT = "text"
    EMAIL = "email"
    NUMBER = "number"
    STATUS = "status"
    YES_NO = "yes_no"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    key: str  # the Rsvp attribute
    label: Any  # a lazy string, translated when the export is made
    width: int  # Excel column width, in characters
    kind: Kind = Kind.TEXT
    private: bool = False  # left out of exports for the host


# Organizers get everything. The host gets what badges and security lists need: who, from
# where, with how many guests; contact details, needs and bookkeeping stay with organizers.
COLUMNS = (
    Column("name", _l("Name"), 28),
    Column("email", _l("Email"), 32, Kind.EMAIL, private=True),
    Column("organization", _l("Organization"), 30),
    Column("job_title", _l("Job title"), 24),
    Column("phone", _l("Phone"), 18, private=True),
    Column("status", _l("Status"), 14, Kind.STATUS),
    Column("guests", _l("Guests"), 8, Kind.NUMBER),
    Column("language", _l("Language"), 10, private=True),
    Column("needs", _l("Accessibility or dietary needs"), 40, private=True),
    Column("share_with_host", _l("Shared with host"), 12, Kind.YES_NO, private=True),
    Column("checked_in_at", _l("Checked in"), 18, Kind.DATETIME),
    Column("created_at", _l("RSVP received"), 18, Kind.DATETIME, private=True),
)


def columns_for(filters: AttendeeFilters) -> tuple[Column, ...]:
    return tuple(c for c in COLUMNS if not (filters.for_host and c.private))


def header(columns: tuple[Column, ...], event: Event) -> list[str]:
    """Column titles; times say their zone, since spreadsheets have none."""
    return [
        f"{c.label} ({event.timezone})" if c.kind is Kind.DATETIME else str(c.label)
        for c in columns
    ]


def export_rows(
    event: Event, filters: AttendeeFilters, columns: tuple[Column, ...]
) -> Iterator[Row]:
    """The filtered RSVPs as column tuples, fetched `BATCH` at a time from a server-side cursor."""
    selected = [getattr(Rsvp, c.key) for c in columns]
    query = attendees_query(event, filters).with_only_columns(*selected)
    yield from db.session.execute(query.execution_options(yield_per=BATCH))


Cell = Callable[[Any], Any]


def _cell_makers(columns: tuple[Column, ...], event: Event, text: Cell, moment: Cell) -> list[Cell]:
    """One function per column from database value to cell value. Labels are translated and
    everything else decided once per export, not once per row."""
    statuses = {status: str(label) for status, label in STATUS_LABELS.items()}
    yes, no = _("Yes"), _("No")
    zone = event.zone

    def local(value: datetime | None) -> Any:
        # Spreadsheets have no time zones: the event's wall-clock time, without a zone.
        return None if value is None else moment(value.astimezone(zone).replace(tzinfo=None))

    makers = {
        Kind.TEXT: text,
        Kind.EMAIL: lambda value: "" if is_placeholder_email(value) else text(value),
        Kind.NUMBER: lambda value: value,
        Kind.STATUS: statuses.__getitem__,
        Kind.YES_NO: lambda value: yes if value else no,
        Kind.DATETIME: local,
    }
    return [makers[c.kind] for c in columns]


def csv_chunks(event: Event, filters: AttendeeFilters) -> Iterator[str]:
    """The CSV file in pieces: a BOM so Excel reads UTF-8 (accents), then header and rows."""
    columns = columns_for(filters)
    makers = _cell_makers(
        columns,
        event,
        text=csv_text,
        moment=lambda value: value.strftime(CSV_DATETIME),
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header(columns, event))
    for row in export_rows(event, filters, columns):
        writer.writerow([make(value) for make, value in zip(makers, row, strict=True)])
        if buffer.tell() >= CSV_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(event: Event, filters: AttendeeFilters, target: IO[bytes]) -> None:
    """Write the Excel workbook to `target`: header row frozen, widths set, real date cells.

    Write-only mode needs the frozen pane and widths before the first row, so widths are fixed
    per column rather than measured from the data (which would mean reading it twice).
    """
    columns = columns_for(filters)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Attendees")[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)
    titles = []
    for title in header(columns, event):
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        titles.append(cell)
    sheet.append(titles)

    def text(value: str | None) -> Any:
        return xlsx_text(sheet, value)

    def moment(value: datetime) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = EXCEL_DATETIME
        return cell

    makers = _cell_makers(columns, event, text=text, moment=moment)
    for row in export_rows(event, filters, columns):
        sheet.append([make(value) for make, value in zip(makers, row, strict=True)])
    workbook.save(target)


def xlsx_file(event: Event, filters: AttendeeFilters) -> IO[bytes]:
    """The workbook in an anonymous temporary file, rewound, ready to stream back and deleted
    when closed."""
    # Not a `with` block: the response closes (and so deletes) the file once it is sent.
    target = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        write_xlsx(event, filters, target)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target

"""Text that is safe to put in a spreadsheet cell, whoever typed it.

A spreadsheet runs a cell that starts with "=", "+", "-", "@" (or a tab or carriage return) as
a formula or DDE command (OWASP "CSV injection"); such text is kept as text. Used by every
export: attendee lists (app/organizer/exports.py) and security lists (app/security_lists).
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str | None) -> str:
    """For a CSV cell: a leading apostrophe makes a would-be formula plain text."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def xlsx_text(sheet: Worksheet, value: str | None) -> Any:
    """For an Excel cell: without the control characters openpyxl refuses, and a would-be
    formula as a text cell marked the way Excel marks text typed after an apostrophe."""
    if not value:
        return None
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith(FORMULA_TRIGGERS):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell

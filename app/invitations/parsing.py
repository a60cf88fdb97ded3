"""Reading invitee lists the way organizers have them: pasted lines or a CSV file.

Pure functions from text to entries, one entry per line (or CSV row) with its number, so the
organizer can be told exactly which line was not understood and why. Nothing here touches the
database: whether someone is already invited is decided by `services.invite`.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

MAX_ENTRIES = 1000  # a board or a coalition, not a mailing list
MAX_NAME_LENGTH = 120  # Invitation.name

# Codes accepted at the end of a pasted line; a CSV language column also takes the names.
LANGUAGE_CODES = {"en": "en", "es": "es"}
LANGUAGE_NAMES = LANGUAGE_CODES | {
    "english": "en",
    "inglés": "en",
    "ingles": "en",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
}

# CSV headers, compared case-insensitively. Split names ("first name", "apellido") are joined.
NAME_HEADERS = {
    "name",
    "full name",
    "first name",
    "given name",
    "last name",
    "surname",
    "family name",
    "nombre",
    "nombres",
    "nombre completo",
    "apellido",
    "apellidos",
}
EMAIL_HEADERS = {
    "email",
    "e-mail",
    "email address",
    "e-mail address",
    "mail",
    "correo",
    "correo electrónico",
    "correo electronico",
    "correo-e",
}
LANGUAGE_HEADERS = {"language", "lang", "idioma", "lengua"}
HEADERS = NAME_HEADERS | EMAIL_HEADERS | LANGUAGE_HEADERS

# Something that looks like an address; validate_email() decides whether it is one.
_EMAIL_TOKEN = re.compile(r"[^\s<>,;\"]+@[^\s<>,;\"]+")
_SEPARATORS = re.compile(r"[,;\t]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


class LineProblem(enum.StrEnum):
    """Why one line was not read as an invitee."""

    NO_EMAIL = "no_email"
    SEVERAL_EMAILS = "several_emails"
    INVALID_EMAIL = "invalid_email"
    STRAY_BRACKETS = "stray_brackets"
    NAME_TOO_LONG = "name_too_long"
    CONTROL_CHARACTERS = "control_characters"
    UNKNOWN_LANGUAGE = "unknown_language"


class ListProblem(enum.StrEnum):
    """Why a whole list was refused."""

    NOT_TEXT = "not_text"
    NO_EMAIL_COLUMN = "no_email_column"
    TOO_MANY = "too_many"
    EMPTY = "empty"


class InviteeListError(ValueError):
    def __init__(self, problem: ListProblem):
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class Invitee:
    name: str  # may be empty: a bare address is a valid line
    email: str  # normalized by email_validator
    language: str | None = None  # None: the language chosen for the whole list


@dataclass(frozen=True)
class Entry:
    """One line as the organizer gave it, and what it was read as."""

    number: int  # from 1, as an editor or spreadsheet numbers lines
    text: str
    invitee: Invitee | None = None
    problem: LineProblem | None = None
    detail: str | None = None  # the offending value, quoted back in the message

    @property
    def is_valid(self) -> bool:
        return self.invitee is not None


def parse_pasted(text: str) -> list[Entry]:
    """Pasted text: a CSV with a header row (copied from a spreadsheet) or free-form lines."""
    text = text.removeprefix("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    if _looks_like_header(_split_cells(first)):
        return parse_csv(text)
    return parse_invitee_lines(text)


def parse_invitee_lines(text: str) -> list[Entry]:
    """One invitee per line: "Name <email>", a bare email, "email, name", "name<TAB>email"…

    Blank lines and lines starting with "#" are skipped; a first line that only names columns
    ("name, email") is skipped too. A trailing "en" or "es" sets that invitee's language.
    """
    entries = []
    header_allowed = True
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if header_allowed and _looks_like_header(_split_cells(stripped)):
            header_allowed = False
            continue
        header_allowed = False
        entries.append(_entry_from_line(number, stripped))
    _check_size(entries)
    return entries


def parse_csv(data: bytes | str) -> list[Entry]:
    """A CSV file, as Excel, Numbers or Google Sheets save one.

    UTF-8 with or without a BOM, or Windows-1252 (Excel's "CSV" on Windows); comma, semicolon
    (Spanish-locale Excel) or tab separated. With a header row, columns are found by name
    (name / nombre, email / correo, language / idioma; first and last names are joined);
    without one, each row is read like a pasted line.
    """
    text = _decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    if "\x00" in text:
        raise InviteeListError(ListProblem.NOT_TEXT)  # a spreadsheet or other binary file
    reader = csv.reader(io.StringIO(text, newline=""), "excel", delimiter=_delimiter(text))
    entries = []
    columns: _Columns | None = None
    first_row = True
    while True:
        number = reader.line_num + 1  # where this record starts
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise InviteeListError(ListProblem.NOT_TEXT) from None
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if first_row:
            first_row = False
            if _looks_like_header(cells):
                columns = _Columns.from_header(cells)
                continue
        raw = ", ".join(cell for cell in cells if cell)
        if columns is None:
            entries.append(_entry_from_line(number, raw))
        else:
            entries.append(columns.entry(number, raw, cells))
    _check_size(entries)
    return entries


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise InviteeListError(ListProblem.NOT_TEXT) from None


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","  # one column (just addresses) has no delimiter to find


def _check_size(entries: list[Entry]) -> None:
    if not entries:
        raise InviteeListError(ListProblem.EMPTY)
    if len(entries) > MAX_ENTRIES:
        raise InviteeListError(ListProblem.TOO_MANY)


def _split_cells(line: str) -> list[str]:
    return [cell.strip().strip('"').strip() for cell in _SEPARATORS.split(line)]


def _looks_like_header(cells: list[str]) -> bool:
    """Column names and no address: "name,email", "Nombre;Correo electrónico;Idioma"."""
    named = [cell for cell in cells if cell]
    return (
        bool(named)
        and not any("@" in cell for cell in named)
        and any(cell.casefold() in HEADERS for cell in named)
    )


@dataclass(frozen=True)
class _Columns:
    names: tuple[int, ...]
    email: int
    language: int | None

    @classmethod
    def from_header(cls, cells: list[str]) -> _Columns:
        keys = [cell.casefold() for cell in cells]
        email = next((i for i, key in enumerate(keys) if key in EMAIL_HEADERS), None)
        if email is None:
            raise InviteeListError(ListProblem.NO_EMAIL_COLUMN)
        language = next((i for i, key in enumerate(keys) if key in LANGUAGE_HEADERS), None)
        names = tuple(i for i, key in enumerate(keys) if key in NAME_HEADERS)
        return cls(names=names, email=email, language=language)

    def entry(self, number: int, raw: str, cells: list[str]) -> Entry:
        def cell(index: int | None) -> str:
            return cells[index] if index is not None and index < len(cells) else ""

        name = " ".join(cell(i) for i in self.names if cell(i))
        matches = list(_EMAIL_TOKEN.finditer(cell(self.email)))
        if not matches:
            return Entry(number, raw, problem=LineProblem.NO_EMAIL)
        if len(matches) > 1:
            return Entry(number, raw, problem=LineProblem.SEVERAL_EMAILS)
        language_value = cell(self.language)
        language = LANGUAGE_NAMES.get(language_value.casefold()) if language_value else None
        if language_value and language is None:
            return Entry(number, raw, problem=LineProblem.UNKNOWN_LANGUAGE, detail=language_value)
        return _entry(number, raw, name, matches[0].group(), language)


def _entry_from_line(number: int, line: str) -> Entry:
    """Find the one address on the line; what is left around it is the name."""
    matches = list(_EMAIL_TOKEN.finditer(line))
    if not matches:
        return Entry(number, line, problem=LineProblem.NO_EMAIL)
    if len(matches) > 1:
        return Entry(number, line, problem=LineProblem.SEVERAL_EMAILS)
    match = matches[0]
    before, after = line[: match.start()].rstrip(), line[match.end() :].lstrip()
    before = before.removesuffix("<")  # "Name <email>"
    after = after.removeprefix(">")
    if "<" in before + after or ">" in before + after:
        return Entry(number, line, problem=LineProblem.STRAY_BRACKETS)
    parts = [part for part in _split_cells(f"{before},{after}") if part]
    language = None
    if parts and parts[-1].casefold() in LANGUAGE_CODES:
        language = LANGUAGE_CODES[parts.pop().casefold()]
    return _entry(number, line, ", ".join(parts), match.group(), language)


def _entry(number: int, raw: str, name: str, address: str, language: str | None) -> Entry:
    """Check the name and address found on a line and make the entry."""
    if _CONTROL.search(name):
        return Entry(number, raw, problem=LineProblem.CONTROL_CHARACTERS)
    name = " ".join(name.strip(" \"'").split())
    if len(name) > MAX_NAME_LENGTH:
        return Entry(number, raw, problem=LineProblem.NAME_TOO_LONG)
    address = address.strip("()[]'`")
    try:
        email = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return Entry(number, raw, problem=LineProblem.INVALID_EMAIL, detail=address)
    return Entry(number, raw, invitee=Invitee(name=name, email=email, language=language))

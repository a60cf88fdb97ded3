"""Text helpers shared across domains."""

import re
import unicodedata

from markupsafe import Markup


def fold(text: str) -> str:
    """Lower case without accents, "José Núñez" → "jose nunez": how people type a name into a
    search box at the door, whatever the database's collation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_LINE_ENDING = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


def normalize_newlines(text: str) -> str:
    """Every line ending as "\\n": browsers send CRLF from a textarea, and pasted text brings
    old Mac CRs and Unicode line separators."""
    return _LINE_ENDING.sub("\n", text)


def paragraphs(text: str | None) -> list[str]:
    """Text split at blank lines (however many, whatever their line endings), each paragraph
    trimmed; single line breaks stay inside their paragraph."""
    if not text:
        return []
    return [part.strip() for part in _BLANK_LINES.split(normalize_newlines(text)) if part.strip()]


def paragraphs_html(text: str | None) -> Markup:
    """`{{ text|paragraphs }}`: the text as escaped <p> elements, a line break as <br>. People's
    words are text, never markup."""
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(paragraph.split("\n")))
        for paragraph in paragraphs(text)
    )


def excerpt(text: str | None, limit: int = 160) -> str:
    """The first paragraph on one line, cut at a word to at most `limit` characters ("…" when
    cut): a summary for search results and link previews."""
    first = next(iter(paragraphs(text)), "")
    line = " ".join(first.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.–—-") + "…"

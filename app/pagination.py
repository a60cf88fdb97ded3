"""The `?page=` of every paginated list, read once and bounded.

An unbounded page number becomes an OFFSET the database cannot hold (PostgreSQL: "bigint out
of range"; Python: an int too large for SQLite), so anything outside 1..MAX_PAGE is refused
with a message rather than passed on.
"""

from flask import abort, request
from flask_babel import format_number
from flask_babel import gettext as _

MAX_PAGE = 10_000  # a million rows at 100 a page: far beyond any list this app shows


def requested_page() -> int:
    """The page asked for in the query string: 1 when absent or blank, else a whole number
    from 1 to MAX_PAGE. Anything else is a 400 that says what is accepted."""
    raw = request.args.get("page", "").strip()
    if not raw:
        return 1
    # isascii(): int() would also read other scripts' digits ("٣") and any length of them.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_PAGE))):
        abort(400, _page_message())
    page = int(raw)
    if not 1 <= page <= MAX_PAGE:
        abort(400, _page_message())
    return page


def _page_message() -> str:
    return _("Please ask for a page number from 1 to %(last)s.", last=format_number(MAX_PAGE))

"""A short-lived cache of public pages as anonymous visitors see them.

Rendering an event page (queries, Jinja, the RSVP form) costs several times what serving a
cached copy does, and a popular event is read far more often than it changes. Pages are kept for
PAGE_CACHE_SECONDS (a few seconds: seat counts and edits show up that fast) per URL and language.
The one per-visitor part, the CSRF token of the RSVP form, is put back into each copy served.
Signed-in organizers, visitors with a message waiting, and non-200 responses are never cached.
Storage is Flask-Caching's: per process by default, shared (Redis) when CACHE_TYPE says so.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.extensions import cache
from app.i18n import current_language

TOKEN_PLACEHOLDER = "\x00csrf-token\x00"


def _cacheable() -> bool:
    return (
        current_app.config["PAGE_CACHE_SECONDS"] > 0
        and request.method == "GET"
        and not current_user.is_authenticated
        and not session.get("_flashes")
    )


def cached_page(view):
    """Serve `view`'s HTML from the cache for anonymous GETs; it must return a string."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not _cacheable():
            return view(*args, **kwargs)
        key = f"page:{current_language()}:{request.full_path}"
        page = cache.get(key)
        if page is None:
            rendered = view(*args, **kwargs)
            if not isinstance(rendered, str):
                return rendered  # an error or a redirect: not cached
            token = generate_csrf()
            page = rendered.replace(token, TOKEN_PLACEHOLDER)
            cache.set(key, page, timeout=current_app.config["PAGE_CACHE_SECONDS"])
        return page.replace(TOKEN_PLACEHOLDER, generate_csrf())

    return wrapper

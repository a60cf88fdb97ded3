"""Links: absolute ones for emails and calendars, always on PUBLIC_URL, and the same-site
check for where a page may send the browser next.

Absolute links are built from configuration rather than the request's Host header, so a forged
header cannot poison links we send out, and they can be built outside a request (CLI, worker).
"""

from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        public.netloc, script_name=public.path.rstrip("/") or "/", url_scheme=public.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: never redirect to another host, nor with characters that cannot go
    into a Location header (a line break there is header injection, and Werkzeug refuses it)."""
    if not target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default  # some browsers read a backslash as a slash: "/\\evil.example"
    return target

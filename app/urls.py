"""Absolute links for emails and calendars, always on PUBLIC_URL.

They are built from configuration rather than the request's Host header, so a forged header
cannot poison links we send out, and they can be built outside a request (CLI, mail worker).
"""

from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        public.netloc, script_name=public.path.rstrip("/") or "/", url_scheme=public.scheme
    )
    return adapter.build(endpoint, values, force_external=True)

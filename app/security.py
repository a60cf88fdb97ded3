"""Security headers on every response, and trust in a reverse proxy only when configured."""

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix

# Everything the pages use comes from the app itself: no inline scripts, no outside hosts.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Personal links carry tokens in their path: never leak them to other sites.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def register_security(app: Flask) -> None:
    hops = app.config.get("PROXY_FIX_HOPS", 0)
    if hops:
        # Only behind a proxy we run: otherwise X-Forwarded-* headers are anyone's to forge.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.before_request
    def refuse_nul_characters():
        """No text column can hold a NUL character (PostgreSQL refuses it outright), and no
        person types one: such a request is turned away before it reaches a query."""
        if "\x00" in request.path:
            abort(404)
        for values in (request.args, request.form):
            if any("\x00" in k or "\x00" in v for k, v in values.items(multi=True)):
                abort(400, _("The request contains a character that is not allowed."))

    @app.after_request
    def set_security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response

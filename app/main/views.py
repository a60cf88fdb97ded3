"""Site-wide pages: the language switch."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, request

from app.i18n import LANGUAGE_COOKIE

bp = Blueprint("main", __name__)

ONE_YEAR = 365 * 24 * 3600


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: never redirect to another host."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default  # some browsers read a backslash as a slash: "/\\evil.example"
    return target


@bp.get("/language/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next(request.args.get("next")))
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response

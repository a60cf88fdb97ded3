"""Site-wide pages and helpers: the language switch, the favicon, the health check, and the
template filters for text people typed."""

from flask import Blueprint, abort, current_app, jsonify, redirect, request, send_from_directory
from sqlalchemy.exc import SQLAlchemyError

from app.database_faults import database_accepts_writes
from app.db_types import utcnow
from app.extensions import db
from app.i18n import LANGUAGE_COOKIE
from app.mail.queries import last_heartbeat_seconds, mail_problems, outbox_health
from app.security_lists.rotation import key_problems as data_key_problems
from app.text import excerpt, paragraphs, paragraphs_html
from app.urls import safe_next

bp = Blueprint("main", __name__)

ONE_YEAR = 365 * 24 * 3600
ONE_WEEK = 7 * 24 * 3600

# `{{ text|paragraphs }}`: what people typed, as <p> paragraphs with <br> line breaks.
bp.add_app_template_filter(paragraphs_html, "paragraphs")
bp.add_app_template_filter(paragraphs, "paragraph_list")
bp.add_app_template_filter(excerpt)


@bp.get("/language/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next(request.args.get("next")))
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on their own, whatever the page links to."""
    return send_from_directory(
        current_app.static_folder,
        "favicon.ico",
        mimetype="image/vnd.microsoft.icon",
        max_age=ONE_WEEK,
    )


@bp.get("/healthz")
def healthz():
    """For load balancers and monitoring: 200 when the database answers and takes writes, else
    503 (`database_writes` says "failing" when it reads but cannot write: disk full,
    read-only).

    The status is "degraded" (still 200: the site serves pages) when mail is stuck: the oldest
    pending message is too old, or no mail worker has reported a heartbeat recently, or events
    have security lists but no data encryption key is configured. `problems` names which
    (app/mail/queries.py, app/security_lists/rotation.py).
    """
    now = utcnow()
    config = current_app.config
    try:
        db.session.execute(db.text("SELECT 1"))
        outbox = outbox_health(now)
        heartbeat = last_heartbeat_seconds(now)
        key_problems = data_key_problems()
    except SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.error("health check: database unavailable: %s", error)
        return jsonify(status="error", database="unavailable"), 503
    db.session.rollback()  # end the read before the probe writes on a connection of its own
    writes_ok = database_accepts_writes(db.engine)
    if not writes_ok:
        current_app.logger.error("health check: the database refuses writes")
    problems = mail_problems(
        outbox,
        heartbeat,
        max_pending_age=config["HEALTH_MAX_PENDING_AGE_SECONDS"],
        max_heartbeat_age=config["HEALTH_MAX_HEARTBEAT_AGE_SECONDS"],
    )
    problems += key_problems
    body = jsonify(
        status=("degraded" if problems else "ok") if writes_ok else "error",
        database="ok",
        database_writes="ok" if writes_ok else "failing",
        outbox=outbox.as_dict(),
        mail_worker={"last_heartbeat_seconds": heartbeat},
        problems=problems,
    )
    return body, 200 if writes_ok else 503

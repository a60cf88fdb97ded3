"""An event's inbound mail that changed nothing (app/inbound): calendar answers that could not
be applied, or were ignored, for an organizer to apply again or dismiss.

Organizers who manage the event only: the messages hold attendees' addresses and words, and
host accounts read nothing but the host list.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.accounts.current import current_account
from app.db_types import utcnow
from app.extensions import db
from app.inbound import processing, queries
from app.inbound.labels import reason_label
from app.inbound.models import InboundMessage, InboundStatus
from app.organizer.editing import check_csrf, event_or_404
from app.organizer.formatting import local_formatter

bp = Blueprint("inbound", __name__)


def _message_or_404(event, message_id: int) -> InboundMessage:
    message = queries.find_message(event, message_id)
    if message is None:
        abort(404)
    return message


def _to_index(event):
    return redirect(url_for(".index", slug=event.slug))


@bp.get("/events/<slug>/inbound")
def index(slug: str):
    event = event_or_404(slug)
    shown = queries.shown_messages(event)
    page = render_template(
        "organizer/inbound/index.html",
        event=event,
        rows=shown.rows,
        total=shown.total,
        reason_label=reason_label,
        local_datetime=local_formatter(event),
    )
    return page, {"Cache-Control": "private, no-store"}


@bp.post("/events/<slug>/inbound/<int:message_id>/apply")
def apply_again(slug: str, message_id: int):
    event = event_or_404(slug)
    message = _message_or_404(event, message_id)
    check_csrf()
    try:
        processing.apply_again(message, utcnow(), current_account())
        db.session.commit()
    except processing.NotActionable:
        db.session.rollback()
        flash(_("That message was already dealt with."), "ok")
        return _to_index(event)
    if message.status is InboundStatus.APPLIED:
        flash(_("The message was applied."), "ok")
    else:
        flash(
            _(
                "The message still changed nothing: %(reason)s",
                reason=reason_label(message.reason),
            ),
            "error",
        )
    return _to_index(event)


@bp.post("/events/<slug>/inbound/<int:message_id>/dismiss")
def dismiss(slug: str, message_id: int):
    event = event_or_404(slug)
    message = _message_or_404(event, message_id)
    check_csrf()
    try:
        processing.dismiss(message, utcnow(), current_account())
        db.session.commit()
    except processing.NotActionable:
        db.session.rollback()
        flash(_("That message was already dealt with."), "ok")
        return _to_index(event)
    flash(_("The message was dismissed."), "ok")
    return _to_index(event)

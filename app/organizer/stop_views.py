"""Organizer pages for a visit's itinerary: add, edit, move and remove its stops. The rules
live in app/events/itinerary.py; these views parse forms, call it with the signed-in organizer
as its actor, commit once, and say what happened."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.current import current_account
from app.db_types import utcnow
from app.events import errors, itinerary, lookups
from app.events.forms import StopForm
from app.events.labels import error_message
from app.events.models import Event
from app.extensions import db
from app.organizer.editing import (
    change_summary,
    check_csrf,
    event_or_404,
    flash_ambiguous_times,
    save,
    stop_or_404,
    to_event_page,
)
from app.timezones import SUGGESTED_ZONES

bp = Blueprint("stops", __name__)


# Itinerary stops


def _render_stop_form(form: StopForm, event: Event, stop=None, status: int = 200):
    return render_template(
        "organizer/events/stop_form.html", form=form, event=event, stop=stop, zones=SUGGESTED_ZONES
    ), status


def _stop_form(data: dict) -> StopForm:
    form = StopForm(data=data)
    form.offer_venues(lookups.venues_by_name())
    return form


def _itinerary_closed(event: Event) -> bool:
    try:
        itinerary.check_itinerary_editable(event)
    except errors.EventError as error:
        flash(error_message(error), "error")
        return True
    return False


@bp.route("/events/<slug>/stops/new", methods=["GET", "POST"])
def new(slug: str):
    event = event_or_404(slug)
    if _itinerary_closed(event):
        return to_event_page(event)
    last = event.stops[-1] if event.stops else None
    form = _stop_form({"timezone": last.timezone if last else event.timezone})
    if not form.is_submitted():
        return _render_stop_form(form, event)
    if not form.validate():
        return _render_stop_form(form, event, status=422)
    changes = save(
        form,
        lambda: itinerary.add_stop(event, form.details(), utcnow(), actor=current_account()),
    )
    if changes is None:
        return _render_stop_form(form, event, status=409)
    flash(_("Stop added."), "ok")
    flash_ambiguous_times(form)
    change_summary(changes)
    return to_event_page(event)


@bp.route("/events/<slug>/stops/<int:stop_id>/edit", methods=["GET", "POST"])
def edit(slug: str, stop_id: int):
    event = event_or_404(slug)
    stop = stop_or_404(event, stop_id)
    if _itinerary_closed(event):
        return to_event_page(event)
    form = _stop_form(StopForm.data_from(stop))
    if not form.is_submitted():
        return _render_stop_form(form, event, stop)
    if not form.validate():
        return _render_stop_form(form, event, stop, 422)
    changes = save(
        form,
        lambda: itinerary.update_stop(stop, form.details(), utcnow(), actor=current_account()),
    )
    if changes is None:
        return _render_stop_form(form, event, stop, 409)
    flash(_("Stop saved."), "ok")
    flash_ambiguous_times(form)
    change_summary(changes)
    return to_event_page(event)


@bp.post("/events/<slug>/stops/<int:stop_id>/move")
def move(slug: str, stop_id: int):
    """The "up" and "down" buttons post `direction`."""
    event = event_or_404(slug)
    stop = stop_or_404(event, stop_id)
    check_csrf()
    offset = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if offset is None:
        abort(400)
    if _itinerary_closed(event):
        return to_event_page(event)
    changes = itinerary.move_stop(stop, offset, utcnow(), actor=current_account())
    db.session.commit()
    change_summary(changes)
    return redirect(url_for("organizer.events.show", slug=event.slug, _anchor="itinerary"))


@bp.post("/events/<slug>/stops/<int:stop_id>/delete")
def delete(slug: str, stop_id: int):
    event = event_or_404(slug)
    stop = stop_or_404(event, stop_id)
    check_csrf()
    if _itinerary_closed(event):
        return to_event_page(event)
    changes = itinerary.remove_stop(stop, utcnow(), actor=current_account())
    db.session.commit()
    flash(_("Stop removed."), "ok")
    change_summary(changes)
    return redirect(url_for("organizer.events.show", slug=event.slug, _anchor="itinerary"))

"""Organizer pages for a visit's itinerary: add, edit, move and remove its stops, and plan the
border crossings between them. The rules live in app/events/itinerary.py (and crossing_plans.py);
these views parse forms, call them with the signed-in organizer as their actor, commit once, and
say what happened."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.current import current_account
from app.db_types import utcnow
from app.events import crossing_plans, errors, itinerary, lookups
from app.events.crossings import DIRECTION_LABELS, direction_between, next_stop_after
from app.events.forms import StopForm
from app.events.labels import error_message
from app.events.models import Event
from app.extensions import db
from app.i18n import current_language
from app.organizer.crossing_forms import CrossingForm
from app.organizer.editing import (
    change_summary,
    check_csrf,
    event_or_404,
    flash_ambiguous_times,
    save,
    stop_or_404,
    to_event_page,
)
from app.transactions import commit_with_retry

bp = Blueprint("stops", __name__)


# Itinerary stops


def _render_stop_form(form: StopForm, event: Event, stop=None, status: int = 200):
    return render_template(
        "organizer/events/stop_form.html", form=form, event=event, stop=stop
    ), status


def _stop_form(data: dict, fallback_zone: str) -> StopForm:
    """`fallback_zone`: the stop's when the organizer leaves it to a venue that has none."""
    form = StopForm(data=data)
    form.offer_venues(lookups.venues_by_name())
    form.fallback_zone = fallback_zone
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
    # The zone follows the venue; without one, the stop is on the previous stop's clock.
    form = _stop_form({}, last.timezone if last else event.timezone)
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
    form = _stop_form(StopForm.data_from(stop), stop.timezone)
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


# Border crossings: after a stop followed by one in the other country (app/events/crossing_plans)


def _to_itinerary(event: Event):
    return redirect(url_for("organizer.events.show", slug=event.slug, _anchor="itinerary"))


def _render_crossing_form(form, event, stop, following, direction, status: int = 200):
    return render_template(
        "organizer/stops/crossing_form.html",
        form=form,
        event=event,
        stop=stop,
        next_stop=following,
        direction_label=DIRECTION_LABELS[direction],
    ), status


@bp.route("/events/<slug>/stops/<int:stop_id>/crossing", methods=["GET", "POST"])
def crossing(slug: str, stop_id: int):
    """Plan, or change, how the visit crosses the border after this stop."""
    event = event_or_404(slug)
    stop = stop_or_404(event, stop_id)
    if _itinerary_closed(event):
        return to_event_page(event)
    following = next_stop_after(stop)
    direction = direction_between(stop, following) if following is not None else None
    if direction is None:
        flash(crossing_plans.crossing_refusal(crossing_plans.NoBorderBetween()), "error")
        return _to_itinerary(event)
    form = CrossingForm(data=CrossingForm.data_from(stop.crossing_after))
    form.offer(direction, current_language())
    if not form.is_submitted():
        return _render_crossing_form(form, event, stop, following, direction)
    if not form.validate():
        return _render_crossing_form(form, event, stop, following, direction, 422)
    try:
        commit_with_retry(
            lambda: crossing_plans.plan_crossing(
                stop,
                form.port.data,
                form.lane.data,
                form.allowance_minutes.data,
                actor=current_account(),
            )
        )
    except crossing_plans.CrossingRefused as error:
        form.form_errors.append(crossing_plans.crossing_refusal(error))
        return _render_crossing_form(form, event, stop, following, direction, 422)
    except errors.EventError as error:  # the visit was cancelled meanwhile
        flash(error_message(error), "error")
        return to_event_page(event)
    flash(_("Crossing saved."), "ok")
    return _to_itinerary(event)


@bp.post("/events/<slug>/stops/<int:stop_id>/crossing/delete")
def delete_crossing(slug: str, stop_id: int):
    event = event_or_404(slug)
    stop = stop_or_404(event, stop_id)
    check_csrf()
    if _itinerary_closed(event):
        return to_event_page(event)
    if crossing_plans.remove_crossing(stop, actor=current_account()):
        db.session.commit()
        flash(_("Crossing removed."), "ok")
    return _to_itinerary(event)

"""Organizer pages for events: create, edit, publish, duplicate, cancel, the itinerary of a
visit, and messages to attendees. The rules live in app/events/ (services.py for events,
itinerary.py for stops); these views parse forms, call a service with the signed-in organizer
as its actor, commit once, and say what happened."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.db_types import utcnow
from app.events import errors, itinerary, lookups, notifications, services, slugs
from app.events.changes import EventChanges
from app.events.forms import CancelEventForm, EventForm, MessageForm, StopForm
from app.events.labels import error_message
from app.events.models import Event, EventKind, EventStatus, ItineraryStop
from app.events.queries import find_event_by_slug
from app.extensions import db
from app.forms import ActionForm
from app.organizer.queries import rsvp_counts
from app.timezones import SUGGESTED_ZONES, is_ambiguous
from app.transactions import commit_with_retry

bp = Blueprint("events", __name__)


def _event_or_404(slug: str) -> Event:
    event = find_event_by_slug(slug)
    if event is None:
        abort(404)
    return event


def _stop_or_404(event: Event, stop_id: int) -> ItineraryStop:
    stop = next((s for s in event.stops if s.id == stop_id), None)
    if stop is None:
        abort(404)
    return stop


def _check_csrf() -> None:
    """The buttons post only a CSRF token; anything else is refused."""
    if not ActionForm().validate_on_submit():
        abort(400)


def _to_event_page(event: Event):
    return redirect(url_for(".show", slug=event.slug))


def _show_error(form, error: errors.EventError) -> None:
    """Put a service's refusal next to the field it concerns, or above the form."""
    message = error_message(error)
    if isinstance(error, errors.SlugTaken) and "slug" in form:
        form.slug.errors.append(message)
    elif isinstance(error, errors.OrganizationInBothRoles):
        form.partners.errors.append(message)
    elif isinstance(error, errors.StopsNeedAVisit) and "kind" in form:
        form.kind.errors.append(message)
    else:
        form.form_errors.append(message)


def _save(form, action):
    """Run a service call and commit. Returns its result, or None with the reason on the form.

    A unique name taken at the same moment by someone else (a slug, a venue) surfaces as an
    IntegrityError at flush; after one retry on fresh data, the organizer is asked to try again
    rather than shown an error page.
    """
    try:
        return commit_with_retry(action)
    except errors.EventError as error:
        _show_error(form, error)
    except IntegrityError:
        form.form_errors.append(
            _("Someone saved a conflicting change at the same moment. Please try again.")
        )
    return None


def _flash_ambiguous_times(form) -> None:
    """Say which of the two occurrences a time in the fall DST overlap was saved as."""
    zone = form.timezone.data
    for field in (form.starts_at, form.ends_at, getattr(form, "rsvp_deadline", None)):
        if field is not None and field.data is not None and is_ambiguous(field.data, zone):
            flash(
                _(
                    "%(time)s happens twice in %(zone)s as the clocks go back that night; it "
                    "was saved as the first one, on daylight saving time.",
                    time=field.data.strftime("%Y-%m-%d %H:%M"),
                    zone=zone,
                ),
                "warning",
            )


def _change_summary(changes: EventChanges) -> None:
    if changes.notified:
        flash(
            ngettext(
                "%(num)s attendee will be emailed about the change.",
                "%(num)s attendees will be emailed about the change.",
                changes.notified,
            ),
            "ok",
        )
    if changes.promoted:
        flash(
            ngettext(
                "%(num)s person was seated from the waitlist.",
                "%(num)s people were seated from the waitlist.",
                len(changes.promoted),
            ),
            "ok",
        )


# Events


def _render_event_form(form: EventForm, event: Event | None = None, status: int = 200):
    return render_template(
        "organizer/events/form.html", form=form, event=event, zones=SUGGESTED_ZONES
    ), status


def _event_form(data: dict | None = None) -> EventForm:
    form = EventForm(data=data)
    form.offer(lookups.venues_by_name(), lookups.organizations_by_name())
    return form


@bp.route("/events/new", methods=["GET", "POST"])
def new():
    form = _event_form()
    if not form.is_submitted():
        return _render_event_form(form)
    if not form.validate():
        return _render_event_form(form, status=422)
    event = _save(
        form,
        lambda: services.create_event(form.details(), actor=current_user._get_current_object()),
    )
    if event is None:
        return _render_event_form(form, status=409)
    flash(_("Draft saved. Publish it when it's ready."), "ok")
    _flash_ambiguous_times(form)
    return _to_event_page(event)


@bp.get("/events/<slug>")
def show(slug: str):
    event = _event_or_404(slug)
    status = event.status
    return render_template(
        "organizer/events/show.html",
        event=event,
        counts=rsvp_counts([event.id])[event.id],
        action_form=ActionForm(),
        public_url=url_for("events.detail", slug=event.slug),
        related_links=[
            (_("Attendees"), url_for("organizer.attendees.attendee_list", slug=event.slug)),
            (_("Check-in"), url_for("organizer.checkin.door", slug=event.slug)),
            (_("Invitations"), url_for("organizer.invitations.index", slug=event.slug)),
            (_("Change log"), url_for("organizer.audit.event_log", slug=event.slug)),
        ],
        can_edit=status is not EventStatus.CANCELLED,
        can_publish=status is EventStatus.DRAFT,
        can_unpublish=status is EventStatus.PUBLISHED,
        can_cancel=status is not EventStatus.CANCELLED,
        has_itinerary=event.kind is EventKind.VISIT or bool(event.stops),
        can_edit_itinerary=event.itinerary_editable,
    )


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str):
    event = _event_or_404(slug)
    if event.is_cancelled:
        flash(_("A cancelled event can't be changed. Duplicate it to plan it again."), "error")
        return _to_event_page(event)
    form = _event_form(EventForm.data_from(event))
    if not slugs.slug_can_change(event):
        del form.slug  # published links must keep working; a posted slug is ignored
    if not form.is_submitted():
        return _render_event_form(form, event)
    if not form.validate():
        return _render_event_form(form, event, 422)
    changes = _save(
        form,
        lambda: services.update_event(
            event, form.details(), utcnow(), actor=current_user._get_current_object()
        ),
    )
    if changes is None:
        return _render_event_form(form, event, 409)
    flash(_("Changes saved."), "ok")
    _flash_ambiguous_times(form)
    _change_summary(changes)
    return _to_event_page(event)


@bp.post("/events/<slug>/publish")
def publish(slug: str):
    event = _event_or_404(slug)
    _check_csrf()
    try:
        promoted = services.publish_event(event, utcnow(), actor=current_user._get_current_object())
        db.session.commit()
    except errors.WrongStatus as error:
        db.session.rollback()
        flash(error_message(error), "error")
        return _to_event_page(event)
    if event.is_public:
        flash(_("Published: the event is on the calendar and open for RSVPs."), "ok")
    else:
        flash(_("Published: invitees can open the event with their personal link."), "ok")
    _change_summary(EventChanges(promoted=promoted))
    return _to_event_page(event)


@bp.post("/events/<slug>/unpublish")
def unpublish(slug: str):
    event = _event_or_404(slug)
    _check_csrf()
    try:
        services.unpublish_event(event, actor=current_user._get_current_object())
        db.session.commit()
    except errors.WrongStatus as error:
        db.session.rollback()
        flash(error_message(error), "error")
        return _to_event_page(event)
    flash(_("Back to draft: the event is hidden and closed to RSVPs. Answers are kept."), "ok")
    return _to_event_page(event)


@bp.post("/events/<slug>/duplicate")
def duplicate(slug: str):
    event = _event_or_404(slug)
    _check_csrf()
    copy = services.duplicate_event(event, actor=current_user._get_current_object())
    db.session.commit()
    flash(_("This is a copy, saved as a draft. Set its dates, then publish it."), "ok")
    return redirect(url_for(".edit", slug=copy.slug))


@bp.route("/events/<slug>/cancel", methods=["GET", "POST"])
def cancel(slug: str):
    """A confirmation page first: cancelling emails everyone and cannot be undone."""
    event = _event_or_404(slug)
    if event.is_cancelled:
        flash(_("This event is already cancelled."), "error")
        return _to_event_page(event)
    form = CancelEventForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template(
            "organizer/events/cancel.html",
            event=event,
            form=form,
            counts=rsvp_counts([event.id])[event.id],
        ), status
    notified = _save(
        form,
        lambda: services.cancel_event(
            event, utcnow(), form.note.data, actor=current_user._get_current_object()
        ),
    )
    if notified is None:
        flash(" ".join(form.form_errors), "error")
        return _to_event_page(event)
    flash(_("The event is cancelled."), "ok")
    _change_summary(EventChanges(notified=notified))
    return _to_event_page(event)


@bp.route("/events/<slug>/message", methods=["GET", "POST"])
def message(slug: str):
    """A free-text message from the organizers to the event's attendees."""
    event = _event_or_404(slug)
    form = MessageForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template(
            "organizer/events/message.html",
            event=event,
            form=form,
            counts=rsvp_counts([event.id])[event.id],
        ), status
    sent = notifications.queue_organizer_message(
        event,
        form.subject.data,
        form.body.data,
        notifications.MessageRecipients(form.audience.data),
        actor=current_user._get_current_object(),
    )
    db.session.commit()
    if sent:
        flash(
            ngettext(
                "Your message is on its way to %(num)s attendee.",
                "Your message is on its way to %(num)s attendees.",
                sent,
            ),
            "ok",
        )
    else:
        flash(_("No one to send it to: nobody has that status yet."), "warning")
    return _to_event_page(event)


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
def new_stop(slug: str):
    event = _event_or_404(slug)
    if _itinerary_closed(event):
        return _to_event_page(event)
    last = event.stops[-1] if event.stops else None
    form = _stop_form({"timezone": last.timezone if last else event.timezone})
    if not form.is_submitted():
        return _render_stop_form(form, event)
    if not form.validate():
        return _render_stop_form(form, event, status=422)
    changes = _save(
        form,
        lambda: itinerary.add_stop(
            event, form.details(), utcnow(), actor=current_user._get_current_object()
        ),
    )
    if changes is None:
        return _render_stop_form(form, event, status=409)
    flash(_("Stop added."), "ok")
    _flash_ambiguous_times(form)
    _change_summary(changes)
    return _to_event_page(event)


@bp.route("/events/<slug>/stops/<int:stop_id>/edit", methods=["GET", "POST"])
def edit_stop(slug: str, stop_id: int):
    event = _event_or_404(slug)
    stop = _stop_or_404(event, stop_id)
    if _itinerary_closed(event):
        return _to_event_page(event)
    form = _stop_form(StopForm.data_from(stop))
    if not form.is_submitted():
        return _render_stop_form(form, event, stop)
    if not form.validate():
        return _render_stop_form(form, event, stop, 422)
    changes = _save(
        form,
        lambda: itinerary.update_stop(
            stop, form.details(), utcnow(), actor=current_user._get_current_object()
        ),
    )
    if changes is None:
        return _render_stop_form(form, event, stop, 409)
    flash(_("Stop saved."), "ok")
    _flash_ambiguous_times(form)
    _change_summary(changes)
    return _to_event_page(event)


@bp.post("/events/<slug>/stops/<int:stop_id>/move")
def move_stop(slug: str, stop_id: int):
    """The "up" and "down" buttons post `direction`."""
    event = _event_or_404(slug)
    stop = _stop_or_404(event, stop_id)
    _check_csrf()
    offset = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if offset is None:
        abort(400)
    if _itinerary_closed(event):
        return _to_event_page(event)
    changes = itinerary.move_stop(stop, offset, utcnow(), actor=current_user._get_current_object())
    db.session.commit()
    _change_summary(changes)
    return redirect(url_for(".show", slug=event.slug, _anchor="itinerary"))


@bp.post("/events/<slug>/stops/<int:stop_id>/delete")
def delete_stop(slug: str, stop_id: int):
    event = _event_or_404(slug)
    stop = _stop_or_404(event, stop_id)
    _check_csrf()
    if _itinerary_closed(event):
        return _to_event_page(event)
    changes = itinerary.remove_stop(stop, utcnow(), actor=current_user._get_current_object())
    db.session.commit()
    flash(_("Stop removed."), "ok")
    _change_summary(changes)
    return redirect(url_for(".show", slug=event.slug, _anchor="itinerary"))

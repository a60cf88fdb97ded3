"""Organizer pages for events: create, edit, publish, duplicate, cancel, and messages to
attendees (a visit's stops have theirs in stop_views.py). The rules live in app/events/
services.py; these views parse forms, call a service with the signed-in organizer as its actor,
commit once, and say what happened."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.accounts.current import current_account
from app.accounts.models import User
from app.db_types import utcnow
from app.events import access, errors, lookups, notifications, services, slugs
from app.events.changes import EventChanges
from app.events.forms import AddOwnerForm, CancelEventForm, EventForm, MessageForm
from app.events.labels import error_message
from app.events.models import Event, EventKind, EventStatus
from app.extensions import db
from app.forms import ActionForm
from app.i18n import current_language
from app.inbound import queries as inbound_queries
from app.inbound.addresses import inbound_domain
from app.organizer.crossing_rows import itinerary_crossings
from app.organizer.editing import (
    change_summary,
    check_csrf,
    event_or_404,
    flash_ambiguous_times,
    save,
    to_event_page,
)
from app.organizer.queries import rsvp_counts
from app.organizer.security_export_views import security_list_summary
from app.transactions import commit_with_retry

bp = Blueprint("events", __name__)


# Events


def _render_event_form(form: EventForm, event: Event | None = None, status: int = 200):
    return render_template("organizer/events/form.html", form=form, event=event), status


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
    event = save(
        form,
        lambda: services.create_event(form.details(), actor=current_account()),
    )
    if event is None:
        return _render_event_form(form, status=409)
    flash(_("Draft saved. Publish it when it's ready."), "ok")
    flash_ambiguous_times(form)
    return to_event_page(event)


@bp.get("/events/<slug>")
def show(slug: str):
    event = event_or_404(slug)
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
            (
                _("Security list for the venue"),
                url_for("organizer.security_list.edit", slug=event.slug),
            ),
            *_inbound_link(event),
            (_("Change log"), url_for("organizer.audit.event_log", slug=event.slug)),
        ],
        can_edit=status is not EventStatus.CANCELLED,
        can_publish=status is EventStatus.DRAFT,
        can_unpublish=status is EventStatus.PUBLISHED,
        can_cancel=status is not EventStatus.CANCELLED,
        has_itinerary=event.kind is EventKind.VISIT or bool(event.stops),
        can_edit_itinerary=event.itinerary_editable,
        crossings=itinerary_crossings(event, current_language(), utcnow()),
        owner_form=_owner_form(event),
        can_remove_owners=len(event.owners) > 1,
        security_list=security_list_summary(event),
    )


def _inbound_link(event: Event) -> list[tuple[str, str]]:
    """The event's inbound email, with how many messages wait: while answers by email are
    on, or while some still wait after they were turned off."""
    waiting = inbound_queries.waiting_count(event)
    if inbound_domain() is None and not waiting:
        return []
    label = _("Inbound email")
    if waiting:
        label = ngettext(
            "Inbound email (%(num)s waiting)", "Inbound email (%(num)s waiting)", waiting
        )
    return [(label, url_for("organizer.inbound.index", slug=event.slug))]


# Owners: who manages the event besides the admins (app/events/access.py).


def _owner_form(event: Event) -> AddOwnerForm:
    form = AddOwnerForm()
    form.offer(access.possible_owners(event))
    return form


def _to_owners(event: Event):
    return redirect(url_for(".show", slug=event.slug, _anchor="owners"))


@bp.post("/events/<slug>/owners")
def add_owner(slug: str):
    event = event_or_404(slug)
    form = _owner_form(event)
    if not form.validate_on_submit():
        flash(_("Please choose someone to add as an owner."), "error")
        return _to_owners(event)
    user = db.session.get(User, form.user_id.data)
    try:
        access.add_owner(event, user, actor=current_account())
        db.session.commit()
    except errors.EventError as error:
        db.session.rollback()
        flash(error_message(error), "error")
        return _to_owners(event)
    flash(_("%(who)s can now manage this event.", who=user.name or user.email), "ok")
    return _to_owners(event)


@bp.post("/events/<slug>/owners/<int:user_id>/remove")
def remove_owner(slug: str, user_id: int):
    event = event_or_404(slug)
    check_csrf()
    user = db.get_or_404(User, user_id)
    try:
        removed = access.remove_owner(event, user, actor=current_account())
        db.session.commit()
    except errors.EventError as error:
        db.session.rollback()
        flash(error_message(error), "error")
        return _to_owners(event)
    if removed:
        flash(_("%(who)s no longer manages this event.", who=user.name or user.email), "ok")
    if not access.can_manage(current_account(), event):
        return redirect(url_for("organizer.dashboard"))  # they took themselves off
    return _to_owners(event)


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str):
    event = event_or_404(slug)
    if event.is_cancelled:
        flash(_("A cancelled event can't be changed. Duplicate it to plan it again."), "error")
        return to_event_page(event)
    form = _event_form(EventForm.data_from(event))
    if not slugs.slug_can_change(event):
        del form.slug  # published links must keep working; a posted slug is ignored
    if not form.is_submitted():
        return _render_event_form(form, event)
    if not form.validate():
        return _render_event_form(form, event, 422)
    changes = save(
        form,
        lambda: services.update_event(event, form.details(), utcnow(), actor=current_account()),
    )
    if changes is None:
        return _render_event_form(form, event, 409)
    flash(_("Changes saved."), "ok")
    flash_ambiguous_times(form)
    change_summary(changes)
    return to_event_page(event)


def _status_change(event: Event, change) -> tuple[bool, object]:
    """A publish or unpublish button: the service call committed, or its refusal flashed.
    Returns whether it went through, and what the service returned."""
    check_csrf()
    try:
        return True, commit_with_retry(change)
    except errors.WrongStatus as error:
        flash(error_message(error), "error")
        return False, None


@bp.post("/events/<slug>/publish")
def publish(slug: str):
    event = event_or_404(slug)
    actor = current_account()
    done, promoted = _status_change(
        event, lambda: services.publish_event(event, utcnow(), actor=actor)
    )
    if not done:
        return to_event_page(event)
    if event.is_public:
        flash(_("Published: the event is on the calendar and open for RSVPs."), "ok")
    else:
        flash(_("Published: invitees can open the event with their personal link."), "ok")
    change_summary(EventChanges(promoted=promoted))
    return to_event_page(event)


@bp.post("/events/<slug>/unpublish")
def unpublish(slug: str):
    event = event_or_404(slug)
    actor = current_account()
    done, _result = _status_change(event, lambda: services.unpublish_event(event, actor=actor))
    if done:
        flash(_("Back to draft: the event is hidden and closed to RSVPs. Answers are kept."), "ok")
    return to_event_page(event)


@bp.post("/events/<slug>/duplicate")
def duplicate(slug: str):
    event = event_or_404(slug)
    check_csrf()
    copy = services.duplicate_event(event, actor=current_account())
    db.session.commit()
    flash(_("This is a copy, saved as a draft. Set its dates, then publish it."), "ok")
    return redirect(url_for(".edit", slug=copy.slug))


def _render_with_counts(template: str, event: Event, form, status: int):
    """A page about emailing the attendees (cancel, message), which says how many there are."""
    return render_template(
        template, event=event, form=form, counts=rsvp_counts([event.id])[event.id]
    ), status


@bp.route("/events/<slug>/cancel", methods=["GET", "POST"])
def cancel(slug: str):
    """A confirmation page first: cancelling emails everyone and cannot be undone."""
    event = event_or_404(slug)
    if event.is_cancelled:
        flash(_("This event is already cancelled."), "error")
        return to_event_page(event)
    form = CancelEventForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _render_with_counts("organizer/events/cancel.html", event, form, status)
    notified = save(
        form,
        lambda: services.cancel_event(event, utcnow(), form.note.data, actor=current_account()),
    )
    if notified is None:
        flash(" ".join(form.form_errors), "error")
        return to_event_page(event)
    flash(_("The event is cancelled."), "ok")
    change_summary(EventChanges(notified=notified))
    return to_event_page(event)


@bp.route("/events/<slug>/message", methods=["GET", "POST"])
def message(slug: str):
    """A free-text message from the organizers to the event's attendees."""
    event = event_or_404(slug)
    form = MessageForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _render_with_counts("organizer/events/message.html", event, form, status)
    sent = notifications.queue_organizer_message(
        event,
        form.subject.data,
        form.body.data,
        notifications.MessageRecipients(form.audience.data),
        actor=current_account(),
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
    return to_event_page(event)

"""The organizer's settings of an event's security list: turn it on for a kind of venue, adjust
the details asked and when the venue needs them, or turn it off (deleting every attendee's
details). The rules are in app/security_lists/services.py."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.accounts.current import current_account
from app.events.models import Event
from app.forms import ActionForm
from app.organizer.editing import check_csrf, event_or_404, to_event_page
from app.privacy.encryption import EncryptionUnavailable, encryption_available
from app.security_lists import services
from app.security_lists.errors import SecurityListError
from app.security_lists.forms import SecurityListForm
from app.security_lists.labels import (
    FIELD_LABELS,
    TEMPLATE_LABELS,
    encryption_missing,
    error_message,
)
from app.security_lists.models import SecurityList
from app.security_lists.queries import details_given, details_ids, security_list_of
from app.timezones import to_local
from app.transactions import commit_with_retry

bp = Blueprint("security_list", __name__)


def _form(event: Event, security_list: SecurityList | None) -> SecurityListForm:
    """The form showing the list as saved (on POST, what was sent takes precedence)."""
    data = {}
    if security_list is not None:
        data = {
            "template": security_list.template.value,
            "vehicle": security_list.vehicle,
            "fields": security_list.fields,
            "due_at": to_local(security_list.due_at, event.timezone)
            if security_list.due_at
            else None,
        }
    form = SecurityListForm(data=data)
    if security_list is not None:
        form.offer_fields(security_list.template, security_list.vehicle)
    return form


def _render(event: Event, security_list: SecurityList | None, form, status: int = 200):
    given, attending = details_given(event) if security_list is not None else (0, 0)
    return render_template(
        "organizer/security_list/edit.html",
        event=event,
        security_list=security_list,
        form=form,
        can_collect=encryption_available(),
        encryption_missing=encryption_missing(),
        given=given,
        attending=attending,
        field_labels=FIELD_LABELS,
        template_labels=TEMPLATE_LABELS,
    ), status


def _to_list(event: Event):
    return redirect(url_for(".edit", slug=event.slug))


@bp.route("/events/<slug>/security-list", methods=["GET", "POST"])
def edit(slug: str):
    event = event_or_404(slug)  # organizers who manage the event; never a host account
    security_list = security_list_of(event)
    form = _form(event, security_list)
    if not form.is_submitted():
        return _render(event, security_list, form)
    if not encryption_available():
        form.form_errors.append(encryption_missing())
        return _render(event, security_list, form, 409)
    if not form.validate():
        return _render(event, security_list, form, 422)
    due_at = form.due_instant(event.timezone)
    if form.due_at.errors:
        return _render(event, security_list, form, 422)
    template, vehicle = form.chosen_template, form.vehicle.data
    # A new kind of venue (or the vehicle add-on) asks all its details: the boxes ticked were
    # for the other one.
    same_kind = (
        security_list is not None
        and security_list.template is template
        and security_list.vehicle == vehicle
    )
    try:
        commit_with_retry(
            lambda: services.configure_list(
                event,
                template=template,
                vehicle=vehicle,
                fields=form.fields.data if same_kind else None,
                due_at=due_at,
                actor=current_account(),
            )
        )
    except SecurityListError as error:
        form.form_errors.append(error_message(error))
        return _render(event, security_list, form, 409)
    except EncryptionUnavailable:
        form.form_errors.append(encryption_missing())
        return _render(event, security_list, form, 409)
    if security_list is None:
        flash(_("The security list is on: attendees give these details with their answer."), "ok")
    else:
        flash(_("The security list is saved."), "ok")
    if not same_kind:
        flash(_("Every detail this venue asks is on: untick those it doesn't need."), "ok")
    return _to_list(event)


@bp.route("/events/<slug>/security-list/off", methods=["GET", "POST"])
def turn_off(slug: str):
    """A confirmation page first: turning the list off deletes everyone's details for it."""
    event = event_or_404(slug)
    security_list = security_list_of(event)
    if security_list is None:
        return to_event_page(event)
    form = ActionForm()
    if not form.is_submitted():
        return render_template(
            "organizer/security_list/off.html",
            event=event,
            details_count=len(details_ids(event)),
            form=form,
        )
    check_csrf()
    try:
        deleted = commit_with_retry(lambda: services.turn_off(event, actor=current_account()))
    except SecurityListError:  # turned off by someone else meanwhile
        return to_event_page(event)
    flash(
        ngettext(
            "The security list is off. The details of %(num)s person were deleted.",
            "The security list is off. The details of %(num)s people were deleted.",
            deleted,
        ),
        "ok",
    )
    return to_event_page(event)

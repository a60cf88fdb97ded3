"""What the organizer's event and itinerary pages share: loading an event or a stop, saving a
service call with its refusal shown on the form, and saying what a change did."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from app.accounts.current import current_account
from app.accounts.models import User
from app.events import access, errors
from app.events.changes import EventChanges
from app.events.labels import error_message
from app.events.models import Event, ItineraryStop
from app.forms import ActionForm
from app.timezones import is_ambiguous
from app.transactions import commit_with_retry


def event_or_404(slug: str, allowed: Callable[[User, Event], bool] = access.can_manage) -> Event:
    """The event, for a signed-in account that may open it (by default: manages it). Anyone
    else gets the same 404 as for a missing event (app/events/access.py)."""
    event = access.event_for(current_account(), slug, allowed)
    if event is None:
        abort(404)
    return event


def stop_or_404(event: Event, stop_id: int) -> ItineraryStop:
    stop = next((s for s in event.stops if s.id == stop_id), None)
    if stop is None:
        abort(404)
    return stop


def check_csrf() -> None:
    """The buttons post only a CSRF token; anything else is refused."""
    if not ActionForm().validate_on_submit():
        abort(400)


def to_event_page(event: Event):
    return redirect(url_for("organizer.events.show", slug=event.slug))


def show_error(form, error: errors.EventError) -> None:
    """Put a service's refusal next to the field it concerns, or above the form."""
    message = error_message(error)
    if isinstance(error, errors.SlugTaken) and "slug" in form:
        form.slug.errors.append(message)
    elif isinstance(error, errors.OrganizationInBothRoles):
        form.partners.errors.append(message)
    elif isinstance(error, errors.StopsNeedAVisit) and "kind" in form:
        form.kind.errors.append(message)
    elif isinstance(error, errors.ZoneContradictsVenue):
        form.timezone.errors.append(message)
    elif isinstance(error, errors.StopOutsideVisit):
        form.starts_at.errors.append(message)
    else:
        form.form_errors.append(message)


def save(form, action):
    """Run a service call and commit. Returns its result, or None with the reason on the form.

    A unique name taken at the same moment by someone else (a slug, a venue) surfaces as an
    IntegrityError at flush; after one retry on fresh data, the organizer is asked to try again
    rather than shown an error page.
    """
    try:
        return commit_with_retry(action)
    except errors.EventError as error:
        show_error(form, error)
    except IntegrityError:
        form.form_errors.append(
            _("Someone saved a conflicting change at the same moment. Please try again.")
        )
    return None


def flash_ambiguous_times(form) -> None:
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


def change_summary(changes: EventChanges) -> None:
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

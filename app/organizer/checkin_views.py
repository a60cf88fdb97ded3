"""Check-in at the door, made for a phone and plain forms: search, one tap to check in or undo,
walk-ins, and the QR code from the confirmation email.

Every change is a POST (with its CSRF token) followed by a redirect back to the same search, so
reloading a page never checks anyone in twice and the list stays where the volunteer was.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.current import current_account
from app.db_types import utcnow
from app.events import access
from app.events.models import Event
from app.extensions import db
from app.i18n import current_language
from app.organizer.attendee_forms import WalkInForm
from app.organizer.editing import event_or_404
from app.organizer.formatting import local_formatter
from app.organizer.queries import rsvp_counts
from app.rsvps import checkin
from app.rsvps.labels import STATUS_LABELS
from app.rsvps.models import Rsvp
from app.tokens import Purpose, find_by_token

bp = Blueprint("checkin", __name__)


def _rsvp(event: Event, rsvp_id: int) -> Rsvp:
    rsvp = db.session.get(Rsvp, rsvp_id)
    if rsvp is None or rsvp.event_id != event.id:
        abort(404)
    return rsvp


def _search_to_keep() -> str:
    """The search the volunteer was on, sent back by every button so the list stays put.

    CSRFProtect has already checked the POST's token before the view runs.
    """
    return (request.form.get("q") or "").strip()[:100]


def _back_to_door(event: Event, search: str | None, rsvp: Rsvp | None = None):
    anchor = f"rsvp-{rsvp.id}" if rsvp is not None else None
    return redirect(
        url_for("organizer.checkin.door", slug=event.slug, q=search or None, _anchor=anchor)
    )


def _render_door(event: Event, search: str, walk_in_form: WalkInForm, status: int = 200):
    result = checkin.search_at_door(event, search)
    return render_template(
        "organizer/checkin/door.html",
        event=event,
        search=search,
        result=result,
        counts=rsvp_counts([event.id])[event.id],
        walk_in_form=walk_in_form,
        status_labels=STATUS_LABELS,
        local_time=local_formatter(event, with_date=False),
    ), status


@bp.get("/events/<slug>/checkin")
def door(slug: str):
    event = event_or_404(slug)
    search = request.args.get("q", "").strip()  # too long: SearchTooLong, a 400
    walk_in_form = WalkInForm(q=search, language=current_language(), formdata=None)
    return _render_door(event, search, walk_in_form)


@bp.post("/events/<slug>/checkin/<int:rsvp_id>")
def check_in(slug: str, rsvp_id: int):
    event = event_or_404(slug)
    rsvp = _rsvp(event, rsvp_id)
    if checkin.check_in(rsvp, utcnow(), actor=current_account()):
        flash(_("%(name)s is checked in.", name=rsvp.name), "success")
    else:
        flash(_already_checked_in(event, rsvp), "warning")
    db.session.commit()
    return _back_to_door(event, _search_to_keep(), rsvp)


@bp.post("/events/<slug>/checkin/<int:rsvp_id>/undo")
def undo(slug: str, rsvp_id: int):
    event = event_or_404(slug)
    rsvp = _rsvp(event, rsvp_id)
    if checkin.undo_check_in(rsvp, actor=current_account()):
        flash(_("Check-in undone for %(name)s.", name=rsvp.name), "success")
    db.session.commit()
    return _back_to_door(event, _search_to_keep(), rsvp)


@bp.post("/events/<slug>/checkin/walk-in")
def walk_in(slug: str):
    event = event_or_404(slug)
    form = WalkInForm()
    if not form.validate_on_submit():
        return _render_door(event, form.q.data or "", form, status=422)
    outcome = checkin.add_walk_in(
        event,
        utcnow(),
        name=form.name.data,
        organization=form.organization.data or "",
        email=form.email.data or None,
        language=form.language.data,
        actor=current_account(),
    )
    db.session.commit()
    rsvp = outcome.rsvp
    if outcome.created:
        flash(_("%(name)s was added as a walk-in and checked in.", name=rsvp.name), "success")
    elif outcome.already_checked_in:
        flash(_already_checked_in(event, rsvp), "warning")
    else:
        flash(
            _(
                "%(name)s already had an RSVP with that email; they are now checked in.",
                name=rsvp.name,
            ),
            "success",
        )
    return _back_to_door(event, form.q.data or rsvp.name, rsvp)


def _already_checked_in(event: Event, rsvp: Rsvp) -> str:
    when = local_formatter(event, with_date=False)(rsvp.checked_in_at)
    return _("%(name)s was already checked in at %(time)s.", name=rsvp.name, time=when)


def _rsvp_by_token(token: str) -> Rsvp:
    """The RSVP of a QR code, for an organizer who manages its event; else a 404."""
    rsvp = find_by_token(token, Purpose.CHECKIN)
    if rsvp is None or not access.can_manage(current_account(), rsvp.event):
        abort(404)
    return rsvp


@bp.get("/checkin/<token>")
def by_token(token: str):
    """Where the QR code in a confirmation email leads. Opening it shows the attendee and a
    button: a GET never checks anyone in, since link previews and scanners fetch URLs too."""
    rsvp = _rsvp_by_token(token)
    event = rsvp.event
    return render_template(
        "organizer/checkin/ticket.html",
        event=event,
        rsvp=rsvp,
        status_labels=STATUS_LABELS,
        local_time=local_formatter(event, with_date=False),
        local_datetime=local_formatter(event),
    )


@bp.post("/checkin/<token>")
def check_in_by_token(token: str):
    rsvp = _rsvp_by_token(token)
    if checkin.check_in(rsvp, utcnow(), actor=current_account()):
        flash(_("%(name)s is checked in.", name=rsvp.name), "success")
    db.session.commit()
    return redirect(url_for("organizer.checkin.by_token", token=token))

"""Invitation pages: the organizer's invitee list, and the invitee's personal link.

The organizer routes live under /organizer/ and require sign-in like the rest of the workspace.
The personal link is public (/invitation/<token>), on its own blueprint, so that no route under
/organizer/ is ever reachable without signing in.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.accounts.current import current_account
from app.db_types import utcnow
from app.events import access
from app.events import queries as event_queries
from app.extensions import db
from app.forms import ActionForm
from app.i18n import current_language
from app.inbound.bounces import bounced_addresses
from app.invitations import labels, queries, services
from app.invitations.forms import AddInviteesForm, ChangeAddressForm, ResendForm
from app.invitations.parsing import InviteeListError, parse_csv, parse_pasted
from app.rsvps.labels import STATUS_LABELS
from app.rsvps.panel import panel_context
from app.tokens import Purpose, find_by_token
from app.transactions import commit_with_retry

bp = Blueprint("invitations", __name__)
public_bp = Blueprint("invitation_link", __name__)


def _event_or_404(slug: str):
    """An event the signed-in organizer manages; any other is a 404 (app/events/access.py)."""
    event = access.event_for(current_account(), slug)
    if event is None:
        abort(404)
    return event


def _invitation_or_404(event, invitation_id: int):
    invitation = queries.find_invitation(event, invitation_id)
    if invitation is None:
        abort(404)
    return invitation


def _render_index(event, form: AddInviteesForm, status: int = 200, report=None):
    rows = queries.invitee_rows(event)
    resend_forms = {}
    for row in rows:
        # An invitee who answered chose a language; otherwise the invitation's own.
        language = row.rsvp.language if row.rsvp else row.invitation.language
        resend_forms[row.invitation.id] = ResendForm(formdata=None, language=language)
    bounced = bounced_addresses([row.invitation.email for row in rows])
    # A bounced invitation nobody answered can go to a corrected address instead.
    address_forms = {
        row.invitation.id: ChangeAddressForm(formdata=None)
        for row in rows
        if row.rsvp is None and row.invitation.email.lower() in bounced
    }
    return render_template(
        "invitations/index.html",
        event=event,
        form=form,
        report=report,
        rows=rows,
        summary=queries.InviteeSummary.of(rows),
        resend_forms=resend_forms,
        bounced=bounced,
        address_forms=address_forms,
        action_form=ActionForm(),
        status_labels=STATUS_LABELS,
        line_problem=labels.line_problem,
    ), status


@bp.get("/events/<slug>/invitations")
def index(slug: str):
    event = _event_or_404(slug)
    return _render_index(event, AddInviteesForm(language=current_language()))


@bp.post("/events/<slug>/invitations")
def add(slug: str):
    event = _event_or_404(slug)
    form = AddInviteesForm()
    if not form.validate_on_submit():
        return _render_index(event, form, 422)
    try:
        if form.has_file:
            entries = parse_csv(form.csv_file.data.read())
        else:
            entries = parse_pasted(form.invitees.data)  # unstripped: line numbers stay true
    except InviteeListError as error:
        form.form_errors.append(labels.list_problem(error.problem))
        return _render_index(event, form, 422)

    try:
        report = commit_with_retry(
            lambda: services.invite(
                event,
                entries,
                form.language.data,
                utcnow(),
                actor=current_account(),
            )
        )
    except services.InvitationError as error:
        form.form_errors.append(labels.sending_refused(error))
        return _render_index(event, form, 409)
    # The lines that could not be read stay in the box, ready to be corrected and sent again.
    fresh = AddInviteesForm(formdata=None, language=form.language.data)
    if not form.has_file:
        fresh.invitees.data = "\n".join(entry.text for entry in report.invalid_entries)
    return _render_index(event, fresh, report=report)


@bp.post("/events/<slug>/invitations/<int:invitation_id>/resend")
def resend(slug: str, invitation_id: int):
    event = _event_or_404(slug)
    invitation = _invitation_or_404(event, invitation_id)
    form = ResendForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        new_link = services.resend(
            invitation, form.language.data, utcnow(), actor=current_account()
        )
        db.session.commit()
    except services.InvitationError as error:
        db.session.rollback()
        flash(labels.sending_refused(error), "error")
        return redirect(url_for("organizer.invitations.index", slug=slug))
    who = invitation.name or invitation.email
    if new_link:
        flash(_("%(who)s is invited again, with a new link.", who=who), "ok")
    else:
        flash(_("The invitation was sent again to %(who)s.", who=who), "ok")
    return redirect(url_for("organizer.invitations.index", slug=slug))


@bp.post("/events/<slug>/invitations/<int:invitation_id>/address")
def change_address(slug: str, invitation_id: int):
    """Send the invitation to a corrected address, after the first one bounced."""
    event = _event_or_404(slug)
    invitation = _invitation_or_404(event, invitation_id)
    form = ChangeAddressForm()
    if not form.validate_on_submit():
        if not form.email.errors:
            abort(400)  # no valid CSRF token
        for message in form.email.errors:
            flash(message, "error")
        return redirect(url_for("organizer.invitations.index", slug=slug))
    try:
        commit_with_retry(
            lambda: services.change_address(
                invitation, form.email.data, utcnow(), actor=current_account()
            )
        )
    except services.InvitationError as error:
        flash(labels.sending_refused(error), "error")
        return redirect(url_for("organizer.invitations.index", slug=slug))
    flash(
        _(
            "The invitation was sent to %(email)s; the old address's links no longer work.",
            email=invitation.email,
        ),
        "ok",
    )
    return redirect(url_for("organizer.invitations.index", slug=slug))


@bp.post("/events/<slug>/invitations/<int:invitation_id>/revoke")
def revoke(slug: str, invitation_id: int):
    event = _event_or_404(slug)
    invitation = _invitation_or_404(event, invitation_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.revoke(invitation, utcnow(), actor=current_account())
    db.session.commit()
    flash(
        _(
            "%(who)s's invitation link no longer works. Any RSVP they made stays; resend to "
            "invite them again with a new link.",
            who=invitation.name or invitation.email,
        ),
        "ok",
    )
    return redirect(url_for("organizer.invitations.index", slug=slug))


@public_bp.get("/invitation/<token>")
def show(token: str):
    """The event page with its RSVP form, opened for (and prefilled with) the invitee."""
    invitation = find_by_token(token, Purpose.INVITATION)
    if invitation is None:
        abort(404)
    event = event_queries.find_event_by_slug(invitation.event.slug)
    if event is None or not event_queries.can_view(event, invitation):
        abort(404)
    page = render_template(
        "invitations/event.html", event=event, **panel_context(event, invitation=invitation)
    )
    # A personal page (name, address, token in the form): never kept by a shared cache.
    return page, {"Cache-Control": "private, no-store"}

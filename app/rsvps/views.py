"""RSVP pages: answering from the event page, and the no-account manage link."""

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError

from app.database_faults import CANNOT_SAVE_NOW, is_database_fault
from app.db_types import utcnow
from app.errors import RETRY_AFTER_SECONDS
from app.events import queries as event_queries
from app.events.models import EventStatus
from app.extensions import db, limiter
from app.forms import ActionForm
from app.i18n import current_language
from app.privacy import personal_data as privacy_data
from app.privacy.notices import current_notice
from app.rsvps import errors, services
from app.rsvps.forms import ChangeRsvpForm, LostLinkForm, RsvpForm
from app.rsvps.labels import CLOSED_MESSAGES, STATUS_LABELS, error_message
from app.rsvps.panel import INVITATION_FIELD, for_invitee, panel_context
from app.rsvps.queries import waitlist_position
from app.security_lists import services as security_lists
from app.security_lists.errors import SecurityListError
from app.security_lists.forms import SecurityDetailsForm
from app.security_lists.labels import detail_rows
from app.security_lists.queries import collects_details
from app.tokens import Purpose, find_by_token, make_token
from app.transactions import commit_with_retry

bp = Blueprint("rsvps", __name__)


# Where the session keeps which address the last form here had us write to, and why.
SENT_KEY = "rsvp_email_sent"
ANSWER = "answer"
LOST_LINK = "lost-link"
# A page showing someone's security details (or sending back what they typed) is kept by no
# cache, shared or the browser's.
NO_STORE = {"Cache-Control": "private, no-store"}


def _posted_invitation(event):
    """The invitation an RSVP form carries, if any. A forged or revoked one, or one for another
    event, is a 404, as its link is."""
    token = request.form.get(INVITATION_FIELD)
    if not token:
        return None
    invitation = find_by_token(token, Purpose.INVITATION)
    if invitation is None or event is None or invitation.event_id != event.id:
        abort(404)
    return invitation


def _answer_from(form: RsvpForm) -> services.Answer:
    return services.Answer(
        name=form.name.data,
        email=form.email.data,
        organization=form.organization.data,
        job_title=form.job_title.data,
        phone=form.phone.data,
        language=form.language.data,
        attending=form.attending,
        guests=form.guest_count,
        needs=form.needs.data,
        share_with_host=form.share_with_host.data,
        join_waitlist=form.join_waitlist.data,
        security=form.given_details(),
        viewer_timezone=form.viewer_timezone.data,
        crossing_document=form.crossing_told,
    )


def _remember_email_sent(event, email: str, reason: str) -> Response:
    """Post/redirect/get: the page after a form says which address we wrote to, from the
    session, so a reload shows it again and never posts twice."""
    session[SENT_KEY] = {"event": event.id, "email": email, "reason": reason}
    return redirect(url_for("rsvps.email_sent", slug=event.slug, reason=reason))


@bp.post("/events/<slug>/rsvp")
@limiter.limit(lambda: current_app.config["RATELIMIT_RSVP"])
def submit(slug: str):
    event = event_queries.find_event_by_slug(slug)
    invitation = _posted_invitation(event)
    if event is None or not event_queries.can_view(event, invitation):
        abort(404)
    form = RsvpForm()
    form.fit_to(event)
    if invitation is not None:
        for_invitee(form, invitation)
    if form.is_bot:
        # Look like success so the bot learns nothing; nothing is stored or sent.
        return _remember_email_sent(event, form.email.data or "", ANSWER)
    reason = services.closed_reason(event, utcnow())
    if reason is not None:
        return render_template(
            "rsvps/closed.html", event=event, message=CLOSED_MESSAGES[reason]
        ), 409
    if not form.validate_on_submit():
        return _render_panel(event, form, invitation, 422)
    answer = _answer_from(form)
    try:
        commit_with_retry(lambda: services.submit_answer(event, answer, utcnow(), invitation))
    except errors.RsvpsClosed as closed:
        return render_template(
            "rsvps/closed.html", event=event, message=CLOSED_MESSAGES[closed.reason]
        ), 409
    except errors.RsvpError as error:  # too many guests, or fewer seats than the party
        form.form_errors.append(error_message(error))
        # Offer the waitlist to a party that does not fit (the button shows with the error).
        form.offer_waitlist = isinstance(error, errors.PartyTooLarge)
        return _render_panel(event, form, invitation, 409)
    except SecurityListError as error:  # the organizer changed the list since the page loaded
        form.show_error(error)
        return _render_panel(event, form, invitation, 409)
    except OperationalError as error:  # rolled back already (commit_with_retry)
        if not is_database_fault(error):
            raise
        current_app.logger.error("RSVP not saved, database fault: %s", error.orig)
        form.form_errors.append(str(CANNOT_SAVE_NOW))
        page, status, headers = _render_panel(event, form, invitation, 503)
        return page, status, headers | {"Retry-After": str(RETRY_AFTER_SECONDS)}
    # Whether this recorded an answer or only emailed the address's owner, the page is the
    # same: it must not tell a stranger that an address has answered, nor how.
    return _remember_email_sent(event, answer.email, ANSWER)


@bp.post("/events/<slug>/lost-link")
@limiter.limit(lambda: current_app.config["RATELIMIT_RSVP"])
def lost_link(slug: str):
    """Email an attendee's personal link to their address again; the page never says whether
    the address has answered."""
    event = event_queries.find_event_by_slug(slug)
    if event is None or not event_queries.can_view(event):
        abort(404)
    form = LostLinkForm()
    if not form.validate_on_submit():
        return _render_panel(event, None, None, 422, lost_link_form=form)
    services.resend_link(event, form.email.data, utcnow())
    db.session.commit()
    return _remember_email_sent(event, form.email.data, LOST_LINK)


@bp.get("/events/<slug>/rsvp", defaults={"reason": ANSWER})
@bp.get("/events/<slug>/lost-link", defaults={"reason": LOST_LINK})
def email_sent(slug: str, reason: str):
    """After an RSVP or a lost-link request: what we did, in this browser only.

    Anyone else (or a bookmark, later) gets the event page, or a 404 where the event is not
    public, so the page reveals no invite-only event.
    """
    event = event_queries.find_event_by_slug(slug)
    sent = session.get(SENT_KEY)
    if event is None or not sent or sent.get("event") != event.id or sent.get("reason") != reason:
        if event is not None and event_queries.can_view(event):
            return redirect(url_for("events.detail", slug=slug))
        abort(404)
    page = render_template("rsvps/sent.html", event=event, email=sent["email"], reason=reason)
    return page, {"Cache-Control": "private, no-store"}


def _render_panel(event, form, invitation, status: int, **extra):
    """The event page (or the invitee's) again, with the form's errors and what was typed."""
    template = "invitations/event.html" if invitation is not None else "events/detail.html"
    context = panel_context(event, form, invitation) | extra
    headers = NO_STORE if form is not None and form.asks_details else {}
    return render_template(template, event=event, **context), status, headers


def _rsvp_or_404(token: str):
    rsvp = find_by_token(token, Purpose.MANAGE)
    if rsvp is None:
        abort(404)
    return rsvp


def _details_form(rsvp, closed: bool, formdata=None) -> SecurityDetailsForm | None:
    """The personal page's own form for the venue's details: to correct those on record, or
    to give them once the answer can no longer change (until then the answer's form asks)."""
    security_list = collects_details(rsvp.event)
    if security_list is None or not rsvp.status.is_attending or rsvp.event.is_cancelled:
        return None
    stored = security_lists.stored_details(rsvp)
    if stored is None and not closed:
        return None
    return SecurityDetailsForm.for_details(
        security_list, stored or {}, current_language(), formdata=formdata
    )


def _security_context(rsvp, closed: bool, details_form=None) -> dict:
    """The personal page's part about the venue's security list: what is on record (the ID
    number masked), what is missing, and the form to correct it."""
    security_list = collects_details(rsvp.event)
    if security_list is None:
        return {"security_list": None}
    stored = security_lists.stored_details(rsvp)
    return {
        "security_list": security_list,
        "security_rows": detail_rows(security_list, stored, current_language()) if stored else [],
        "missing_details": security_lists.missing_fields(security_list, stored or {}),
        "details_form": details_form or _details_form(rsvp, closed),
    }


def _render_manage(
    rsvp, token: str, form: ChangeRsvpForm, status: int = 200, error=None, details_form=None
):
    reason = services.closed_reason(rsvp.event, utcnow())
    return (
        render_template(
            "rsvps/manage.html",
            event=rsvp.event,
            rsvp=rsvp,
            form=form,
            action_form=ActionForm(),
            token=token,
            feed_token=make_token(rsvp, Purpose.FEED),
            status_label=STATUS_LABELS[rsvp.status],
            position=waitlist_position(rsvp),
            closed_message=CLOSED_MESSAGES[reason] if reason else None,
            error=error,
            **_security_context(rsvp, reason is not None, details_form),
        ),
        status,
        NO_STORE,
    )


@bp.route("/rsvp/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_RSVP"], methods=["POST"])
def manage(token: str):
    rsvp = _rsvp_or_404(token)
    form = ChangeRsvpForm.for_rsvp(rsvp)
    if not form.is_submitted():
        return _render_manage(rsvp, token, form)
    if not form.validate():
        return _render_manage(rsvp, token, form, 422)
    details = form.given_details()
    try:
        commit_with_retry(
            lambda: services.change_answer(rsvp, utcnow(), **form.answer_changes(), details=details)
        )
    except errors.RsvpError as error:
        return _render_manage(rsvp, token, form, 409, error_message(error))
    except SecurityListError as error:
        form.show_error(error)
        return _render_manage(rsvp, token, form, 409)
    flash(_("Your answer has been updated. We've emailed you a confirmation."), "ok")
    return redirect(url_for("rsvps.manage", token=token))


@bp.post("/rsvp/<token>/security-details")
@limiter.limit(lambda: current_app.config["RATELIMIT_RSVP"])
def correct_details(token: str):
    """The attendee gives or corrects their details for the venue's security list."""
    rsvp = _rsvp_or_404(token)
    closed = services.closed_reason(rsvp.event, utcnow()) is not None
    form = _details_form(rsvp, closed, formdata=request.form)
    if form is None:
        abort(404)  # no list, or they are not coming: nothing to give
    answer_form = ChangeRsvpForm.for_rsvp(rsvp, unsent=True)
    if not form.validate_on_submit():
        return _render_manage(rsvp, token, answer_form, 422, details_form=form)
    try:
        commit_with_retry(
            lambda: security_lists.correct_details(
                rsvp, form.typed_details(), current_notice().version, utcnow()
            )
        )
    except SecurityListError as error:
        form.show_error(error)
        return _render_manage(rsvp, token, answer_form, 409, details_form=form)
    except errors.RsvpError as error:
        return _render_manage(rsvp, token, answer_form, 409, error_message(error))
    flash(_("Your details for the venue's security list are saved."), "ok")
    return redirect(url_for("rsvps.manage", token=token, _anchor="security-list"))


@bp.post("/rsvp/<token>/cancel")
def cancel(token: str):
    rsvp = _rsvp_or_404(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        commit_with_retry(lambda: services.cancel_rsvp(rsvp, utcnow()))
    except errors.RsvpsClosed as error:
        form = ChangeRsvpForm(formdata=None)
        form.fit_to(rsvp.event, rsvp)
        return _render_manage(rsvp, token, form, 409, error_message(error))
    flash(_("Your RSVP is cancelled. We've emailed you a receipt."), "ok")
    return redirect(url_for("rsvps.manage", token=token))


@bp.post("/rsvp/<token>/new-link")
@limiter.limit(lambda: current_app.config["RATELIMIT_RSVP"])
def new_link(token: str):
    rsvp = _rsvp_or_404(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.replace_links(rsvp)
    db.session.commit()
    return render_template("rsvps/new_link_sent.html", event=rsvp.event, email=rsvp.email)


@bp.get("/rsvp/<token>/data.json")
def personal_data(token: str):
    """Everything stored about the attendee, as a file (the right of access)."""
    rsvp = _rsvp_or_404(token)
    data = json.dumps(privacy_data.personal_data(rsvp, utcnow()), ensure_ascii=False, indent=2)
    return Response(
        data,
        mimetype="application/json",
        headers={
            # It holds their ID details: no cache, shared or private, may keep a copy.
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="rsvp-{rsvp.id}-data.json"',
        },
    )


@bp.route("/rsvp/<token>/delete", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_RSVP"], methods=["POST"])
def delete_data(token: str):
    """Delete the RSVP and everything stored about the attendee, after a confirmation page."""
    rsvp = _rsvp_or_404(token)
    form = ActionForm()
    if not form.is_submitted():
        return render_template(
            "privacy/delete_confirm.html", event=rsvp.event, rsvp=rsvp, token=token, form=form
        )
    if not form.validate():
        abort(400)
    event = rsvp.event
    commit_with_retry(lambda: services.delete_rsvp_and_data(rsvp, utcnow()))
    page = render_template("privacy/deleted.html", event=event)
    return page, {"Cache-Control": "no-store"}


@bp.get("/rsvp/<token>/event")
def event_page(token: str):
    """An invite-only event as its attendee's calendar links to it: read only, since the link
    rides along in a calendar feed."""
    rsvp = find_by_token(token, Purpose.VIEW)
    if rsvp is None or rsvp.event.status is EventStatus.DRAFT:
        abort(404)
    return render_template(
        "rsvps/event.html",
        event=rsvp.event,
        rsvp=rsvp,
        status_label=STATUS_LABELS[rsvp.status],
        position=waitlist_position(rsvp),
    )

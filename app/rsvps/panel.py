"""The RSVP part of an event page, as the public event page, the invitee's page and the RSVP
views all show it: a presenter, so that no view imports another view's helpers."""

from app.db_types import utcnow
from app.i18n import current_language
from app.rsvps import services
from app.rsvps.forms import LostLinkForm, RsvpForm
from app.rsvps.labels import CLOSED_MESSAGES
from app.rsvps.queries import seats_left
from app.tokens import Purpose, make_token

# The hidden field in which the RSVP form carries an invitation's token (app/invitations).
INVITATION_FIELD = "invitation"


def panel_context(event, form=None, invitation=None, lost_link_form=None) -> dict:
    """What the RSVP part of an event page needs: the form, or why there is none.

    With an invitation the form is the invitee's: prefilled, and carrying the invitation along
    so that an invite-only event accepts the answer.
    """
    reason = services.closed_reason(event, utcnow())
    if form is None and reason is None:
        prefill = {"name": invitation.name, "email": invitation.email} if invitation else {}
        form = RsvpForm(language=current_language(), **prefill)
        form.fit_to(event)
    if form is not None and invitation is not None:
        for_invitee(form, invitation)
    return {
        "form": form,
        "closed_message": CLOSED_MESSAGES[reason] if reason else None,
        "seats_left": seats_left(event),
        "invitation": invitation,
        "invitation_field": INVITATION_FIELD,
        "invitation_token": make_token(invitation, Purpose.INVITATION) if invitation else None,
        # Invitees have their invitation's link; everyone else may have lost theirs.
        "lost_link_form": None if invitation else (lost_link_form or LostLinkForm(formdata=None)),
    }


def for_invitee(form: RsvpForm, invitation) -> None:
    """An invitation answers for the address it was sent to, whatever the form says: it must
    not let anyone RSVP as someone else. The field is shown read-only."""
    form.email.data = invitation.email
    form.email.render_kw = {**(form.email.render_kw or {}), "readonly": True}

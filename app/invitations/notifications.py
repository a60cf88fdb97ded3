"""The invitation email, queued in the outbox within the caller's transaction."""

from flask import current_app

from app.extensions import db
from app.invitations.models import Invitation
from app.mail.outbox import queue_email
from app.tokens import Purpose, make_token
from app.urls import absolute_url

INVITATION = "invitation"
INVITATION_RESENT = "invitation_resent"


def invitation_url(invitation: Invitation, language: str) -> str:
    """The personal link; it opens the page in the email's language unless that is the default."""
    values = {"token": make_token(invitation, Purpose.INVITATION)}
    if language != current_app.config["LANGUAGES"][0]:
        values["lang"] = language
    return absolute_url("invitation_link.show", **values)


def queue_invitation(
    invitation: Invitation, language: str, *, resent: bool = False, new_link: bool = False
) -> None:
    """Queue the email that carries the invitee's personal link.

    `new_link` says the links in earlier emails were revoked, so the email can say so.
    """
    db.session.flush()  # the invitation needs its id for its link
    queue_email(
        "invitation",
        INVITATION_RESENT if resent else INVITATION,
        to_name=invitation.name,
        to_email=invitation.email,
        language=language,
        context={
            "invitation": invitation,
            "event": invitation.event,
            "invitation_url": invitation_url(invitation, language),
            "new_link": new_link,
        },
    )

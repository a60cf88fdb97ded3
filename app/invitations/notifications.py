"""The invitation email, queued in the outbox within the caller's transaction."""

from flask import current_app

from app.db_types import utcnow
from app.events.models import Visibility
from app.extensions import db
from app.ical import calendar_entries, calendar_invite
from app.inbound.addresses import inbound_domain
from app.invitations.models import Invitation
from app.invitations.queries import answer_of
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


def carries_calendar_invite(invitation: Invitation) -> bool:
    """Whether the invitation email holds a REQUEST the invitee can accept from their calendar
    app: only when answers by email are on (app/inbound), for an invite-only event, and while
    they have not answered. Someone who answered has their RSVP's own calendar entry."""
    return (
        inbound_domain() is not None
        and invitation.event.visibility is Visibility.INVITE_ONLY
        and answer_of(invitation) is None
    )


def queue_invitation(
    invitation: Invitation, language: str, *, resent: bool = False, new_link: bool = False
) -> None:
    """Queue the email that carries the invitee's personal link.

    `new_link` says the links in earlier emails were revoked, so the email can say so.
    """
    db.session.flush()  # the invitation needs its id for its link
    url = invitation_url(invitation, language)
    ics = None
    if carries_calendar_invite(invitation):
        # The event's own UID and SEQUENCE: the RSVP's later invitations update this entry.
        # It asks one question, so a visit's stops are not all in it: the first stands for it.
        [first, *_others] = calendar_entries(invitation.event)
        calendar = calendar_invite(
            invitation.event, invitation, "REQUEST", utcnow(), url, first.stop
        )
        ics = calendar.to_ical().decode()
        invitation.ical_sequence_sent = invitation.event.sequence
    queue_email(
        "invitation",
        INVITATION_RESENT if resent else INVITATION,
        to_name=invitation.name,
        to_email=invitation.email,
        language=language,
        context={
            "invitation": invitation,
            "event": invitation.event,
            "invitation_url": url,
            "new_link": new_link,
            "has_invite": ics is not None,
        },
        ics=ics,
        ics_method="REQUEST" if ics else None,
    )

"""Personal invitation links, signed like RSVP links (see app/rsvps/tokens.py).

A token is `<invitation id>.<HMAC-SHA256 over "invitation", the id and the invitation's nonce>`.
The database holds only the nonce, the MAC is checked in constant time, and the "invitation"
prefix keeps these MACs apart from RSVP ones: an RSVP link can never pass for an invitation with
the same id, nor the other way round. Revoking rotates the nonce, so a revoked link stays dead
even if the invitation is later sent again.
"""

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from app.extensions import db
from app.invitations.models import Invitation

MAX_TOKEN_LENGTH = 100


def _mac(invitation_id: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"invitation:{invitation_id}:{nonce}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(invitation: Invitation) -> str:
    return f"{invitation.id}.{_mac(invitation.id, invitation.token_nonce)}"


def find_by_token(token: str) -> Invitation | None:
    """The live invitation a token opens; None for anything malformed, forged or revoked."""
    invitation_id, _, mac = token.partition(".")
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():  # compare_digest wants ASCII
        return None
    # Ids beyond 64 bits would overflow the database driver rather than simply not match.
    if not invitation_id.isdigit() or len(invitation_id) > 18 or not mac:
        return None
    invitation = db.session.get(Invitation, int(invitation_id))
    if invitation is None:
        return None
    if not hmac.compare_digest(mac, _mac(invitation.id, invitation.token_nonce)):
        return None
    if invitation.is_revoked:
        return None
    return invitation


def rotate_token(invitation: Invitation) -> None:
    """Invalidate the current link; the next one is made from the new nonce."""
    invitation.token_nonce = secrets.token_hex(16)

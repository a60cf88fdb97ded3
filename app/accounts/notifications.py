"""The emails an organizer account is sent, queued in the outbox within the caller's transaction."""

from app.accounts.models import User
from app.mail.outbox import queue_email
from app.tokens import Purpose, make_token
from app.urls import absolute_url

ACCOUNT_UNLOCK = "account_unlock"


def queue_unlock_link(user: User, language: str, client_address: str) -> None:
    """Tell the owner that sign-in to their account is being refused to `client_address` after
    repeated wrong passwords, with a link that lifts the wait at once if that was them."""
    queue_email(
        "account_unlock",
        ACCOUNT_UNLOCK,
        to_name=user.name,
        to_email=user.email,
        language=language,
        context={
            "user": user,
            "client_address": client_address,
            "unlock_url": absolute_url(
                "accounts.unlock", token=make_token(user, Purpose.ACCOUNT_UNLOCK)
            ),
        },
    )

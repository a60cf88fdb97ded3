"""The account signed in to this request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_login import current_user

if TYPE_CHECKING:
    from app.accounts.models import User


def current_account() -> User:
    """The signed-in account itself, not Flask-Login's proxy to it: services store it (audit
    entries, event owners) and compare it with other accounts, which the proxy cannot do."""
    return current_user._get_current_object()

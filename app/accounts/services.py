"""Organizer accounts: creation, sign-in with slowdown after failures, passwords."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import Role, User
from app.extensions import db

MIN_PASSWORD_LENGTH = 10
FREE_ATTEMPTS = 5  # failures allowed before each further attempt has to wait
MAX_LOCK = timedelta(minutes=30)

# Checked against when the email is unknown, so a miss costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Exception):
    """A rule stopped the change; views and commands say why with `accounts.labels`."""


class EmailTaken(AccountError):
    def __init__(self, email: str):
        super().__init__(f"an account with {email!r} already exists")
        self.email = email


class WeakPassword(AccountError):
    def __init__(self, min_length: int):
        super().__init__(f"passwords need at least {min_length} characters")
        self.min_length = min_length


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def find_user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalize_email(email)))


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(MIN_PASSWORD_LENGTH)


def create_user(email: str, password: str, role: Role = Role.ORGANIZER, name: str = "") -> User:
    """A new organizer or admin; raises AccountError for a taken email or weak password."""
    if find_user(email) is not None:
        raise EmailTaken(normalize_email(email))
    check_password_strength(password)
    user = User(email=normalize_email(email), name=name, role=role)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Hash with scrypt (werkzeug's salted default) and sign out every other session."""
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)
    rotate_sessions(user)


def rotate_sessions(user: User) -> None:
    user.session_nonce = secrets.token_hex(16)


def lock_delay(failures: int) -> timedelta:
    """After FREE_ATTEMPTS failures, wait 1, 2, 4 … minutes (capped) between attempts."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(timedelta(minutes=2 ** (failures - FREE_ATTEMPTS)), MAX_LOCK)


def authenticate(email: str, password: str, now: datetime) -> User | None:
    """The account if the password is right and the account may sign in now, else None.

    Callers show one message for every refusal, so nobody learns whether an email has an
    account, whether it is locked, or whether it was only the password that was wrong.
    """
    user = find_user(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if user.locked_until is not None and now < user.locked_until:
        return None
    if not user.active or not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        delay = lock_delay(user.failed_logins)
        user.locked_until = now + delay if delay else None
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def load_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id must carry the account's current session nonce."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_nonce != nonce:
        return None
    return user

"""Organizer accounts: creation, passwords, sign-in with slowdown after failures, sessions."""

from __future__ import annotations

import ipaddress
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from app.accounts.models import Role, SignInThrottle, User
from app.accounts.notifications import queue_unlock_link
from app.audit import services as audit
from app.extensions import db
from app.tokens import revoke_tokens

if TYPE_CHECKING:
    from app.events.models import Organization

MIN_PASSWORD_LENGTH = 10
# zxcvbn's scale: 3 is "safely unguessable" (about 10^8 guesses or more) for an online attack.
# "password12", "1234567890" and ten spaces score 0 or 1.
MIN_PASSWORD_SCORE = 3
# zxcvbn's word lists are English: "contraseña2024" or "tijuana2025" score as strong. What
# people here build passwords from (Spanish for "password", greetings, the region's places, the
# app and the coalition) is given to it as known words; the most common first.
COMMON_LOCAL_WORDS = (
    "contraseña",
    "contrasena",
    "clave",
    "secreto",
    "bienvenido",
    "bienvenida",
    "hola",
    "amor",
    "teamo",
    "admin",
    "administrador",
    "usuario",
    "organizador",
    "convoca",
    "coalicion",
    "coalición",
    "frontera",
    "tijuana",
    "mexico",
    "méxico",
    "bajacalifornia",
    "baja",
    "california",
    "ensenada",
    "mexicali",
    "tecate",
    "rosarito",
    "sandiego",
    "chulavista",
    "sanysidro",
    "otay",
)
# Scoring costs time that grows with the length; what follows the first 100 characters can
# only make a password stronger, so it is not looked at.
_SCORED_LENGTH = 100

FREE_ATTEMPTS = 5  # failures from one address allowed before each further attempt has to wait
MAX_LOCK = timedelta(minutes=30)
# A pair (account, address) with no failure for this long starts counting from zero again.
THROTTLE_MEMORY = timedelta(days=1)

# Checked against when the email is unknown, so a miss costs as much time as a wrong password:
# one per hash method, made as real hashes are.
_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not-a-real-password", method=method)
    return _dummy_hashes[method]


class AccountError(Exception):
    """A rule stopped the change; views and commands say why with `accounts.labels`."""


class HostNeedsOrganization(AccountError):
    """A host account reads the lists of one organization's events: it needs that organization."""


class HostsSeeNoSecurityLists(AccountError):
    """A host account reads host lists only: never attendees' ID details."""


class EmailTaken(AccountError):
    def __init__(self, email: str):
        super().__init__(f"an account with {email!r} already exists")
        self.email = email


class WeakPassword(AccountError):
    def __init__(self, min_length: int):
        super().__init__(f"passwords need at least {min_length} characters")
        self.min_length = min_length


class GuessablePassword(WeakPassword):
    """Long enough, but common or patterned: a word list, a keyboard row, a name or an email."""

    def __init__(self):
        AccountError.__init__(self, "password is too easy to guess")
        self.min_length = MIN_PASSWORD_LENGTH


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def find_user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalize_email(email)))


def check_password_strength(password: str, personal: tuple[str, ...] = ()) -> None:
    """Refuse short passwords, and ones an attacker's word lists and patterns guess soon.

    `personal` holds what the account is known by (email, name): a password built from it is
    guessed first, so zxcvbn counts it as a common word, as it does COMMON_LOCAL_WORDS.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(MIN_PASSWORD_LENGTH)
    inputs = [part for value in personal for part in _personal_words(value)]
    inputs.extend(COMMON_LOCAL_WORDS)
    if zxcvbn(password[:_SCORED_LENGTH], user_inputs=inputs)["score"] < MIN_PASSWORD_SCORE:
        raise GuessablePassword()


def _personal_words(value: str) -> list[str]:
    """An email and its local part and domain words; a name and its words."""
    value = value.strip().casefold()
    local, _, domain = value.partition("@")
    words = [value, local, *domain.split("."), *value.replace("@", " ").split()]
    return [word for word in words if len(word) >= 3]


def create_user(
    email: str,
    password: str,
    role: Role = Role.ORGANIZER,
    name: str = "",
    organization: Organization | None = None,
) -> User:
    """A new organizer, admin or host account (a host speaks for `organization`, which it
    needs); raises AccountError for a taken email or weak password, or a host without one."""
    if find_user(email) is not None:
        raise EmailTaken(normalize_email(email))
    if role is Role.HOST and organization is None:
        raise HostNeedsOrganization()
    user = User(email=normalize_email(email), name=name, role=role, organization=organization)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Hash (PASSWORD_HASH_METHOD: scrypt, salted) and sign out every other session."""
    check_password_strength(password, (user.email, user.name or ""))
    method = current_app.config["PASSWORD_HASH_METHOD"]
    user.password_hash = generate_password_hash(password, method=method)
    rotate_sessions(user)


def set_security_list_access(user: User, allowed: bool, *, actor: User | None = None) -> bool:
    """Grant or revoke seeing security lists (app/security_lists/access.py); False when the
    account already was so. Logged, since it opens attendees' ID details to someone."""
    if allowed and user.is_host:
        raise HostsSeeNoSecurityLists()
    if user.sees_security_lists == allowed:
        return False
    user.sees_security_lists = allowed
    db.session.flush()
    audit.log_action(
        actor,
        "granted" if allowed else "revoked",
        "security_lists",
        None,
        label=user.email,
        sees_security_lists=allowed,
    )
    return True


def rotate_sessions(user: User) -> None:
    """Every session of the account ends, copies of its cookie included (see `load_user`)."""
    user.session_nonce = secrets.token_hex(16)


def session_expired(signed_in_at: float | None, now: datetime, lifetime: timedelta) -> bool:
    """True for a session signed in longer ago than `lifetime`, however busy it has been since
    (or with no sign-in time at all: it began before sessions recorded one)."""
    if signed_in_at is None:
        return True
    return now.timestamp() - signed_in_at >= lifetime.total_seconds()


def lock_delay(failures: int) -> timedelta:
    """After FREE_ATTEMPTS failures, wait 1, 2, 4 … minutes (capped) between attempts."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(timedelta(minutes=2 ** (failures - FREE_ATTEMPTS)), MAX_LOCK)


def client_key(address: str | None) -> str:
    """Who is throttled: the client's IPv4 address, or its IPv6 /64 network, since one home or
    host is handed a whole /64 and could otherwise try from a fresh address every time."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def find_throttle(user: User, client_address: str) -> SignInThrottle | None:
    return db.session.scalar(
        db.select(SignInThrottle).where(
            SignInThrottle.user_id == user.id,
            SignInThrottle.client_address == client_key(client_address),
        )
    )


def _record_failure(user: User, client_address: str, now: datetime) -> SignInThrottle:
    throttle = find_throttle(user, client_address)
    if throttle is None:
        try:
            with db.session.begin_nested():
                throttle = SignInThrottle(
                    user_id=user.id, client_address=client_key(client_address), failures=0
                )
                db.session.add(throttle)
        except IntegrityError:  # a simultaneous failure from the same address made it first
            throttle = find_throttle(user, client_address)
    elif now - throttle.last_failure_at > THROTTLE_MEMORY:
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = now
    delay = lock_delay(throttle.failures)
    throttle.locked_until = now + delay if delay else None
    return throttle


def authenticate(
    email: str, password: str, now: datetime, client_address: str, language: str = "en"
) -> User | None:
    """The account if the password is right and `client_address` may try it now, else None.

    Failures are counted per account *and* address: after FREE_ATTEMPTS from one address, that
    address waits before each further try, while the owner elsewhere signs in as usual. The
    first time an address is made to wait, the owner is emailed a link that lifts every wait
    on the account (`unlock`), for when the one locked out was them.

    Callers show one message for every refusal, so nobody learns whether an email has an
    account, whether it is locked, or whether it was only the password that was wrong.
    """
    user = find_user(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    throttle = find_throttle(user, client_address)
    if throttle is not None and throttle.locked_until is not None and now < throttle.locked_until:
        return None
    if not user.active or not check_password_hash(user.password_hash, password):
        throttle = _record_failure(user, client_address, now)
        if throttle.failures == FREE_ATTEMPTS and user.active:
            queue_unlock_link(user, language, client_key(client_address))
        return None
    if throttle is not None:
        db.session.delete(throttle)
    user.last_login_at = now
    return user


def unlock(user: User) -> None:
    """Lift every sign-in wait on the account, and spend the unlock link that asked for it."""
    db.session.execute(db.delete(SignInThrottle).where(SignInThrottle.user_id == user.id))
    revoke_tokens(user)


def load_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id must carry the account's current session nonce."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_nonce != nonce:
        return None
    return user

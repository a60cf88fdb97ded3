"""Field-level encryption at rest, for what a venue's security list asks (ID numbers, dates of
birth, nationality …).

Keys come from DATA_ENCRYPTION_KEYS: comma-separated Fernet keys, newest first. Values are
written under the newest; every listed key still decrypts, so a new key goes first and the old
values are re-encrypted afterwards (`flask --app wsgi rotate-data-keys`). The database, and so
its backups, only ever holds ciphertext. Development generates a key in `instance/`; production
has none unless configured, and then refuses to collect security lists.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

DEV_KEY_FILE = "data-encryption.key"


class EncryptionUnavailable(RuntimeError):
    """No DATA_ENCRYPTION_KEYS: nothing that needs encrypting may be collected."""


def configured_keys(app: Flask) -> list[str]:
    """The keys to use, newest first: DATA_ENCRYPTION_KEYS, else (development only) a key
    generated once into the instance folder."""
    keys = [k.strip() for k in (app.config.get("DATA_ENCRYPTION_KEYS") or "").split(",")]
    keys = [k for k in keys if k]
    if keys or not app.config.get("GENERATE_DATA_KEY"):
        return keys
    path = Path(app.instance_path) / DEV_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(Fernet.generate_key().decode())
    return [path.read_text().strip()]


def init_app(app: Flask) -> None:
    """Read the keys once at start-up; a malformed key stops the app here, not mid-request."""
    keys = configured_keys(app)
    app.extensions["data_encryption"] = MultiFernet([Fernet(k) for k in keys]) if keys else None


def encryption_available() -> bool:
    return current_app.extensions.get("data_encryption") is not None


def _cipher() -> MultiFernet:
    cipher = current_app.extensions.get("data_encryption")
    if cipher is None:
        raise EncryptionUnavailable("DATA_ENCRYPTION_KEYS is not set")
    return cipher


def encrypt(plaintext: str) -> str:
    return _cipher().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Raises cryptography's InvalidToken when no configured key opens it."""
    return _cipher().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """The same value, encrypted under the newest key."""
    return _cipher().rotate(token.encode()).decode()


class EncryptedJSON(TypeDecorator):
    """A JSON value stored as one Fernet token: the column never holds plain text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return json.loads(decrypt(value))


__all__ = [
    "EncryptedJSON",
    "EncryptionUnavailable",
    "InvalidToken",
    "decrypt",
    "encrypt",
    "encryption_available",
    "init_app",
    "rotate",
]

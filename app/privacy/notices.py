"""The privacy notice (aviso de privacidad integral): the version in force, earlier versions,
and publishing a new one.

Versions are never edited: consent records name the version the person accepted, so that text
has to stay readable as it was. The default notice is written from the configured organization
(ORGANIZER_NAME, ORGANIZER_EMAIL) and retention periods when the first version is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app, render_template
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from app.audit import services as audit
from app.extensions import db
from app.privacy.models import PrivacyNotice
from app.text import paragraphs

if TYPE_CHECKING:
    from app.accounts.models import User

# The default text, one template per language: a legal text is written whole in each
# language, not assembled from translated sentences.
DEFAULT_TEMPLATES = {
    "en": "privacy/default_notice.en.txt",
    "es": "privacy/default_notice.es.txt",
}
# A paragraph of one line starting with this is shown as a heading.
HEADING_MARK = "# "


class NoticeError(ValueError):
    """A notice that cannot be published."""


class NoticeIncomplete(NoticeError):
    """Both languages are needed: the notice is shown to each visitor in theirs."""


class NoticeUnchanged(NoticeError):
    """The text is the current version's: a new version would only confuse consent records."""


def default_bodies() -> tuple[str, str]:
    """The default notice in English and Spanish, for the configured organization."""
    config = current_app.config
    context = {
        "organizer_name": config["ORGANIZER_NAME"],
        "organizer_email": config["ORGANIZER_EMAIL"],
        # Not in every deployment's config: the notice names it only when set.
        "organizer_address": config.get("ORGANIZER_ADDRESS"),
        "security_days": config["SECURITY_DATA_DAYS"],
        "retention_days": config["RSVP_RETENTION_DAYS"],
    }
    english, spanish = (
        render_template(DEFAULT_TEMPLATES[language], **context).strip() for language in ("en", "es")
    )
    return english, spanish


def latest_notice() -> PrivacyNotice | None:
    return db.session.scalar(
        db.select(PrivacyNotice).order_by(PrivacyNotice.version.desc()).limit(1)
    )


def current_notice() -> PrivacyNotice:
    """The notice in force: the newest version. With none yet, the default is published as
    version 1 (flushed, in the caller's transaction)."""
    notice = latest_notice()
    if notice is not None:
        return notice
    body_en, body_es = default_bodies()
    try:
        # A savepoint: two first visitors may race to publish it; the loser reads the winner's
        # and its own transaction (an RSVP, say) carries on.
        with db.session.begin_nested():
            notice = PrivacyNotice(version=1, body_en=body_en, body_es=body_es)
            db.session.add(notice)
    except IntegrityError:
        notice = latest_notice()
        if notice is None:
            raise
    return notice


def notice_version(version: int) -> PrivacyNotice | None:
    return db.session.scalar(db.select(PrivacyNotice).where(PrivacyNotice.version == version))


@dataclass(frozen=True)
class VersionEntry:
    version: int
    published_at: datetime


def versions() -> list[VersionEntry]:
    """Every published version, newest first, without their texts."""
    rows = db.session.execute(
        db.select(PrivacyNotice.version, PrivacyNotice.published_at).order_by(
            PrivacyNotice.version.desc()
        )
    )
    return [VersionEntry(version, published_at) for version, published_at in rows]


def publish_notice(body_en: str, body_es: str, actor: User | None, now: datetime) -> PrivacyNotice:
    """Publish a new version of the notice, logged for `actor`. Raises NoticeIncomplete when a
    language is blank, NoticeUnchanged when it says what the current version says."""
    body_en, body_es = (body_en or "").strip(), (body_es or "").strip()
    if not body_en or not body_es:
        raise NoticeIncomplete()
    current = current_notice()
    if (body_en, body_es) == (current.body_en, current.body_es):
        raise NoticeUnchanged()
    newest = db.session.scalar(db.select(func.max(PrivacyNotice.version))) or 0
    notice = PrivacyNotice(
        version=newest + 1,
        body_en=body_en,
        body_es=body_es,
        published_at=now,
        published_by_id=actor.id if actor is not None else None,
    )
    db.session.add(notice)
    db.session.flush()
    label = f"version {notice.version}"
    audit.log_action(actor, "published", "privacy_notice", None, label, version=notice.version)
    return notice


def body_in(notice: PrivacyNotice, language: str) -> str:
    return notice.body_es if language == "es" else notice.body_en


@dataclass(frozen=True)
class Block:
    heading: bool
    text: str


def notice_blocks(body: str) -> list[Block]:
    """The notice as headings and paragraphs: a paragraph of one line starting with "# " is a
    heading. Plain text, escaped when shown; no other markup."""
    blocks = []
    for paragraph in paragraphs(body):
        if paragraph.startswith(HEADING_MARK) and "\n" not in paragraph:
            blocks.append(Block(True, paragraph[len(HEADING_MARK) :].strip()))
        else:
            blocks.append(Block(False, paragraph))
    return blocks

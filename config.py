"""Configuration classes. Secrets and URLs come from the environment (or a `.env` file)."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


DEV_SECRET_KEY = "dev-only-not-secret"
# Published with the code, so it protects nothing: tests only.
TESTING_DATA_KEY = "k8h1QvGGkJ4aN5JrUQ5Mbh8SqH9dY2cTt3wXn0rPz6E="


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'convoca.sqlite3'}"
    )
    # Test each pooled connection before use: after a database restart, requests reconnect
    # instead of failing on a connection the server has closed.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    # Where absolute links in emails and calendar feeds point.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

    # Outgoing mail. Without MAIL_SERVER, messages are written as .eml files to MAIL_SINK_DIR.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Smart Border Coalition <events@convoca.invalid>"
    )
    MAIL_SINK_DIR = os.environ.get("MAIL_SINK_DIR", str(INSTANCE_DIR / "mail"))
    MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 8)
    # At most this many messages are delivered to one address (case-folded) per hour; more wait
    # in the outbox (app/mail/limits.py). Event changes, cancellations and promotions go at once.
    MAIL_MAX_PER_RECIPIENT_PER_HOUR = _env_int("MAIL_MAX_PER_RECIPIENT_PER_HOUR", 20)
    # Every wait on the SMTP server (connect, each reply) gives up after this long.
    MAIL_TIMEOUT_SECONDS = _env_float("MAIL_TIMEOUT_SECONDS", 10)
    # The mail worker's pause after a database error, before its next pass.
    MAIL_DB_RETRY_SECONDS = _env_float("MAIL_DB_RETRY_SECONDS", 5)
    # /healthz says "degraded" when the oldest pending message is older than this, or when no
    # mail worker (`flask send-mail`) has reported for this long.
    HEALTH_MAX_PENDING_AGE_SECONDS = _env_int("HEALTH_MAX_PENDING_AGE_SECONDS", 900)
    HEALTH_MAX_HEARTBEAT_AGE_SECONDS = _env_int("HEALTH_MAX_HEARTBEAT_AGE_SECONDS", 120)

    # The coalition address that appears as ORGANIZER in calendar invitations.
    ORGANIZER_NAME = os.environ.get("ORGANIZER_NAME", "Smart Border Coalition")
    ORGANIZER_EMAIL = os.environ.get("ORGANIZER_EMAIL", "events@convoca.invalid")
    # Its postal address (domicilio), which Mexico's privacy notice names (app/privacy).
    ORGANIZER_ADDRESS = os.environ.get("ORGANIZER_ADDRESS", "")

    # Answers from calendar apps (app/inbound). With a domain set, each invitation's ORGANIZER
    # is a reply address for that one attendee, <INBOUND_REPLY_LOCAL_PART>+<token>@domain, and
    # outgoing mail's envelope sender is a bounce address, <INBOUND_BOUNCE_LOCAL_PART>+<token>@
    # domain. Unset: invitations name ORGANIZER_EMAIL with RSVP=FALSE, as before.
    INBOUND_EMAIL_DOMAIN = (os.environ.get("INBOUND_EMAIL_DOMAIN") or "").strip().lower() or None
    INBOUND_REPLY_LOCAL_PART = os.environ.get("INBOUND_REPLY_LOCAL_PART", "events")
    INBOUND_BOUNCE_LOCAL_PART = os.environ.get("INBOUND_BOUNCE_LOCAL_PART", "bounces")
    # `receive-mail`: the largest message taken (a calendar answer is a few kilobytes), how
    # many an envelope sender (a bounce address, for bounces) may leave per hour, and how many
    # one reply or bounce address may receive per hour, before being told to come back later.
    # The envelope sender is whatever the sender claims: the per-address limit holds anyway.
    INBOUND_MAX_BYTES = _env_int("INBOUND_MAX_BYTES", 1024 * 1024)
    INBOUND_MAX_PER_SENDER_PER_HOUR = _env_int("INBOUND_MAX_PER_SENDER_PER_HOUR", 60)
    INBOUND_MAX_PER_ADDRESS_PER_HOUR = _env_int("INBOUND_MAX_PER_ADDRESS_PER_HOUR", 30)
    # STARTTLS for `receive-mail` as the MX itself (PEM files; both or neither).
    INBOUND_TLS_CERT_FILE = os.environ.get("INBOUND_TLS_CERT_FILE") or None
    INBOUND_TLS_KEY_FILE = os.environ.get("INBOUND_TLS_KEY_FILE") or None
    # `receive-mail --imap`: the mailbox (imaps://host:993/INBOX) and where handled mail goes.
    IMAP_URL = os.environ.get("IMAP_URL") or None
    IMAP_USERNAME = os.environ.get("IMAP_USERNAME")
    IMAP_PASSWORD = os.environ.get("IMAP_PASSWORD")
    IMAP_DONE_FOLDER = os.environ.get("IMAP_DONE_FOLDER", "Convoca/Done")
    IMAP_UNKNOWN_FOLDER = os.environ.get("IMAP_UNKNOWN_FOLDER", "Convoca/Unknown")

    # Security-list details are encrypted with these Fernet keys (comma-separated, newest first;
    # app/privacy/encryption.py). Without any, security lists cannot be turned on.
    DATA_ENCRYPTION_KEYS = os.environ.get("DATA_ENCRYPTION_KEYS", "")
    GENERATE_DATA_KEY = False  # development: a key generated once into instance/
    # ID details are deleted this many days after their event ends; the rest of an attendee's
    # personal data is anonymized after RSVP_RETENTION_DAYS (flask purge-personal-data).
    SECURITY_DATA_DAYS = _env_int("SECURITY_DATA_DAYS", 7)
    RSVP_RETENTION_DAYS = _env_int("RSVP_RETENTION_DAYS", 730)

    LANGUAGES = ("en", "es")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # Catalogs are compiled at start-up when missing or stale (app/catalogs.py); where the
    # package is read-only they go here instead (default: instance/translations).
    COMPILED_TRANSLATIONS_DIR = os.environ.get("COMPILED_TRANSLATIONS_DIR") or None

    WTF_CSRF_TIME_LIMIT = None  # the session cookie bounds it; a form left open stays usable
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 1024 * 1024

    # How organizer passwords are hashed (werkzeug): scrypt, salted, deliberately slow.
    PASSWORD_HASH_METHOD = "scrypt"

    # Sessions (organizers) end after this long, whatever the browser does.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_HOURS", 12))
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_FIX_HOPS = _env_int("PROXY_FIX_HOPS", 0)

    # Rate limits per client address (Flask-Limiter). Memory storage suits one server process;
    # with several processes or servers, point RATELIMIT_STORAGE_URI at Redis (redis://…).
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_RSVP = os.environ.get("RATELIMIT_RSVP", "20 per minute;200 per hour")
    RATELIMIT_SIGN_IN = os.environ.get("RATELIMIT_SIGN_IN", "10 per minute;50 per hour")
    RATELIMIT_FEEDS = os.environ.get("RATELIMIT_FEEDS", "120 per minute")

    # Reminders go to confirmed attendees this many hours before an event starts, once.
    REMINDER_HOURS = _env_int("REMINDER_HOURS", 24)

    # Public pages are served from a cache this many seconds old at most (app/page_cache.py).
    PAGE_CACHE_SECONDS = _env_int("PAGE_CACHE_SECONDS", 5)
    # Flask-Caching storage: per process by default; "RedisCache" + CACHE_REDIS_URL to share.
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "SimpleCache")
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL")

    # Calendar feeds (see app/feeds).
    FEED_PAST_DAYS = _env_int("FEED_PAST_DAYS", 90)

    # Current waits at the ports of entry on organizers' visit pages (app/events/wait_times.py),
    # e.g. CBP's https://bwt.cbp.gov/xml/bwt.xml. Unset: not shown.
    BORDER_WAIT_TIMES_URL = os.environ.get("BORDER_WAIT_TIMES_URL") or None

    # `seed-demo` also makes a known organizer account (app/demo.py): never in production.
    SEED_DEMO_ORGANIZER = False


class DevelopmentConfig(Config):
    DEBUG = True
    GENERATE_DATA_KEY = True
    SEED_DEMO_ORGANIZER = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"
    SEED_DEMO_ORGANIZER = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    PUBLIC_URL = "http://127.0.0.1"
    MAIL_SUPPRESS_SEND = False  # tests deliver to a real SMTP server of their own
    WTF_CSRF_ENABLED = False  # tests that check CSRF turn it back on
    RATELIMIT_ENABLED = False  # likewise for rate limits
    PAGE_CACHE_SECONDS = 0  # tests read their own writes at once; test_page_cache turns it on
    DATA_ENCRYPTION_KEYS = TESTING_DATA_KEY
    BORDER_WAIT_TIMES_URL = None  # tests serve a recorded feed of their own, never CBP's
    # A fast hash: the suite signs organizers in by the hundred (scrypt takes a third of a
    # second each); test_accounts checks production's method.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def check(cls) -> None:
        """Refuse to start with the development secret or a short one, or the tests' data key."""
        if cls.SECRET_KEY == DEV_SECRET_KEY or len(cls.SECRET_KEY) < 16:
            raise RuntimeError(
                "SECRET_KEY must be set in the environment in production (16+ characters)"
            )
        # Without any key production starts (security lists just can't be turned on, and
        # /healthz says no_data_key if some exist); with the tests' published key it doesn't.
        if TESTING_DATA_KEY in (k.strip() for k in cls.DATA_ENCRYPTION_KEYS.split(",")):
            raise RuntimeError("DATA_ENCRYPTION_KEYS holds the tests' key: generate a real one")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The config class named by CONVOCA_ENV (default: development)."""
    name = os.environ.get("CONVOCA_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"CONVOCA_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from None

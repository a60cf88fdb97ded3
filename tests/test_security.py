"""Headers, health, and the edges of trust."""

from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.mail.models import MessageStatus, OutboxMessage
from app.mail.worker import record_heartbeat


def test_every_response_carries_security_headers(client, make_event):
    event = make_event()
    for url in ["/", f"/events/{event.slug}", "/no-such-page", "/static/css/app.css"]:
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers  # plain HTTP


def test_hsts_only_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_forwarded_headers_are_ignored_unless_a_proxy_is_configured(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_forwarded_headers_are_trusted_behind_a_configured_proxy(app):
    from app import create_app
    from tests.conftest import IsolatedClient

    config = {**app.config, "PROXY_FIX_HOPS": 1}
    proxied = create_app(type("ProxiedConfig", (), config))
    proxied.test_client_class = IsolatedClient
    response = proxied.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"]


def test_session_cookie_flags(client, make_user):
    from tests.conftest import PASSWORD

    user = make_user()
    response = client.post("/organizer/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # sessions end (PERMANENT_SESSION_LIFETIME)


def test_healthz_reports_database_and_outbox(client, make_event, answer_rsvp):
    record_heartbeat("mail-host:1", datetime.now(UTC))  # a mail worker is running
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert 0 <= body.pop("mail_worker")["last_heartbeat_seconds"] < 30
    assert body == {
        "status": "ok",
        "database": "ok",
        "database_writes": "ok",
        "outbox": {"pending": 0, "failed": 0, "oldest_pending_seconds": None},
        "problems": [],
    }
    answer_rsvp(make_event(capacity=5))
    answer_rsvp(make_event(capacity=5))
    message = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).first()
    message.created_at = datetime.now(UTC) - timedelta(minutes=10)
    last = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    last.status = MessageStatus.FAILED
    db.session.commit()
    outbox = client.get("/healthz").json["outbox"]
    assert (outbox["pending"], outbox["failed"]) == (1, 1)
    assert 590 < outbox["oldest_pending_seconds"] < 700


def test_healthz_is_503_when_the_database_is_gone(app, client):
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:////nonexistent/dir/db.sqlite3"
    from app import create_app
    from tests.conftest import IsolatedClient

    broken = create_app(type("BrokenConfig", (), dict(app.config)))
    broken.test_client_class = IsolatedClient
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"


def test_rsvp_posts_are_rate_limited_with_a_friendly_page(app, client, make_event):
    app.config.update(RATELIMIT_ENABLED=True, RATELIMIT_RSVP="3 per minute")
    from app.extensions import limiter

    limiter.init_app(app)
    event = make_event(capacity=50)
    statuses = [
        client.post(
            f"/events/{event.slug}/rsvp",
            data={
                "name": "A",
                "email": f"a{n}@example.com",
                "organization": "X",
                "response": "yes",
                "language": "en",
            },
        ).status_code
        for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    page = client.post(f"/events/{event.slug}/rsvp", data={})
    assert page.status_code == 429
    assert "Too many requests" in page.text
    assert "per 1 minute" not in page.text  # the limiter's rule, in English, is not shown
    assert "Retry-After" in page.headers
    assert client.get(f"/events/{event.slug}").status_code == 200  # reading is not limited


def test_sign_in_attempts_are_rate_limited(app, client):
    app.config.update(RATELIMIT_ENABLED=True, RATELIMIT_SIGN_IN="2 per minute")
    from app.extensions import limiter

    limiter.init_app(app)
    codes = [
        client.post(
            "/organizer/login", data={"email": "x@example.org", "password": "y"}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 429]


def test_production_refuses_to_start_without_a_real_secret_key():
    import pytest

    from app import create_app
    from config import DEV_SECRET_KEY, ProductionConfig

    for weak in [DEV_SECRET_KEY, "short"]:
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(type("Weak", (ProductionConfig,), {"SECRET_KEY": weak}))
    app = create_app(type("Strong", (ProductionConfig,), {"SECRET_KEY": "x" * 40}))
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_feeds_are_rate_limited(app, client):
    app.config.update(RATELIMIT_ENABLED=True, RATELIMIT_FEEDS="2 per minute")
    from app.extensions import limiter

    limiter.init_app(app)
    codes = [client.get("/calendar.ics").status_code for _ in range(3)]
    assert codes == [200, 200, 429]

"""Organizer sign-in, roles, and the protection of everything under /organizer/."""

from datetime import UTC, datetime, timedelta

import pytest

from app.accounts import services
from app.accounts.models import Role, User
from app.extensions import db
from config import Config
from tests.conftest import PASSWORD

# The only /organizer/ pages for people who are not signed in: signing in, and the emailed link
# that lifts sign-in waits (it must work for someone who cannot sign in).
PUBLIC_ENDPOINTS = {"accounts.login", "accounts.unlock"}


def organizer_routes(app) -> list[str]:
    """Every /organizer/ URL the app has, with sample values for its arguments."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/organizer/") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        values = {arg: 1 if "id" in arg else "x" for arg in rule.arguments}
        urls.append((rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}), values, rule))
    return urls


def test_every_organizer_route_refuses_anonymous_visitors(app, client):
    routes = organizer_routes(app)
    assert len(routes) >= 4
    for _rule, methods, values, rule in routes:
        url = rule.build(values)[1]
        for method in methods:
            response = client.open(url, method=method)
            assert response.status_code in (302, 401), (method, url)
            if response.status_code == 302:
                assert response.location.startswith("/organizer/login?next=")


def test_sign_in_and_out(client, make_user):
    user = make_user()
    page = client.post("/organizer/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert page.status_code == 302 and page.location == "/organizer/"
    assert client.get("/organizer/").status_code == 200
    assert client.post("/organizer/logout").status_code == 302
    assert client.get("/organizer/").status_code == 302


def test_sign_in_follows_only_local_next(client, make_user):
    user = make_user()
    response = client.post(
        "/organizer/login?next=https://evil.example/",
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.location == "/organizer/"


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_user):
    user = make_user()
    wrong = client.post("/organizer/login", data={"email": user.email, "password": "nope-nope!"})
    unknown = client.post(
        "/organizer/login", data={"email": "nobody@example.org", "password": "nope-nope!"}
    )
    assert wrong.status_code == unknown.status_code == 401
    message = "didn&#39;t match an account"
    assert message in wrong.text and message in unknown.text
    assert wrong.text.replace(user.email, "").count("error") == unknown.text.replace(
        "nobody@example.org", ""
    ).count("error")


def test_repeated_failures_slow_down_sign_in(app, make_user):
    user = make_user()
    now = datetime.now(UTC)
    for _ in range(services.FREE_ATTEMPTS):
        assert services.authenticate(user.email, "wrong-password", now, "203.0.113.9") is None
    throttle = services.find_throttle(user, "203.0.113.9")
    assert throttle.locked_until == now + timedelta(minutes=1)
    # Even the right password waits out the lock from that address ...
    later = now + timedelta(seconds=30)
    assert services.authenticate(user.email, PASSWORD, later, "203.0.113.9") is None
    # ... and works after it; success forgets the failures.
    later = now + timedelta(minutes=2)
    assert services.authenticate(user.email, PASSWORD, later, "203.0.113.9") is user
    db.session.flush()
    assert services.find_throttle(user, "203.0.113.9") is None


def test_lock_delay_doubles_and_is_capped():
    assert services.lock_delay(services.FREE_ATTEMPTS - 1) == timedelta(0)
    assert services.lock_delay(services.FREE_ATTEMPTS + 1) == timedelta(minutes=2)
    assert services.lock_delay(40) == services.MAX_LOCK


def test_passwords_are_hashed_with_a_salted_strong_algorithm(make_user):
    user = make_user()
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:")  # the suite's fast method (config.py)
    assert Config.PASSWORD_HASH_METHOD == "scrypt"  # everywhere else
    other = make_user()
    assert other.password_hash != user.password_hash  # salted


def test_deactivated_accounts_cannot_sign_in(client, make_user):
    user = make_user(active=False)
    response = client.post("/organizer/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401


def test_organizer_cannot_manage_accounts(client, organizer):
    assert client.get("/organizer/accounts").status_code == 403
    response = client.post(
        "/organizer/accounts",
        data={"email": "new@example.org", "password": "long enough pw", "role": "admin"},
    )
    assert response.status_code == 403
    assert services.find_user("new@example.org") is None


def test_admin_creates_and_deactivates_accounts(client, admin, make_user, sign_in, app):
    response = client.post(
        "/organizer/accounts",
        data={"email": "New@Example.org", "password": "long enough pw", "role": "organizer"},
    )
    assert response.status_code == 302
    created = services.find_user("new@example.org")
    assert created.role is Role.ORGANIZER

    other_browser = app.test_client()
    other_browser.post(
        "/organizer/login", data={"email": "new@example.org", "password": "long enough pw"}
    )
    assert other_browser.get("/organizer/").status_code == 200
    client.post(f"/organizer/accounts/{created.id}/active")
    db.session.refresh(created)
    assert not created.active
    assert other_browser.get("/organizer/").status_code == 302  # signed out everywhere


def test_admin_cannot_deactivate_themselves(client, admin):
    assert client.post(f"/organizer/accounts/{admin.id}/active").status_code == 409


def test_duplicate_and_weak_accounts_are_refused(client, admin):
    taken = client.post(
        "/organizer/accounts", data={"email": admin.email, "password": "long enough pw"}
    )
    assert taken.status_code == 409
    weak = client.post("/organizer/accounts", data={"email": "w@example.org", "password": "short"})
    assert weak.status_code == 422
    assert "at least 10 characters" in weak.text


def test_changing_the_password_signs_out_other_browsers(app, client, organizer, sign_in):
    other_browser = app.test_client()
    sign_in(organizer, other_browser)
    response = client.post(
        "/organizer/password",
        data={"current_password": PASSWORD, "new_password": "a brand new secret"},
    )
    assert response.status_code == 302
    assert client.get("/organizer/").status_code == 200
    assert other_browser.get("/organizer/").status_code == 302
    assert services.authenticate(
        organizer.email, "a brand new secret", datetime.now(UTC), "127.0.0.1"
    )


def test_changing_the_password_needs_the_current_one(client, organizer):
    response = client.post(
        "/organizer/password",
        data={"current_password": "not it at all", "new_password": "a brand new secret"},
    )
    assert response.status_code == 422


def test_create_organizer_command(runner):
    result = runner.invoke(
        args=["create-organizer", "Cli@Example.org", "--admin", "--password-stdin"],
        input="a long cli password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).where(User.email == "cli@example.org"))
    assert user.role is Role.ADMIN
    again = runner.invoke(
        args=["create-organizer", "cli@example.org", "--password-stdin"], input="another pw 123\n"
    )
    assert again.exit_code != 0 and "already exists" in again.output


@pytest.mark.parametrize("password", ["short", ""])
def test_create_organizer_command_refuses_weak_passwords(runner, password):
    result = runner.invoke(
        args=["create-organizer", "x@example.org", "--password-stdin"], input=password + "\n"
    )
    assert result.exit_code != 0


def test_dashboard_counts(client, organizer, make_event, answer_rsvp):
    event = make_event(capacity=3, guest_limit=2, title_en="Counting Meeting")
    answer_rsvp(event, guests=2)
    answer_rsvp(event)
    answer_rsvp(event, attending=False)
    page = client.get("/organizer/").text
    row = page.split("Counting Meeting", 1)[1].split("</tr>", 1)[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:]]
    assert cells == ["1", "2", "1", "1", "0"]


def test_admin_creates_a_host_partner_account_for_an_organization(client, admin, make_organization):
    organization = make_organization("Cámara Nacional de Comercio", short_name="CANACO")
    db.session.commit()
    page = client.get("/organizer/accounts")
    assert "Host partner (read-only)" in page.text
    assert "Cámara Nacional de Comercio" in page.text

    response = client.post(
        "/organizer/accounts",
        data={
            "email": "enlace@canaco.example.org",
            "password": "long enough pw",
            "role": "host",
            "organization": str(organization.id),
        },
    )

    assert response.status_code == 302
    host = services.find_user("enlace@canaco.example.org")
    assert host.role is Role.HOST and host.organization_id == organization.id
    assert "Host partner: CANACO" in client.get("/organizer/accounts").text


def test_a_host_partner_account_needs_an_organization(client, admin):
    response = client.post(
        "/organizer/accounts",
        data={"email": "enlace@example.org", "password": "long enough pw", "role": "host"},
    )
    assert response.status_code == 422
    assert "A host account needs the organization it speaks for." in response.text
    assert services.find_user("enlace@example.org") is None


def test_only_a_host_partner_account_keeps_the_chosen_organization(
    client, admin, make_organization
):
    organization = make_organization()
    db.session.commit()
    response = client.post(
        "/organizer/accounts",
        data={
            "email": "org@example.org",
            "password": "long enough pw",
            "role": "organizer",
            "organization": str(organization.id),
        },
    )
    assert response.status_code == 302
    created = services.find_user("org@example.org")
    assert created.role is Role.ORGANIZER and created.organization is None

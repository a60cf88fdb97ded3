"""Sessions end for real, strangers cannot lock an organizer out, passwords are not guessable,
and nobody can aim the app's mail at one inbox (issue 17)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.accounts import services
from app.accounts.models import SignInThrottle
from app.accounts.views import SIGNED_IN_AT
from app.extensions import db
from app.mail.sender import deliver_pending
from tests.conftest import PASSWORD

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
GUESSABLE_EN = "This password is too easy to guess"
GUESSABLE_ES = "Esta contraseña es demasiado fácil de adivinar"


def copy_of_session_cookie(app, client):
    """Another browser holding the same session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_session_cookie_stops_working_after_logout(app, client, organizer):
    thief = copy_of_session_cookie(app, client)
    assert thief.get("/organizer/").status_code == 200
    assert client.post("/organizer/logout").status_code == 302
    assert thief.get("/organizer/").status_code == 302
    assert client.get("/organizer/").status_code == 302


def test_a_session_ends_after_its_lifetime_however_active_it_is(app, client, organizer):
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    with client.session_transaction() as session:
        started = session[SIGNED_IN_AT]
        session[SIGNED_IN_AT] = started - lifetime.total_seconds() + 60
    # A minute short of the lifetime, and busy: still signed in, and activity does not extend it.
    assert client.get("/organizer/").status_code == 200
    with client.session_transaction() as session:
        assert session[SIGNED_IN_AT] == started - lifetime.total_seconds() + 60
        session[SIGNED_IN_AT] = started - lifetime.total_seconds() - 1
    response = client.get("/organizer/")
    assert response.status_code == 302 and response.location.startswith("/organizer/login")
    assert client.get("/organizer/").status_code == 302  # and it stays ended


def test_the_lifetime_comes_from_the_configuration(app, client, organizer):
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=0)
    assert client.get("/organizer/").status_code == 302


def test_a_session_without_a_sign_in_time_is_ended(client, organizer):
    with client.session_transaction() as session:
        del session[SIGNED_IN_AT]
    assert client.get("/organizer/").status_code == 302


def test_the_owner_signs_in_while_an_attackers_address_is_throttled(app, client, make_user):
    owner = make_user()
    attacker = app.test_client()
    for _ in range(services.FREE_ATTEMPTS + 3):
        response = attacker.post(
            "/organizer/login",
            data={"email": owner.email, "password": "guess-guess"},
            environ_base=ATTACKER,
        )
        assert response.status_code == 401
    # The attacker's address now waits, even with the right password ...
    response = attacker.post(
        "/organizer/login", data={"email": owner.email, "password": PASSWORD}, environ_base=ATTACKER
    )
    assert response.status_code == 401
    # ... while the owner, from their own address, signs in at once.
    response = client.post("/organizer/login", data={"email": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/organizer/").status_code == 200


def test_ipv6_neighbours_in_one_64_share_a_throttle():
    assert services.client_key("2001:db8:1:2::1") == services.client_key("2001:db8:1:2:ffff::9")
    assert services.client_key("2001:db8:1:3::1") != services.client_key("2001:db8:1:2::1")
    assert services.client_key("::ffff:203.0.113.5") == "203.0.113.5"
    assert services.client_key("203.0.113.5") == "203.0.113.5"


def unlock_path(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1(/organizer/unlock/\S+)", text)[1]


def test_the_unlock_email_arrives_and_its_link_works_once(app, client, make_user, smtp):
    owner = make_user()
    for _ in range(services.FREE_ATTEMPTS + 2):  # later failures send no second email
        client.post("/organizer/login", data={"email": owner.email, "password": "guess-guess"})
    deliver_pending()
    [message] = smtp.mailbox.to(owner.email)
    assert "203.0.113" not in message.get_body(("plain",)).get_content()
    assert "127.0.0.1" in message.get_body(("plain",)).get_content()
    assert (
        client.post(
            "/organizer/login", data={"email": owner.email, "password": PASSWORD}
        ).status_code
        == 401
    )  # locked out from this address

    path = unlock_path(message)
    assert client.get(path).status_code == 200  # opening the link changes nothing
    assert db.session.scalar(db.select(db.func.count(SignInThrottle.id))) == 1
    response = client.post(path)
    assert response.status_code == 302 and response.location == "/organizer/login"
    assert db.session.scalar(db.select(db.func.count(SignInThrottle.id))) == 0

    response = client.post("/organizer/login", data={"email": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    client.post("/organizer/logout")
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404


def test_an_unlock_link_for_an_rsvp_or_forged_opens_nothing(client, make_user):
    owner = make_user()
    assert client.get(f"/organizer/unlock/{owner.id}.{'A' * 43}").status_code == 404
    assert client.get("/organizer/unlock/nonsense").status_code == 404


@pytest.mark.parametrize(
    "password",
    ["password12", "1234567890", " " * 10, "qwertyuiop", "Password123!", "aaaaaaaaaaaa"],
)
def test_common_and_patterned_passwords_are_refused(app, password):
    with pytest.raises(services.GuessablePassword):
        services.check_password_strength(password)


def test_a_password_made_of_the_accounts_own_email_is_refused(app):
    with pytest.raises(services.GuessablePassword):
        services.check_password_strength("marisol.ibarra2024", ("marisol.ibarra@example.org",))
    services.check_password_strength("marisol.ibarra2024")  # fine for somebody else


@pytest.mark.parametrize(
    "password",
    ["contraseña123", "contrasena2024", "Tijuana2025!", "bajacalifornia1", "Bienvenido2024!"],
)
def test_common_spanish_and_local_passwords_are_refused(app, password):
    """zxcvbn's own word lists are English; these scored as strong with them alone."""
    with pytest.raises(services.GuessablePassword):
        services.check_password_strength(password)


def test_a_spanish_passphrase_is_accepted(app):
    services.check_password_strength("mi abuela baila cumbia los martes")
    services.check_password_strength("tamales de elote bajo la lluvia")


def test_a_long_unusual_password_is_accepted(app):
    services.check_password_strength(PASSWORD)
    services.check_password_strength("tamarindo ferrocarril nube 7")


@pytest.mark.parametrize(("lang", "message"), [("en", GUESSABLE_EN), ("es", GUESSABLE_ES)])
def test_account_creation_refuses_a_guessable_password(client, admin, lang, message):
    response = client.post(
        f"/organizer/accounts?lang={lang}",
        data={"email": "new@example.org", "password": "password12", "role": "organizer"},
    )
    assert response.status_code == 422
    assert message in response.text
    assert services.find_user("new@example.org") is None


@pytest.mark.parametrize(("lang", "message"), [("en", GUESSABLE_EN), ("es", GUESSABLE_ES)])
def test_password_change_refuses_a_guessable_password(client, organizer, lang, message):
    response = client.post(
        f"/organizer/password?lang={lang}",
        data={"current_password": PASSWORD, "new_password": "1234567890"},
    )
    assert response.status_code == 422
    assert message in response.text
    db.session.refresh(organizer)
    assert services.authenticate(organizer.email, PASSWORD, datetime.now(UTC), "127.0.0.1")


def test_create_organizer_command_refuses_a_guessable_password(runner):
    result = runner.invoke(
        args=["create-organizer", "x@example.org", "--password-stdin"], input="password12\n"
    )
    assert result.exit_code == 1
    assert GUESSABLE_EN in result.output
    assert services.find_user("x@example.org") is None

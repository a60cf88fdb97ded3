"""Account messages speak the organizer's language: refusals from the account services go
through the catalog like every other message a person reads."""

import html5lib
from flask_babel import force_locale

from app.accounts import services
from app.accounts.labels import error_message
from tests.conftest import PASSWORD

NS = {"h": "http://www.w3.org/1999/xhtml"}
NO_MATCH_ES = (
    "El correo y la contraseña no coinciden con ninguna cuenta, o hubo demasiados intentos. "
    "Verifíquelos e inténtelo de nuevo en unos minutos."
)
EMAIL_TAKEN_ES = "Ya existe una cuenta con este correo electrónico."


def page_text(response) -> str:
    """What a reader sees: the page's text with whitespace collapsed."""
    body = html5lib.parse(response.text).find("h:body", NS)
    return " ".join("".join(body.itertext()).split())


def test_a_wrong_password_is_explained_in_spanish(client, make_user):
    user = make_user()
    response = client.post(
        "/organizer/login?lang=es", data={"email": user.email, "password": "not the password"}
    )
    assert response.status_code == 401
    assert NO_MATCH_ES in page_text(response)
    assert "didn't match" not in response.text


def test_the_browsers_language_is_enough(client, make_user):
    user = make_user()
    response = client.post(
        "/organizer/login",
        data={"email": user.email, "password": "not the password"},
        headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"},
    )
    assert NO_MATCH_ES in page_text(response)


def test_a_taken_email_is_refused_in_spanish(client, admin):
    response = client.post(
        "/organizer/accounts?lang=es", data={"email": admin.email, "password": "long enough pw"}
    )
    assert response.status_code == 409
    assert EMAIL_TAKEN_ES in page_text(response)
    assert "already exists" not in response.text


def test_every_account_refusal_has_a_message_in_both_languages(app):
    refusals = [services.EmailTaken("ana@example.org"), services.WeakPassword(10)]
    with app.test_request_context():
        english = [error_message(error) for error in refusals]
        with force_locale("es"):
            spanish = [error_message(error) for error in refusals]
    assert english == [
        "An account with this email already exists.",
        "Passwords need at least 10 characters.",
    ]
    assert spanish == [EMAIL_TAKEN_ES, "La contraseña debe tener al menos 10 caracteres."]


def test_the_command_line_says_why_an_account_was_refused(runner, make_user):
    user = make_user()
    taken = runner.invoke(args=["create-organizer", user.email, "--password-stdin"], input=PASSWORD)
    assert taken.exit_code == 1
    assert "An account with this email already exists." in taken.output
    weak = runner.invoke(
        args=["create-organizer", "new@example.org", "--password-stdin"], input="short\n"
    )
    assert weak.exit_code == 1
    assert "Passwords need at least 10 characters." in weak.output

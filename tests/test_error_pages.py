"""The app's own error pages: every code a visitor can meet, in their language, never Werkzeug's."""

import pytest
from flask import abort
from werkzeug.exceptions import default_exceptions

TITLES = {
    400: ("We couldn't read that request", "No pudimos leer esa solicitud"),
    403: ("Not allowed", "No permitido"),
    404: ("Page not found", "Página no encontrada"),
    405: ("That page can't be used that way", "Esa página no se puede usar así"),
    409: ("That couldn't be done", "No se pudo hacer"),
    413: ("Too large to send", "Demasiado grande para enviarse"),
    422: ("We couldn't use what you sent", "No pudimos usar lo que envió"),
    429: ("Too many requests", "Demasiadas solicitudes"),
    500: ("Something went wrong", "Algo salió mal"),
}


@pytest.fixture
def failing_app(app):
    """Routes that fail with each code, added before the app serves its first request."""

    def fail(code: int):
        if code == 500:
            raise RuntimeError("a secret detail that must not reach the page")
        abort(code)

    app.add_url_rule("/_fail/<int:code>", "fail", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize("code", sorted(TITLES))
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_error_page_is_the_apps_own_in_the_visitors_language(failing_app, code, language):
    client = failing_app.test_client()
    response = client.get(f"/_fail/{code}", headers={"Accept-Language": language})
    assert response.status_code == code
    assert f'<html lang="{language}">' in response.text
    english, spanish = TITLES[code]
    assert (english if language == "en" else spanish) in response.text
    # Werkzeug's own English description, meant for developers, is never shown.
    assert default_exceptions[code].description.split(".")[0] not in response.text
    assert "secret detail" not in response.text


def test_get_on_a_form_address_is_a_translated_405_not_werkzeugs(client, make_event):
    response = client.get("/rsvp/1.abc/cancel", headers={"Accept-Language": "es"})
    assert response.status_code == 405
    assert "Esa página no se puede usar así" in response.text
    assert "Method Not Allowed" not in response.text


def test_a_message_passed_to_abort_is_shown_instead_of_the_general_one(client):
    response = client.get("/?kind=nonsense")
    assert response.status_code == 400
    assert "Unknown kind of event" in response.text
    spanish = client.get("/?kind=nonsense&lang=es")
    assert "We couldn't read that request" not in spanish.text
    assert "Tipo de evento desconocido" in spanish.text

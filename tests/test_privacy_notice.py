"""The privacy notice: its default text, its public page in both languages and any version, the
admin's page that publishes a new version, and the links to it from every form."""

from datetime import UTC, datetime

from app.audit.models import AuditEntry
from app.extensions import db
from app.privacy import notices
from app.privacy.models import PrivacyNotice
from tests.test_html_validity import html_problems

EDIT = "/organizer/privacy-notice"


def publish(body_en: str, body_es: str) -> PrivacyNotice:
    notice = notices.publish_notice(body_en, body_es, None, datetime.now(UTC))
    db.session.commit()
    return notice


def csrf_token(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]


def test_default_notice_names_the_organization_and_explains_arco_in_both_languages(app):
    app.config.update(
        ORGANIZER_NAME="Coalición Fronteriza",
        ORGANIZER_EMAIL="privacidad@coalicion.example",
        SECURITY_DATA_DAYS=5,
        RSVP_RETENTION_DAYS=400,
    )
    notice = notices.current_notice()
    assert notice.version == 1
    for body in (notice.body_en, notice.body_es):
        assert "Coalición Fronteriza" in body
        assert "privacidad@coalicion.example" in body
        assert "ARCO" in body
        assert " 5 " in body and " 400 " in body  # the configured retention periods
        assert "LFPDPPP" in body
    assert "access" in notice.body_en and "rectification" in notice.body_en
    assert "cancellation" in notice.body_en and "opposition" in notice.body_en
    assert "20 days" in notice.body_en
    assert "does not require your consent" in notice.body_en
    assert "acceso, rectificación, cancelación y oposición" in notice.body_es.lower()
    assert "20 días" in notice.body_es
    assert "no requiere su consentimiento" in notice.body_es
    assert "Customs and Border Protection" in notice.body_en


def test_the_default_is_published_once(app):
    first = notices.current_notice()
    db.session.commit()
    assert notices.current_notice().id == first.id
    assert db.session.scalar(db.select(db.func.count()).select_from(PrivacyNotice)) == 1


def test_privacy_page_reads_in_the_visitors_language(client):
    english = client.get("/privacy?lang=en")
    assert english.status_code == 200
    assert "Who is responsible for your data" in english.text
    assert "Responsable de sus datos" not in english.text
    spanish = client.get("/privacy?lang=es")
    assert spanish.status_code == 200
    assert "Responsable de sus datos" in spanish.text
    assert "Who is responsible for your data" not in spanish.text


def test_earlier_versions_stay_readable(app, client):
    notices.current_notice()
    publish("# Second\n\nThe second version.", "# Segunda\n\nLa segunda versión.")
    current = client.get("/privacy?lang=en").text
    assert "The second version." in current
    assert "<h2>Second</h2>" in current
    older = client.get("/privacy?version=1&lang=en").text
    assert "Who is responsible for your data" in older
    assert "The second version." not in older
    assert "earlier version" in older
    assert client.get("/privacy?version=2&lang=es").text.count("La segunda versión.") == 1
    assert client.get("/privacy?version=7").status_code == 404


def test_notice_text_is_escaped(app, client):
    publish("<script>alert(1)</script>", "<b>no</b>")
    page = client.get("/privacy?lang=en").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_an_admin_publishes_a_new_version(client, admin):
    page = client.get(EDIT)
    assert page.status_code == 200
    assert "Who is responsible for your data" in page.text  # the form starts from the current text
    response = client.post(EDIT, data={"body_en": "New notice.", "body_es": "Aviso nuevo."})
    assert response.status_code == 302
    notice = notices.latest_notice()
    assert (notice.version, notice.body_en, notice.body_es) == (2, "New notice.", "Aviso nuevo.")
    assert notice.published_by_id == admin.id
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.subject == "privacy_notice"))
    assert (entry.action, entry.user_email, entry.changes) == (
        "published",
        admin.email,
        {"version": [None, 2]},
    )
    assert "Version 2" in client.get("/privacy?lang=en").text


def test_publishing_refuses_a_missing_language_or_the_same_text(client, admin):
    client.get(EDIT)
    assert client.post(EDIT, data={"body_en": "Only English.", "body_es": " "}).status_code == 422
    current = notices.current_notice()
    same = {"body_en": current.body_en, "body_es": current.body_es}
    response = client.post(EDIT, data=same)
    assert response.status_code == 422
    assert "This is the text of the current version." in response.text
    assert notices.latest_notice().version == 1


def test_only_admins_edit_the_notice(client, organizer):
    assert client.get(EDIT).status_code == 403
    response = client.post(EDIT, data={"body_en": "Mine.", "body_es": "Mío."})
    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.max(PrivacyNotice.version))) in (None, 1)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(EDIT)
    assert response.status_code == 302
    assert "/organizer/login" in response.headers["Location"]


def test_publishing_needs_the_csrf_token(app, client, admin):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(EDIT).text
    data = {"body_en": "With token.", "body_es": "Con token."}
    assert client.post(EDIT, data=data).status_code == 400
    assert notices.latest_notice().version == 1
    response = client.post(EDIT, data=data | {"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert notices.latest_notice().version == 2


def test_the_rsvp_form_page_links_to_the_notice(client, make_event):
    event = make_event()
    page = client.get(f"/events/{event.slug}?lang=en").text
    assert page.count('href="/privacy"') >= 2  # the footer, and beside the RSVP button
    form = page.split('class="rsvp-form"', 1)[1].split("</form>", 1)[0]
    assert 'href="/privacy"' in form
    footer = page.split('class="site-footer"', 1)[1]
    assert 'href="/privacy"' in footer


def test_the_pages_are_valid_html(client, admin):
    notices.current_notice()
    publish("# Second\n\nThe second version.", "# Segunda\n\nLa segunda versión.")
    for path in ["/privacy", "/privacy?lang=es", "/privacy?version=1", EDIT]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert html_problems(response.text) == [], path


def test_odd_version_numbers_are_404(client):
    for version in ("0", "-1", "99999999999999999999999"):
        assert client.get(f"/privacy?version={version}").status_code == 404
    assert client.get("/privacy?version=abc").status_code == 200  # not a number: the current one

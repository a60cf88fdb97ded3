"""Guarding security lists: who may see and export them, that every reading is logged without a
value, that ID details appear nowhere else, key rotation, and what the database stores."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from openpyxl import load_workbook
from sqlalchemy import text

from app.accounts import services as account_services
from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.extensions import db
from app.mail.models import OutboxMessage
from app.privacy import encryption
from app.rsvps.models import Rsvp, RsvpStatus
from app.security_lists import exports
from app.security_lists.models import SecurityDetails, SecurityList, VenueTemplate
from app.security_lists.rotation import NO_DATA_KEY, warn_if_lists_without_key
from app.security_lists.services import GivenDetails
from app.tokens import Purpose, make_token
from tests.conftest import POSTGRES_URL

ID_NUMBER = "K48213957"
BIRTH_DATE = "1961-02-03"
SECRETS = (ID_NUMBER, BIRTH_DATE)
FIELDS = [
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "birth_date",
    "nationality",
    "id_type",
    "id_number",
]


def details(**values) -> dict[str, str]:
    return {
        "given_names": "María José",
        "paternal_surname": "García",
        "maternal_surname": "López",
        "birth_date": BIRTH_DATE,
        "nationality": "MX",
        "id_type": "passport",
        "id_number": ID_NUMBER,
    } | values


@pytest.fixture
def add_list(app):
    """Turn on the event's security list (US consulate fields by default), due in 3 days."""

    def add(event, due_in_days: float | None = 3, fields=FIELDS) -> SecurityList:
        due_at = None if due_in_days is None else datetime.now(UTC) + timedelta(days=due_in_days)
        security_list = SecurityList(
            event=event, template=VenueTemplate.US_CONSULATE, fields=list(fields), due_at=due_at
        )
        db.session.add(security_list)
        db.session.commit()
        return security_list

    return add


@pytest.fixture
def listed_event(make_event, add_list):
    def make(due_in_days: float | None = 3, fields=FIELDS, **event_fields):
        event = make_event(**event_fields)
        add_list(event, due_in_days, fields)
        return event

    return make


@pytest.fixture
def attend(answer_rsvp):
    """Answer "attending" as the RSVP form does at an event with a list: details included."""

    def answer(event, values: dict | None = None, **fields) -> Rsvp:
        given = GivenDetails(details(**(values or {})), notice_version=1)
        return answer_rsvp(event, security=given, **fields)

    return answer


@pytest.fixture
def allowed(organizer):
    """The signed-in organizer, allowed by an admin to see security lists."""
    organizer.sees_security_lists = True
    db.session.commit()
    return organizer


def page(client, event, suffix: str = ""):
    return client.get(f"/organizer/events/{event.slug}/security-list/details{suffix}")


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def xlsx_text(data: bytes) -> str:
    """Every XML part of a workbook, as text (cell strings live in sharedStrings.xml)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode() for name in archive.namelist())


def audit_entries(event=None) -> list[AuditEntry]:
    query = db.select(AuditEntry).order_by(AuditEntry.id)
    if event is not None:
        query = query.where(AuditEntry.event_id == event.id)
    return list(db.session.scalars(query))


def assert_no_secret(text_: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text_, f"{secret!r} leaked into {where}"


# Permission


def test_an_allowed_organizer_sees_the_decrypted_list_and_nobody_caches_it(
    client, allowed, listed_event, attend
):
    event = listed_event()
    attend(event, name="María José García López")
    response = page(client, event)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert ID_NUMBER in response.text and BIRTH_DATE in response.text
    for suffix in (".csv", ".xlsx"):
        export = page(client, event, suffix)
        assert export.status_code == 200
        assert export.headers["Cache-Control"] == "no-store"
        assert "attachment" in export.headers["Content-Disposition"]


def test_without_the_permission_an_organizer_of_the_event_gets_a_404(
    client, organizer, listed_event, attend
):
    event = listed_event()
    attend(event)
    for suffix in ("", ".csv", ".xlsx"):
        response = page(client, event, suffix)
        assert response.status_code == 404
        assert_no_secret(response.text, "a refused page")
    assert "/security-list/details" not in client.get(f"/organizer/events/{event.slug}").text
    assert audit_entries(event) == []  # nothing was read


def test_the_permission_covers_only_events_the_organizer_manages(
    client, allowed, listed_event, make_user, attend
):
    event = listed_event(owners=[make_user()])
    attend(event)
    for suffix in ("", ".csv", ".xlsx"):
        assert page(client, event, suffix).status_code == 404


def test_an_event_without_a_list_is_a_404_even_for_an_allowed_organizer(
    client, allowed, make_event
):
    assert page(client, make_event()).status_code == 404


def test_an_admin_needs_the_permission_too_and_may_grant_it_to_themselves(
    client, admin, listed_event, attend
):
    event = listed_event()
    attend(event)
    assert page(client, event).status_code == 404  # least privilege: not implicit
    response = client.post(f"/organizer/accounts/{admin.id}/security-lists", data={"allowed": "1"})
    assert response.status_code == 302
    assert page(client, event).status_code == 200
    [grant] = [e for e in audit_entries() if e.subject == "security_lists"]
    assert (grant.action, grant.label, grant.user_email) == ("granted", admin.email, admin.email)
    assert grant.event_id is None


def test_an_admin_grants_and_revokes_on_the_accounts_page_and_both_are_logged(
    client, admin, make_user, sign_in, listed_event, attend, app
):
    olga = make_user(name="Olga")
    event = listed_event(owners=[olga])
    attend(event)
    accounts_page = client.get("/organizer/accounts").text
    assert f"/organizer/accounts/{olga.id}/security-lists" in accounts_page
    client.post(f"/organizer/accounts/{olga.id}/security-lists", data={"allowed": "1"})
    client.post(f"/organizer/accounts/{olga.id}/security-lists", data={"allowed": "1"})  # again
    db.session.refresh(olga)
    assert olga.sees_security_lists

    other = app.test_client()
    sign_in(olga, other)
    assert page(other, event).status_code == 200
    client.post(f"/organizer/accounts/{olga.id}/security-lists", data={"allowed": "0"})
    assert page(other, event).status_code == 404  # at once, on the next request

    logged = [(e.action, e.label) for e in audit_entries() if e.subject == "security_lists"]
    assert logged == [("granted", olga.email), ("revoked", olga.email)]  # the repeat is no change


def test_only_admins_grant_the_permission(client, organizer):
    response = client.post(
        f"/organizer/accounts/{organizer.id}/security-lists", data={"allowed": "1"}
    )
    assert response.status_code == 403
    db.session.refresh(organizer)
    assert not organizer.sees_security_lists


def test_a_host_account_never_sees_a_list(
    client, admin, make_user, make_organization, sign_in, listed_event, attend
):
    org = make_organization()
    host = make_user(role=Role.HOST, organization=org)
    with pytest.raises(account_services.HostsSeeNoSecurityLists):
        account_services.set_security_list_access(host, True, actor=admin)
    db.session.rollback()
    response = client.post(f"/organizer/accounts/{host.id}/security-lists", data={"allowed": "1"})
    assert response.status_code == 409

    event = listed_event(hosts=[org])
    attend(event, share_with_host=True)
    host.sees_security_lists = True  # even set behind the service's back
    db.session.commit()
    sign_in(host)
    for suffix in ("", ".csv", ".xlsx"):
        assert page(client, event, suffix).status_code == 404


# View and export


def test_the_page_lists_who_gave_details_who_is_missing_and_the_waitlist_apart(
    client, allowed, make_event, add_list, answer_rsvp, attend
):
    event = make_event(capacity=2)
    answer_rsvp(event, name="Beto Missing")  # before the venue asked for a list
    add_list(event)
    attend(event, name="Ana Given")
    waiting = attend(event, name="Carla Waiting", values={"id_number": "W11111111"})
    answer_rsvp(event, name="Dario Declined", attending=False)
    assert waiting.status is RsvpStatus.WAITLISTED
    body = page(client, event).text
    confirmed, _, waitlist = body.partition("Waitlisted</h2>")
    assert "Ana Given" in confirmed and "Beto Missing" in confirmed
    assert "No details yet" in confirmed
    assert "Carla Waiting" in waitlist and "W11111111" in waitlist
    assert "Dario Declined" not in body
    assert "1 of 2 confirmed attendees complete." in body


def test_exports_follow_the_venues_column_order_after_name_and_organization(
    client, allowed, make_event, add_list, answer_rsvp, attend
):
    fields = ["paternal_surname", "given_names", "id_number", "id_type", "birth_date"]
    event = make_event(capacity=2)
    answer_rsvp(event, name="Beto Missing")
    add_list(event, fields=fields)
    attend(event, name="Ana García", organization="=HYPERLINK(1)")
    attend(event, name="Carla Waitlisted", values={"id_number": "W11111111"})

    header, *rows = csv_rows(page(client, event, ".csv"))
    assert header == ["Name", "Organization"] + [exports.field_label(key) for key in fields]
    assert rows == [
        [
            "Ana García",
            "'=HYPERLINK(1)",  # a formula is defused
            "García",
            "María José",
            ID_NUMBER,
            exports.field_value("id_type", "passport"),
            BIRTH_DATE,
        ]
    ]  # only the confirmed who gave details: not the missing, not the waitlist
    sheet = load_workbook(io.BytesIO(page(client, event, ".xlsx").data)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        header,
        [*rows[0][:1], "=HYPERLINK(1)", *rows[0][2:]],
    ]
    formula = sheet["B2"]
    assert formula.data_type == "s" and formula.quotePrefix  # text, as if typed after a '
    assert sheet["E2"].data_type == "s"  # an ID number stays text, leading zeros and all


def test_header_labels_are_in_the_organizers_language(client, allowed, listed_event, attend):
    event = listed_event()
    attend(event)
    client.get("/language/es")
    header = csv_rows(page(client, event, ".csv"))[0]
    assert header[:2] == ["Nombre", "Organización"]
    assert header == xlsx_rows(page(client, event, ".xlsx"))[0]


def test_every_view_and_export_is_logged_with_counts_and_no_value(
    client, allowed, make_event, add_list, answer_rsvp, attend
):
    event = make_event()
    answer_rsvp(event)  # missing: answered before the list
    add_list(event)
    attend(event)
    page(client, event)
    page(client, event, ".csv")
    page(client, event, ".xlsx")
    logged = audit_entries(event)
    assert [(e.action, e.subject, e.label, e.changes["people"][1]) for e in logged] == [
        ("viewed", "security_list", "page", 2),
        ("exported", "security_list", "CSV", 1),
        ("exported", "security_list", "Excel", 1),
    ]
    assert all(e.user_email == allowed.email for e in logged)
    stored = db.session.execute(text("SELECT * FROM audit_entries")).all()
    assert_no_secret(repr(stored), "the audit log")
    assert_no_secret(client.get(f"/organizer/events/{event.slug}/log").text, "the change log")


def test_the_event_page_shows_progress_and_the_link_only_to_the_allowed(
    client, organizer, make_event, add_list, answer_rsvp, attend
):
    event = make_event(capacity=3)
    answer_rsvp(event)
    add_list(event)
    attend(event)
    body = client.get(f"/organizer/events/{event.slug}").text
    assert "Security list: 1 of 2 confirmed attendees complete" in body
    assert "due " in body and "overdue" not in body
    assert "/security-list/details" not in body
    assert_no_secret(body, "the event page")

    organizer.sees_security_lists = True
    db.session.commit()
    assert "/security-list/details" in client.get(f"/organizer/events/{event.slug}").text


def test_an_overdue_list_is_highlighted_in_the_events_zone(
    client, organizer, make_event, add_list, answer_rsvp
):
    event = make_event(zone="Asia/Tokyo")
    answer_rsvp(event)
    add_list(event, due_in_days=-1)
    due_at = db.session.scalar(db.select(SecurityList.due_at))
    local_day = due_at.astimezone(event.zone)
    body = client.get(f"/organizer/events/{event.slug}").text
    assert '<span class="overdue">' in body and "(overdue)" in body
    assert f"{local_day:%B} {local_day.day}, {local_day.year}" in body


def test_a_complete_list_past_its_date_is_not_overdue(client, organizer, listed_event, attend):
    event = listed_event(due_in_days=-1)
    attend(event)
    assert "overdue" not in client.get(f"/organizer/events/{event.slug}").text


def test_the_pages_are_valid_html(client, admin, make_event, add_list, answer_rsvp, attend):
    from tests.test_html_validity import html_problems

    admin.sees_security_lists = True
    db.session.commit()
    event = make_event(capacity=1, owners=[admin])
    answer_rsvp(event)
    add_list(event, due_in_days=-1, fields=[*FIELDS, "id_expiry"])
    attend(event, values={"id_expiry": "2031-01-01"})  # waitlisted
    for path in (
        f"/organizer/events/{event.slug}/security-list/details",
        f"/organizer/events/{event.slug}",
        f"/organizer/events/{event.slug}/log",
        "/organizer/accounts",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert html_problems(response.text) == [], path


def test_a_field_added_after_someone_answered_leaves_them_incomplete(
    client, allowed, listed_event, attend
):
    event = listed_event()
    attend(event, name="Ana Early")
    security_list = db.session.scalar(db.select(SecurityList))
    security_list.fields = [*FIELDS, "id_expiry"]
    db.session.commit()
    body = page(client, event).text
    assert "0 of 1 confirmed attendee complete." in body
    assert "Still missing:" in body and exports.field_label("id_expiry") in body
    header, row = csv_rows(page(client, event, ".csv"))
    assert header[-1] == exports.field_label("id_expiry") and row[-1] == ""  # blank, not left out
    summary = client.get(f"/organizer/events/{event.slug}").text
    assert "Security list: 0 of 1 confirmed attendee complete" in summary


def test_the_organization_comes_from_the_rsvp_once(client, allowed, listed_event, attend):
    fields = ["given_names", "paternal_surname", "organization", "id_type", "id_number"]
    event = listed_event(fields=fields)
    attend(event, organization="Cámara Binacional")
    header, row = csv_rows(page(client, event, ".csv"))
    assert header.count("Organization") == 1
    assert row[:2] == [row[0], "Cámara Binacional"] and "Cámara Binacional" not in row[2:]


def test_details_no_key_opens_are_a_clear_error_not_a_crash(
    app, client, allowed, listed_event, attend, caplog
):
    event = listed_event()
    attend(event)
    app.config["DATA_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    encryption.init_app(app)
    for suffix in ("", ".csv", ".xlsx"):
        response = page(client, event, suffix)
        assert response.status_code == 503
        assert "data encryption keys" in response.text
    summary = client.get(f"/organizer/events/{event.slug}")
    assert summary.status_code == 200 and "can't be read on this server" in summary.text
    assert audit_entries(event) == []  # nothing was shown
    assert "gAAAA" not in caplog.text


# Never elsewhere


def test_id_details_appear_in_no_other_output_table_or_log(
    client, allowed, listed_event, attend, runner, caplog
):
    caplog.set_level(logging.DEBUG)
    event = listed_event(days=0.5)  # tomorrow's reminders come due
    rsvp = attend(event, name="Ana García", share_with_host=True)
    base = f"/organizer/events/{event.slug}"

    outputs = {
        "attendee CSV": client.get(f"{base}/attendees.csv").text,
        "host CSV": client.get(f"{base}/attendees.csv?audience=host").text,
        "attendee Excel": xlsx_text(client.get(f"{base}/attendees.xlsx").data),
        "door list": client.get(f"{base}/door-list").text,
        "attendee list": client.get(f"{base}/attendees").text,
        "attendee page": client.get(f"{base}/attendees/{rsvp.id}").text,
        "event page": client.get(base).text,
        "public page": client.get(f"/events/{event.slug}").text,
        "event feed": client.get(f"/events/{event.slug}.ics").text,
        "public feed": client.get("/calendar.ics").text,
        "personal feed": client.get(f"/calendar/me/{make_token(rsvp, Purpose.FEED)}.ics").text,
    }
    assert "Ana García" in outputs["attendee CSV"]  # the outputs are the real ones
    client.post(
        f"{base}/message", data={"subject": "Parking", "body": "Gate B.", "audience": "confirmed"}
    )
    runner.invoke(args=["send-reminders"])
    page(client, event)
    page(client, event, ".csv")
    for where, output in outputs.items():
        assert_no_secret(output, where)

    messages = db.session.scalars(db.select(OutboxMessage)).all()
    assert {m.kind for m in messages} >= {"rsvp_confirmed", "event_reminder", "organizer_message"}
    for message in messages:
        assert_no_secret(
            f"{message.subject}{message.body_text}{message.body_html}{message.ics}", "email"
        )
    # Every table but the encrypted one, as stored: the audit log, the outbox, the RSVP …
    for table in db.metadata.sorted_tables:
        if table.name != "security_details":
            rows = db.session.execute(table.select()).all()
            assert_no_secret(repr(rows), f"table {table.name}")
    assert_no_secret(caplog.text, "the logs")


# Keys


def test_rotation_reencrypts_every_value_under_the_newest_key(app, runner, listed_event, attend):
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    def use_keys(keys: str) -> None:
        app.config["DATA_ENCRYPTION_KEYS"] = keys
        encryption.init_app(app)
        db.session.expire_all()

    use_keys(key_a)
    event = listed_event()
    for n in range(3):
        attend(event, values={"id_number": f"K0000000{n}"})

    def read_all() -> list[str]:
        db.session.expire_all()
        rows = db.session.scalars(db.select(SecurityDetails).order_by(SecurityDetails.id))
        return [row.values["id_number"] for row in rows]

    use_keys(key_b)
    with pytest.raises(InvalidToken):  # B alone can't read what A wrote
        read_all()
    db.session.rollback()

    use_keys(f"{key_b},{key_a}")
    result = runner.invoke(args=["rotate-data-keys"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 3 values" in result.output

    use_keys(key_b)
    assert read_all() == ["K00000000", "K00000001", "K00000002"]
    result = runner.invoke(args=["rotate-data-keys"])  # again: harmless
    assert "Re-encrypted 3 values" in result.output


def test_rotation_never_overwrites_a_value_changed_meanwhile(
    app, runner, listed_event, attend, monkeypatch
):
    from app.security_lists import rotation

    event = listed_event()
    attend(event)
    fresh = encryption.encrypt('{"id_number": "C12345678"}')
    real_rotate = encryption.rotate

    def rotate_while_the_attendee_corrects(token: str) -> str:
        # The attendee saves a correction between rotation's read and its write.
        with db.engine.begin() as connection:
            connection.execute(text('UPDATE security_details SET "values" = :v'), {"v": fresh})
        return real_rotate(token)

    monkeypatch.setattr(rotation.encryption, "rotate", rotate_while_the_attendee_corrects)
    result = runner.invoke(args=["rotate-data-keys"])
    assert "Re-encrypted 0 values" in result.output
    stored = db.session.execute(text('SELECT "values" FROM security_details')).scalar_one()
    assert stored == fresh


def test_rotation_leaves_a_value_it_cannot_open_and_says_so(app, runner, listed_event, attend):
    event = listed_event()
    attend(event)
    app.config["DATA_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    encryption.init_app(app)
    before = db.session.execute(text('SELECT "values" FROM security_details')).scalar_one()
    result = runner.invoke(args=["rotate-data-keys"])
    assert result.exit_code == 1
    assert "Re-encrypted 0 values" in result.output and "1 values could not" in result.output
    after = db.session.execute(text('SELECT "values" FROM security_details')).scalar_one()
    assert after == before


def test_healthz_and_start_up_warn_of_lists_without_a_key(app, client, listed_event, caplog):
    listed_event()
    assert NO_DATA_KEY not in client.get("/healthz").json["problems"]
    app.config["DATA_ENCRYPTION_KEYS"] = ""
    encryption.init_app(app)
    body = client.get("/healthz").json
    assert NO_DATA_KEY in body["problems"] and body["status"] in ("degraded", "error")
    with caplog.at_level(logging.WARNING):
        warn_if_lists_without_key(app)
    assert "DATA_ENCRYPTION_KEYS is not set" in caplog.text


def test_production_refuses_the_tests_published_key():
    from app import create_app
    from config import TESTING_DATA_KEY, ProductionConfig

    config = type(
        "Careless",
        (ProductionConfig,),
        {
            "SECRET_KEY": "x" * 40,
            "DATA_ENCRYPTION_KEYS": f"{Fernet.generate_key().decode()},{TESTING_DATA_KEY}",
        },
    )
    with pytest.raises(RuntimeError, match="DATA_ENCRYPTION_KEYS"):
        create_app(config)


# What the database stores (both passes: SQLite, then PostgreSQL with TEST_DATABASE_URL)


def test_the_database_stores_only_ciphertext_and_the_allowed_export_decrypts_it(
    app, client, allowed, listed_event, attend
):
    event = listed_event()
    slug = event.slug
    attend(event, name="Quetzal Ramírez")
    stored = db.session.execute(text('SELECT "values" FROM security_details')).scalar_one()
    assert stored.startswith("gAAAAA")  # a Fernet token (version byte 0x80, base64)
    assert_no_secret(stored, "the stored column")

    if db.engine.dialect.name == "sqlite":
        db.session.remove()
        db.engine.dispose()  # close connections; the WAL file may still hold recent pages
        path = Path(db.engine.url.database)
        files = [path, path.with_name(path.name + "-wal")]
        raw = b"".join(f.read_bytes() for f in files if f.exists())
        assert b"Quetzal" in raw  # the file really holds what was committed
        for secret in SECRETS:
            assert secret.encode() not in raw
    else:
        assert POSTGRES_URL

    body = client.get(f"/organizer/events/{slug}/security-list/details.csv").text
    assert ID_NUMBER in body and BIRTH_DATE in body

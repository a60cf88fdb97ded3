"""Attendee exports: CSV, Excel and the printable door list; for organizers and for the host."""

import contextvars
import csv
import io
import tracemalloc
from datetime import UTC, datetime

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import insert

from app.extensions import db
from app.organizer import exports
from app.rsvps.checkin import placeholder_email
from app.rsvps.models import Rsvp, RsvpStatus

FORMULA_PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def workbook(response):
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(response.data))


def export(client, event, name: str, query: str = ""):
    return client.get(f"/organizer/events/{event.slug}/{name}{query}")


def test_csv_starts_with_a_bom_and_keeps_accents(client, organizer, make_event, answer_rsvp):
    event = make_event()
    answer_rsvp(event, name="José Ñúñez Ávila", organization="Cámara Binacional", needs="Café")
    response = export(client, event, "attendees.csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert 'filename="' + event.slug + '-attendees.csv"' in response.headers["Content-Disposition"]
    header, row = csv_rows(response)
    assert header[:3] == ["Name", "Email", "Organization"]
    assert "Checked in (America/Tijuana)" in header
    record = dict(zip(header, row, strict=True))
    assert record["Name"] == "José Ñúñez Ávila"
    assert record["Organization"] == "Cámara Binacional"
    assert record["Accessibility or dietary needs"] == "Café"
    assert record["Status"] == "Confirmed"


def test_csv_neutralizes_formula_injection_for_each_trigger(
    client, organizer, make_event, answer_rsvp
):
    event = make_event()
    for n, prefix in enumerate(FORMULA_PREFIXES):
        answer_rsvp(
            event,
            name=f"Eve {n}",
            organization=prefix + 'HYPERLINK("http://evil.example","x")',
            job_title=prefix + "1+1",
        )
    header, *rows = csv_rows(export(client, event, "attendees.csv"))
    assert len(rows) == len(FORMULA_PREFIXES)
    for prefix, row in zip(FORMULA_PREFIXES, rows, strict=True):
        record = dict(zip(header, row, strict=True))
        assert record["Organization"] == "'" + prefix + 'HYPERLINK("http://evil.example","x")'
        assert record["Job title"] == "'" + prefix + "1+1", repr(prefix)
        assert record["Name"].startswith("Eve ")  # harmless text is left alone


def test_csv_lists_times_in_the_events_zone(client, organizer, make_event, answer_rsvp):
    event = make_event(zone="America/Mexico_City")
    rsvp = answer_rsvp(event, name="Ana")
    rsvp.checked_in_at = datetime(2026, 3, 10, 15, 5, tzinfo=UTC)
    db.session.commit()
    header, row = csv_rows(export(client, event, "attendees.csv"))
    assert dict(zip(header, row, strict=True))["Checked in (America/Mexico_City)"] == (
        "2026-03-10 09:05"
    )


def test_csv_follows_the_filters(client, organizer, make_event, answer_rsvp):
    event = make_event(capacity=1)
    answer_rsvp(event, name="Seated")
    answer_rsvp(event, name="Waiting")
    rows = csv_rows(export(client, event, "attendees.csv", "?status=waitlisted"))
    assert [r[0] for r in rows[1:]] == ["Waiting"]
    rows = csv_rows(export(client, event, "attendees.csv", "?q=seat"))
    assert [r[0] for r in rows[1:]] == ["Seated"]


def test_host_exports_have_only_consenting_attendees_and_no_private_columns(
    client, organizer, make_event, answer_rsvp
):
    event = make_event()
    answer_rsvp(
        event,
        name="Shares",
        share_with_host=True,
        phone="+52 664 000 0000",
        needs="Vegetarian",
        job_title="CEO",
    )
    answer_rsvp(event, name="Keeps private")
    answer_rsvp(event, name="Declined", attending=False, share_with_host=True)

    header, *rows = csv_rows(export(client, event, "attendees.csv", "?audience=host"))
    assert header == ["Name", "Organization", "Job title", "Status", "Guests",
                      "Checked in (America/Tijuana)"]  # fmt: skip
    assert [r[0] for r in rows] == ["Shares"]
    assert "+52" not in str(rows) and "Vegetarian" not in str(rows)

    response = export(client, event, "attendees.xlsx", "?audience=host")
    assert "-host.xlsx" in response.headers["Content-Disposition"]
    sheet = workbook(response).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Name" and len(values[0]) == 6
    assert [v[0] for v in values[1:]] == ["Shares"]

    everyone = csv_rows(export(client, event, "attendees.csv"))
    assert [r[0] for r in everyone[1:]] == ["Shares", "Keeps private", "Declined"]


def test_walk_in_placeholder_addresses_are_left_out(client, organizer, make_event):
    event = make_event()
    address = placeholder_email()
    db.session.add(
        Rsvp(
            event=event,
            status=RsvpStatus.CONFIRMED,
            name="Walk In",
            email=address,
            email_key=address,
            organization="",
        )
    )
    db.session.commit()
    header, row = csv_rows(export(client, event, "attendees.csv"))
    assert dict(zip(header, row, strict=True))["Email"] == ""
    assert "walk-in.invalid" not in client.get(f"/organizer/events/{event.slug}/attendees").text


def test_xlsx_has_a_frozen_bold_header_widths_and_real_dates(
    client, organizer, make_event, answer_rsvp
):
    event = make_event(zone="America/Tijuana")
    rsvp = answer_rsvp(event, name="Ana Ávila", organization="=1+2", needs="@SUM(A1)")
    rsvp.checked_in_at = datetime(2026, 7, 4, 16, 30, tzinfo=UTC)  # 9:30 AM PDT
    db.session.commit()

    response = export(client, event, "attendees.xlsx")
    assert f"filename={event.slug}-attendees.xlsx" in response.headers["Content-Disposition"]
    sheet = workbook(response).active
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[0] == "Name"
    assert all(c.font.b for c in sheet[1])
    assert sheet.column_dimensions["A"].width == 28  # name
    assert sheet.column_dimensions["B"].width == 32  # email
    record = dict(zip(header, sheet[2], strict=True))
    assert record["Name"].value == "Ana Ávila"

    checked_in = record["Checked in (America/Tijuana)"]
    assert checked_in.is_date
    assert checked_in.value == datetime(2026, 7, 4, 9, 30)
    assert checked_in.number_format == "yyyy-mm-dd hh:mm"
    received = record["RSVP received (America/Tijuana)"]
    assert isinstance(received.value, datetime)

    # Text that looks like a formula stays text, unchanged and marked as such.
    for key, text in (("Organization", "=1+2"), ("Accessibility or dietary needs", "@SUM(A1)")):
        assert record[key].value == text
        assert record[key].data_type == "s"
        assert record[key].quotePrefix


def test_xlsx_never_stores_a_formula(client, organizer, make_event, answer_rsvp):
    event = make_event()
    for n, prefix in enumerate(FORMULA_PREFIXES):
        answer_rsvp(event, name=f"Eve {n}", organization=prefix + "cmd|' /C calc'!A0")
    sheet = workbook(export(client, event, "attendees.xlsx")).active
    cells = [row[2] for row in sheet.iter_rows(min_row=2)]
    for prefix, cell in zip(FORMULA_PREFIXES, cells, strict=True):
        assert cell.data_type == "s", repr(prefix)
        # XML reads a carriage return back as a line feed; the text is otherwise intact.
        assert cell.value == (prefix + "cmd|' /C calc'!A0").replace("\r", "\n")


def test_door_list_is_sorted_by_last_name_with_boxes(client, organizer, make_event, answer_rsvp):
    event = make_event()
    answer_rsvp(event, name="María José García López", language="es")
    answer_rsvp(event, name="Zoe Adams")
    answer_rsvp(event, name="Ana Zúñiga")
    answer_rsvp(event, name="Luis Ávila Pérez", language="es")
    arrived = answer_rsvp(event, name="Juan Carlos de la Fuente Ruiz", language="es")
    answer_rsvp(event, name="Not Coming", attending=False)
    arrived.checked_in_at = datetime.now(UTC)
    db.session.commit()

    page = client.get(f"/organizer/events/{event.slug}/door-list")
    assert page.status_code == 200
    text = page.text
    order = [
        "Adams, Zoe",
        "Ávila Pérez, Luis",
        "de la Fuente Ruiz, Juan Carlos",
        "García López, María José",
        "Zúñiga, Ana",
    ]
    positions = [text.index(name) for name in order]
    assert positions == sorted(positions)
    assert "Not Coming" not in text  # the door expects confirmed attendees
    assert text.count('class="box"') == 4  # empty boxes to tick
    assert text.count('class="box checked"') == 1
    assert 'media="print"' in text or "attendees.css" in text
    assert "Sorted by last name." in text


def test_host_door_list_hides_needs_and_non_consenting(client, organizer, make_event, answer_rsvp):
    event = make_event()
    answer_rsvp(event, name="Ana Shares", share_with_host=True, needs="Gluten free")
    answer_rsvp(event, name="Bob Private", needs="Halal")
    page = client.get(f"/organizer/events/{event.slug}/door-list?audience=host").text
    assert "Shares, Ana" in page
    assert "Bob" not in page and "Gluten free" not in page and "Halal" not in page


def _add_rsvps(event, count: int) -> None:
    now = datetime.now(UTC)
    db.session.execute(
        insert(Rsvp),
        [
            {
                "event_id": event.id,
                "status": RsvpStatus.CONFIRMED,
                "name": f"Persona Número {n}",
                "email": f"p{n}@example.com",
                "email_key": f"p{n}@example.com",
                "organization": "Organización Binacional de Pruebas",
                "needs": "Ninguna en particular, gracias",
                "created_at": now,
                "updated_at": now,
            }
            for n in range(count)
        ],
    )
    db.session.commit()


def _stream(client, url: str) -> tuple[bool, int, int]:
    """Request `url` unbuffered, then read the body chunk by chunk as a WSGI server would.

    Returns whether the response was streamed, the peak memory traced while the body was read,
    and the body's size. Like the test client, it runs in a context of its own.
    """

    def request_and_read():
        response = FlaskClient.open(client, url, buffered=False)
        tracemalloc.start()
        try:
            size = sum(len(chunk) for chunk in response.response)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            response.close()
        return response.is_streamed, peak, size

    return contextvars.Context().run(request_and_read)


def test_csv_streams_in_bounded_memory(client, organizer, make_event, monkeypatch):
    # Rows come from the database in batches: smaller ones let small exports show the effect.
    monkeypatch.setattr(exports, "BATCH", 200)
    small, large = make_event(), make_event()
    _add_rsvps(small, 1000)
    _add_rsvps(large, 5000)

    url = "/organizer/events/{}/attendees.csv"
    client.get(url.format(small.slug))  # warm up caches (compiled SQL, translations)
    streamed, small_peak, small_size = _stream(client, url.format(small.slug))
    assert streamed
    _, large_peak, large_size = _stream(client, url.format(large.slug))

    assert large_size > 4.5 * small_size
    # Five times the rows, yet memory stays flat: rows leave as they arrive.
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)

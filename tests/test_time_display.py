"""How event times read: in the event's own zone, with the abbreviation in force that day."""

from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from flask import render_template_string

from app.i18n import format_long_date, format_when

TIJUANA = "America/Tijuana"
LOS_ANGELES = "America/Los_Angeles"
MEXICO_CITY = "America/Mexico_City"

EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ES_DAYS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ES_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic")


def local(zone: str, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=ZoneInfo(zone))


def en_day(day: date) -> str:
    """ "Thu Aug 13": computed, so the weekday is never a wrong guess."""
    return f"{EN_DAYS[day.weekday()]} {EN_MONTHS[day.month - 1]} {day.day}"


def es_day(day: date) -> str:
    return f"{ES_DAYS[day.weekday()]} {day.day} {ES_MONTHS[day.month - 1]}"


# --- English ------------------------------------------------------------------------------------


def test_same_day_range_in_the_morning_names_the_period_once():
    starts, ends = local(TIJUANA, 2026, 8, 13, 9), local(TIJUANA, 2026, 8, 13, 11)

    assert format_when(starts, ends, TIJUANA, "en") == (
        f"{en_day(date(2026, 8, 13))}, 9:00–11:00 AM PDT"
    )
    assert format_when(starts, ends, TIJUANA, "en", with_year=True) == (
        f"{en_day(date(2026, 8, 13))}, 2026, 9:00–11:00 AM PDT"
    )


def test_range_crossing_noon_names_both_periods():
    starts, ends = local(TIJUANA, 2026, 8, 13, 11), local(TIJUANA, 2026, 8, 13, 13)

    assert format_when(starts, ends, TIJUANA, "en").endswith(", 11:00 AM–1:00 PM PDT")


def test_afternoon_range_and_minutes():
    starts, ends = local(TIJUANA, 2026, 8, 13, 12), local(TIJUANA, 2026, 8, 13, 14, 30)

    assert format_when(starts, ends, TIJUANA, "en").endswith(", 12:00–2:30 PM PDT")


def test_start_without_end_shows_one_time():
    starts = local(TIJUANA, 2026, 8, 13, 17, 45)

    assert format_when(starts, None, TIJUANA, "en") == f"{en_day(date(2026, 8, 13))}, 5:45 PM PDT"


def test_utc_instants_are_shown_on_the_local_date():
    # 03:00 UTC on the 14th is still the evening of the 13th in Tijuana.
    starts = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)
    ends = datetime(2026, 8, 14, 5, 0, tzinfo=UTC)

    assert format_when(starts, ends, TIJUANA, "en") == (
        f"{en_day(date(2026, 8, 13))}, 8:00–10:00 PM PDT"
    )
    assert format_long_date(starts, TIJUANA, "en") == "Thursday, August 13, 2026"


@pytest.mark.parametrize("zone", [TIJUANA, LOS_ANGELES])
def test_pacific_time_reads_pst_before_and_pdt_after_the_march_change(zone):
    # In 2027 daylight time starts on Sunday, March 14.
    saturday = format_when(local(zone, 2027, 3, 13, 9), local(zone, 2027, 3, 13, 11), zone, "en")
    monday = format_when(local(zone, 2027, 3, 15, 9), local(zone, 2027, 3, 15, 11), zone, "en")

    assert saturday == f"{en_day(date(2027, 3, 13))}, 9:00–11:00 AM PST"
    assert monday == f"{en_day(date(2027, 3, 15))}, 9:00–11:00 AM PDT"


@pytest.mark.parametrize("zone", [TIJUANA, LOS_ANGELES])
def test_same_instant_of_day_in_utc_is_an_hour_earlier_locally_after_the_change(zone):
    # Stored as UTC: 17:00 UTC is 9 AM PST on Saturday but 10 AM PDT on Monday.
    saturday = datetime(2027, 3, 13, 17, tzinfo=UTC)
    monday = datetime(2027, 3, 15, 17, tzinfo=UTC)

    assert format_when(saturday, None, zone, "en").endswith(", 9:00 AM PST")
    assert format_when(monday, None, zone, "en").endswith(", 10:00 AM PDT")


def test_range_across_the_spring_change_shows_both_abbreviations():
    # Two hours of real time, stored as UTC; the wall clock skips from 2 to 3 AM on the way.
    starts = datetime(2027, 3, 14, 9, tzinfo=UTC)
    ends = datetime(2027, 3, 14, 11, tzinfo=UTC)

    assert format_when(starts, ends, TIJUANA, "en") == (
        f"{en_day(date(2027, 3, 14))}, 1:00 AM PST–4:00 AM PDT"
    )


def test_range_across_the_fall_change_shows_both_abbreviations():
    # In 2027 standard time returns on Sunday, November 7: 1:30 AM happens twice.
    starts = datetime(2027, 11, 7, 7, 30, tzinfo=UTC)  # 12:30 AM PDT
    ends = datetime(2027, 11, 7, 9, 30, tzinfo=UTC)  # 1:30 AM PST, the second one

    assert format_when(starts, ends, LOS_ANGELES, "en") == (
        f"{en_day(date(2027, 11, 7))}, 12:30 AM PDT–1:30 AM PST"
    )


@pytest.mark.parametrize("month", [1, 7])
def test_mexico_city_is_cst_all_year_without_daylight_time(month):
    # 15:00 UTC is 9 AM in Mexico City in winter and in summer: UTC-6 all year since 2022.
    starts = datetime(2027, month, 13, 15, tzinfo=UTC)
    ends = datetime(2027, month, 13, 17, tzinfo=UTC)

    assert format_when(starts, ends, MEXICO_CITY, "en") == (
        f"{en_day(date(2027, month, 13))}, 9:00–11:00 AM CST"
    )


def test_same_utc_instant_reads_differently_in_each_zone():
    starts = datetime(2027, 7, 13, 15, tzinfo=UTC)

    assert format_when(starts, None, MEXICO_CITY, "en").endswith(", 9:00 AM CST")
    assert format_when(starts, None, TIJUANA, "en").endswith(", 8:00 AM PDT")


def test_multi_day_range_names_both_days():
    starts = local(MEXICO_CITY, 2027, 1, 14, 9)
    ends = local(MEXICO_CITY, 2027, 1, 15, 14)

    assert format_when(starts, ends, MEXICO_CITY, "en") == (
        f"{en_day(date(2027, 1, 14))}, 9:00 AM CST – {en_day(date(2027, 1, 15))}, 2:00 PM CST"
    )
    assert format_when(starts, ends, MEXICO_CITY, "en", with_year=True) == (
        f"{en_day(date(2027, 1, 14))}, 2027, 9:00 AM CST – "
        f"{en_day(date(2027, 1, 15))}, 2027, 2:00 PM CST"
    )


def test_multi_day_range_across_the_change_and_new_year():
    spring = format_when(
        local(TIJUANA, 2027, 3, 13, 9), local(TIJUANA, 2027, 3, 15, 11), TIJUANA, "en"
    )
    new_year = format_when(
        local(TIJUANA, 2026, 12, 31, 20),
        local(TIJUANA, 2027, 1, 1, 2),
        TIJUANA,
        "en",
        with_year=True,
    )

    assert spring == (
        f"{en_day(date(2027, 3, 13))}, 9:00 AM PST – {en_day(date(2027, 3, 15))}, 11:00 AM PDT"
    )
    assert new_year == (
        f"{en_day(date(2026, 12, 31))}, 2026, 8:00 PM PST – "
        f"{en_day(date(2027, 1, 1))}, 2027, 2:00 AM PST"
    )


def test_long_date_in_english():
    assert format_long_date(local(TIJUANA, 2026, 8, 13, 9), TIJUANA, "en") == (
        "Thursday, August 13, 2026"
    )
    assert format_long_date(local(MEXICO_CITY, 2027, 3, 15, 9), MEXICO_CITY, "en") == (
        "Monday, March 15, 2027"
    )


# --- Spanish ------------------------------------------------------------------------------------


def test_spanish_uses_24_hour_clock_and_spanish_day_and_month_names():
    starts, ends = local(TIJUANA, 2026, 8, 13, 11), local(TIJUANA, 2026, 8, 13, 13)

    assert format_when(starts, ends, TIJUANA, "es") == (
        f"{es_day(date(2026, 8, 13))}, 11:00–13:00 PDT"
    )
    assert format_when(starts, ends, TIJUANA, "es", with_year=True) == (
        f"{es_day(date(2026, 8, 13))} 2026, 11:00–13:00 PDT"
    )


def test_spanish_multi_day_range_and_daylight_change():
    assert format_when(
        local(MEXICO_CITY, 2027, 1, 14, 9), local(MEXICO_CITY, 2027, 1, 15, 14), MEXICO_CITY, "es"
    ) == (f"{es_day(date(2027, 1, 14))}, 9:00 CST – {es_day(date(2027, 1, 15))}, 14:00 CST")
    assert format_when(
        local(TIJUANA, 2027, 3, 14, 1), local(TIJUANA, 2027, 3, 14, 4), TIJUANA, "es"
    ) == (f"{es_day(date(2027, 3, 14))}, 1:00 PST–4:00 PDT")


def test_long_date_in_spanish():
    assert format_long_date(local(TIJUANA, 2026, 8, 13, 9), TIJUANA, "es") == (
        "jueves, 13 de agosto de 2026"
    )
    assert format_long_date(local(MEXICO_CITY, 2027, 1, 2, 9), MEXICO_CITY, "es") == (
        "sábado, 2 de enero de 2027"
    )


# --- In templates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", f"{en_day(date(2026, 8, 13))}, 11:00 AM–1:00 PM PDT"),
        ("?lang=es", f"{es_day(date(2026, 8, 13))}, 11:00–13:00 PDT"),
    ],
)
def test_when_filter_follows_the_request_language(app, query, expected):
    item = SimpleNamespace(
        starts_at=datetime(2026, 8, 13, 18, tzinfo=UTC),
        ends_at=datetime(2026, 8, 13, 20, tzinfo=UTC),
        timezone=TIJUANA,
    )

    with app.test_request_context(f"/{query}"):
        assert render_template_string("{{ item|when }}", item=item) == expected

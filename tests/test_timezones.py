"""Local wall-clock times in IANA zones, and the two nights a year they misbehave."""

from datetime import UTC, datetime

import pytest

from app.timezones import (
    NonexistentLocalTime,
    UnknownZone,
    canonical_zone,
    is_ambiguous,
    is_known_zone,
    to_local,
    to_utc,
)


def test_local_time_becomes_the_instant_in_that_zone():
    # Tijuana in summer is on Pacific daylight time, UTC−7.
    assert to_utc(datetime(2027, 6, 10, 9, 0), "America/Tijuana") == datetime(
        2027, 6, 10, 16, 0, tzinfo=UTC
    )
    # Mexico City keeps standard time all year since 2022, UTC−6.
    assert to_utc(datetime(2027, 6, 10, 9, 0), "America/Mexico_City") == datetime(
        2027, 6, 10, 15, 0, tzinfo=UTC
    )


def test_a_time_in_the_spring_gap_does_not_exist():
    with pytest.raises(NonexistentLocalTime) as caught:
        to_utc(datetime(2027, 3, 14, 2, 30), "America/Tijuana")
    assert caught.value.skipped_to == datetime(2027, 3, 14, 3, 30)
    # The same wall time a day later is fine, and Mexico City has no gap at all.
    to_utc(datetime(2027, 3, 15, 2, 30), "America/Tijuana")
    to_utc(datetime(2027, 4, 4, 2, 30), "America/Mexico_City")


def test_an_ambiguous_fall_time_is_its_first_occurrence_on_daylight_time():
    local = datetime(2027, 11, 7, 1, 30)
    assert is_ambiguous(local, "America/Tijuana")
    assert to_utc(local, "America/Tijuana") == datetime(2027, 11, 7, 8, 30, tzinfo=UTC)  # PDT
    assert not is_ambiguous(datetime(2027, 11, 7, 3, 30), "America/Tijuana")
    assert not is_ambiguous(datetime(2027, 3, 14, 2, 30), "America/Tijuana")  # a gap, not twice


@pytest.mark.parametrize(
    "name", ["Mars/Olympus_Mons", "", "PST", "../../etc/passwd", "America/Tijuana/x"]
)
def test_only_names_from_the_tz_database_are_zones(name):
    assert not is_known_zone(name)
    with pytest.raises(UnknownZone):
        to_utc(datetime(2027, 6, 10, 9, 0), name)


def test_zone_names_are_stored_in_their_canonical_spelling():
    assert canonical_zone(" america/mexico_city ") == "America/Mexico_City"
    assert is_known_zone("Europe/Madrid")  # any IANA zone, not only the suggested ones


def test_to_local_is_the_wall_clock_time_a_form_shows():
    instant = datetime(2027, 1, 15, 17, 0, tzinfo=UTC)
    assert to_local(instant, "America/Los_Angeles") == datetime(2027, 1, 15, 9, 0)
    assert to_utc(to_local(instant, "America/Tijuana"), "America/Tijuana") == instant

"""clock.as_utc / clock.check_year: the one rule for input instants; and where local days end."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from makerlab import clock
from makerlab.errors import Invalid

BERLIN = "Europe/Berlin"
UTC = dt.UTC


def test_naive_winter_time_is_read_in_the_site_zone() -> None:
    value = clock.as_utc(dt.datetime(2026, 1, 15, 10, 0), BERLIN, "starts_at")
    assert value == dt.datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert value.utcoffset() == dt.timedelta(0)


def test_naive_summer_time_is_read_in_the_site_zone() -> None:
    value = clock.as_utc(dt.datetime(2026, 7, 15, 10, 0), BERLIN, "starts_at")
    assert value == dt.datetime(2026, 7, 15, 8, 0, tzinfo=UTC)


def test_aware_input_keeps_its_offset() -> None:
    aware = dt.datetime(2026, 7, 15, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    value = clock.as_utc(aware, BERLIN, "starts_at")
    assert value == dt.datetime(2026, 7, 15, 14, 0, tzinfo=UTC)
    assert value.tzinfo is UTC


def test_naive_time_in_the_spring_forward_gap_is_refused_naming_the_hour() -> None:
    # 2026-03-29 02:30 does not exist in Berlin (clocks jump 02:00 -> 03:00): a
    # person who typed it gets told so, instead of a quietly moved instant.
    with pytest.raises(Invalid) as caught:
        clock.as_utc(dt.datetime(2026, 3, 29, 2, 30), BERLIN, "starts_at")
    assert caught.value.errors == {
        "starts_at": [
            "02:30 does not exist on Sun, 29 Mar 2026: the clocks go forward from 02:00 to 03:00 "
            "(summer time). Please choose another time."
        ]
    }
    # Computed wall times (opening hours, series) still move forward past the gap.
    assert clock.combine(dt.date(2026, 3, 29), dt.time(2, 30), BERLIN) == dt.datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )
    assert clock.as_utc(dt.datetime(2026, 3, 29, 3, 0), BERLIN, "ends_at") == dt.datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )


def test_a_half_hour_gap_is_named_too() -> None:
    with pytest.raises(Invalid) as caught:
        clock.as_utc(dt.datetime(2026, 10, 4, 2, 15), "Australia/Lord_Howe", "starts_at")
    assert "from 02:00 to 02:30" in caught.value.errors["starts_at"][0]


def test_naive_time_in_the_autumn_fold_matches_combine() -> None:
    day, time = dt.date(2026, 10, 25), dt.time(2, 30)
    value = clock.as_utc(dt.datetime.combine(day, time), BERLIN, "starts_at")
    assert value == clock.combine(day, time, BERLIN)


@pytest.mark.parametrize("year", [1999, 2100])
def test_years_outside_the_range_are_refused_naming_the_field(year: int) -> None:
    with pytest.raises(Invalid) as caught:
        clock.as_utc(dt.datetime(year, 6, 1, 10, 0), BERLIN, "ends_at")
    assert list(caught.value.errors) == ["ends_at"]
    assert caught.value.errors["ends_at"] == ["Dates must lie between the years 2000 and 2099."]
    aware = dt.datetime(year, 6, 1, 10, 0, tzinfo=UTC)
    with pytest.raises(Invalid) as caught:
        clock.as_utc(aware, BERLIN, "from")
    assert list(caught.value.errors) == ["from"]
    with pytest.raises(Invalid) as caught:
        clock.check_year(dt.date(year, 1, 1), "until")
    assert list(caught.value.errors) == ["until"]


@pytest.mark.parametrize("year", [clock.FIRST_YEAR, clock.LAST_YEAR])
def test_the_bounds_themselves_are_accepted(year: int) -> None:
    clock.check_year(dt.date(year, 6, 1), "starts_at")
    assert clock.as_utc(dt.datetime(year, 6, 1), BERLIN, "starts_at").year == year


def test_a_local_day_ends_at_the_next_midnight_across_daylight_saving() -> None:
    tz = "Europe/Berlin"
    lengths = {
        day: clock.local_day_end(day, tz) - clock.local_midnight(day, tz)
        for day in (dt.date(2027, 3, 28), dt.date(2027, 6, 1), dt.date(2027, 10, 31))
    }
    assert lengths == {
        dt.date(2027, 3, 28): dt.timedelta(hours=23),
        dt.date(2027, 6, 1): dt.timedelta(hours=24),
        dt.date(2027, 10, 31): dt.timedelta(hours=25),
    }
    assert clock.local_day_end(dt.date(2027, 6, 1), tz) == dt.datetime(
        2027, 6, 1, 22, 0, tzinfo=dt.UTC
    )

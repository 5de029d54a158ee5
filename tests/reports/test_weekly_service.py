"""The report builder against a hand-computed week, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from makerlab import dates
from makerlab.db import recorded_statements
from makerlab.errors import Invalid
from makerlab.extensions import db
from makerlab.reports.periods import read_week
from makerlab.reports.services import Week, build_weekly_report, parse_week
from tests.reports.conftest import (
    EXPECTED_AGE_BANDS,
    EXPECTED_UNITS,
    EXPECTED_WORKSHOPS,
    OPEN_MINUTES,
    WEEK,
)


def test_units_are_clipped_to_the_week_to_the_minute(scenario: dict[str, Any]) -> None:
    report = build_weekly_report(WEEK, 1)
    assert report["starts_on"] == "2027-03-22" and report["ends_on"] == "2027-03-28"
    assert report["sites"][0]["hours_in_week"] == 167  # the clocks go forward on Sunday
    assert report["sites"][0]["starts_at"] == "2027-03-22T00:00:00+01:00"
    assert report["sites"][0]["ends_at"] == "2027-03-29T00:00:00+02:00"
    got = {u["name"]: u for u in report["units"]}
    assert set(got) == set(EXPECTED_UNITS)  # the retired plotter without bookings is left out
    for name, (category, minutes, bookings, loans, overdue) in EXPECTED_UNITS.items():
        unit = got[name]
        assert unit["category"] == category
        assert unit["booked_minutes"] == minutes, name
        assert round(unit["booked_hours"] * 60) == minutes, name
        assert unit["open_minutes"] == OPEN_MINUTES
        assert unit["open_hours"] == 56
        assert unit["utilization"] == pytest.approx(minutes / OPEN_MINUTES)
        figures = (unit["bookings"], unit["loans"], unit["overdue_returns"])
        assert figures == (bookings, loans, overdue)


def test_categories_and_totals_are_sums(scenario: dict[str, Any]) -> None:
    report = build_weekly_report(WEEK)
    printers = next(c for c in report["categories"] if c["category"] == "3d_printer")
    assert printers["units"] == 2
    assert printers["booked_minutes"] == 290
    assert printers["open_minutes"] == 2 * OPEN_MINUTES
    assert printers["utilization"] == pytest.approx(290 / (2 * OPEN_MINUTES))
    assert printers["bookings"] == 2
    totals = report["totals"]
    assert totals["booked_minutes"] == 290 + 90 + 3960 + 1560
    assert totals["open_minutes"] == 5 * OPEN_MINUTES
    assert (totals["bookings"], totals["loans"], totals["overdue_returns"]) == (6, 2, 2)


def test_workshops_reach_and_age_bands(scenario: dict[str, Any]) -> None:
    report = build_weekly_report(WEEK, 1)
    assert report["workshops"] == EXPECTED_WORKSHOPS
    assert report["age_bands"] == EXPECTED_AGE_BANDS
    assert report["age_unknown"] == 0


def test_erasing_a_participant_keeps_the_age_bands(scenario: dict[str, Any]) -> None:
    from makerlab import clock

    before = build_weekly_report(WEEK, 1)
    person = scenario["people"]["p4"]
    person.first_name = person.last_name = person.birth_date = None
    person.erased_at = clock.now()
    db.session.commit()
    after = build_weekly_report(WEEK, 1)
    assert after["age_bands"] == before["age_bands"] == EXPECTED_AGE_BANDS
    assert after["workshops"] == before["workshops"]


def test_heatmap_follows_local_hours_across_dst(scenario: dict[str, Any]) -> None:
    heat = build_weekly_report(WEEK, 1)["heatmap"]
    booked = heat["booked_minutes"]
    assert sum(map(sum, booked)) == 290 + 90 + 3960 + 1560
    monday, sunday = booked[0], booked[6]
    assert monday[0] == 60  # the podcast kit is out all night
    assert monday[9] == 120 and monday[12] == 90  # printer 09:00-12:30 plus the kit
    assert sunday[2] == 0  # 02:00-03:00 does not exist on 2027-03-28
    assert sunday[1] == 60 and sunday[3] == 60 and sunday[23] == 60
    # Capacity: five units open 08-20 on Monday, nothing on the closed Wednesday.
    assert heat["capacity_minutes"][0][8] == 5 * 60
    assert heat["capacity_minutes"][0][20] == 0
    assert sum(heat["capacity_minutes"][2]) == 0


def test_nothing_booked_in_an_empty_week(scenario: dict[str, Any]) -> None:
    report = build_weekly_report("2027-W30", 1)
    assert report["totals"]["booked_minutes"] == 0
    assert report["workshops"]["sessions"] == 0
    assert report["age_bands"] == {"<10": 0, "10-13": 0, "14-17": 0, "18+": 0}


@pytest.mark.parametrize("text", ["", "2027-12", "2027-W1", "2027-W00", "2027-W54", "2027-W53",
                                  "1800-W01", "abcd-Wxx", "2027-W12 OR 1=1"])
def test_bad_weeks_are_refused(app: Any, text: str) -> None:
    with pytest.raises(Invalid) as caught:
        build_weekly_report(text)
    assert "week" in caught.value.errors


def test_unknown_site_is_refused(app: Any) -> None:
    with pytest.raises(Invalid) as caught:
        build_weekly_report("2027-W12", 999)
    assert "site_id" in caught.value.errors


@pytest.mark.parametrize("typed", ["KW 12 / 2027", "KW12/2027", "kw 12/2027", "12/2027",
                                   " 12 / 2027 ", "12 2027", "Week 12 / 2027", "Woche 12, 2027",
                                   "2027-W12", "2027-w12", "2027W12", "KW 12 /  2027"])
def test_a_typed_week_is_read_as_people_write_it(typed: str) -> None:
    assert read_week(typed) == Week(2027, 12)


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_week_a_page_shows_can_be_typed_back(app: Any, language: str) -> None:
    with app.test_request_context(headers={"Accept-Language": language}):
        for code in ("2027-W01", "2026-W53", "2027-W12"):
            assert read_week(dates.week(code)).label == code


@pytest.mark.parametrize("typed", ["", "März 2027", "12/27", "2027-12", "KW 54 / 2027",
                                   "KW 12", "2027", "13/12/2027"])
def test_a_week_people_cannot_mean_is_refused(app: Any, typed: str) -> None:
    with app.test_request_context(), pytest.raises(Invalid) as caught:
        read_week(typed)
    assert "week" in caught.value.errors


def test_week_arithmetic() -> None:
    assert parse_week("2026-W53") == Week(2026, 53)
    assert Week(2027, 1).shifted(-1) == Week(2026, 53)
    assert Week(2026, 53).a_year_earlier() == Week(2025, 52)  # 2025 has 52 weeks
    assert Week(2027, 12).a_year_earlier() == Week(2026, 12)
    assert Week(2027, 12).thursday == dt.date(2027, 3, 25)


def count_statements() -> Any:
    return recorded_statements(db.engine)


def test_statement_count_does_not_grow_with_the_data(scenario: dict[str, Any]) -> None:
    from tests.reports.conftest import _booking, mar

    db.session.commit()
    with count_statements() as few:
        build_weekly_report(WEEK)
    db.session.commit()
    unit = scenario["units"]["Prusa MK4 #2"]
    for day in (22, 23, 25, 26):
        for hour in range(8, 19):
            _booking(unit, mar(day, hour), mar(day, hour, 50))
    db.session.commit()
    with count_statements() as many:
        report = build_weekly_report(WEEK)
    assert report["totals"]["bookings"] == 6 + 44
    assert len(few) == len(many) <= 8


def test_all_sites_each_in_its_own_time_zone(scenario: dict[str, Any]) -> None:
    """A second site in London: its week starts an hour later in UTC than Berlin's."""
    from makerlab.bookings.models import Booking
    from makerlab.equipment.models import Equipment
    from makerlab.sites.models import Site

    london = Site(name="Makerspace London", timezone="Europe/London",
                  opening_hours={"mon": [["09:00", "17:00"]]})
    db.session.add(london)
    db.session.flush()
    unit = Equipment(site_id=london.id, name="Ultimaker S5", category="3d_printer")
    db.session.add(unit)
    db.session.flush()
    # Sunday 21 March 23:30 London (= Monday 00:30 Berlin) to Monday 01:00 London:
    # only the 60 minutes from London's Monday 00:00 count for the London site.
    starts = dt.datetime(2027, 3, 21, 23, 30, tzinfo=dt.UTC)
    db.session.add(Booking(equipment_id=unit.id, starts_at=starts,
                           ends_at=starts + dt.timedelta(minutes=90),
                           blocked_until=starts + dt.timedelta(minutes=90), status="reserved"))
    db.session.commit()
    report = build_weekly_report(WEEK)
    units = {u["name"]: u for u in report["units"]}
    assert units["Ultimaker S5"]["booked_minutes"] == 60
    assert units["Ultimaker S5"]["open_minutes"] == 8 * 60  # Monday only, London time
    assert units["Prusa MK4 #1"]["booked_minutes"] == 290  # Berlin unchanged
    assert report["heatmap"]["booked_minutes"][0][0] == 60 + 60  # London 00-01 + the kit
    only_london = build_weekly_report(WEEK, london.id)
    assert [u["name"] for u in only_london["units"]] == ["Ultimaker S5"]
    assert only_london["workshops"]["sessions"] == 0

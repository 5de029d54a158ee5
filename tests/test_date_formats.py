"""One set of date and time formats: German by default, English in British order, site time."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from makerlab import clock, dates
from makerlab.bookings.models import Booking
from makerlab.extensions import db

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN).astimezone(UTC)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", {"day": "Do., 10. Dez. 2026", "day_short": "Do., 10. Dez.",
                "month": "Dezember 2026", "numeric": "10.12.2026"}),
        ("en", {"day": "Thu, 10 Dec 2026", "day_short": "Thu 10 Dec",
                "month": "December 2026", "numeric": "10/12/2026"}),
    ],
)
def test_named_formats_in_both_languages(app: Any, language: str, expected: dict[str, str]) -> None:
    day = dt.date(2026, 12, 10)
    with app.test_request_context(), force_locale(language):
        for style, text in expected.items():
            assert dates.day(day, style) == text
        # 24-hour times in English too (en_GB), never "2:00 PM".
        assert dates.time(berlin(2026, 12, 10, 14, 0)) == "14:00"
        assert dates.moment(berlin(2026, 12, 10, 14, 5)) == f"{expected['day']}, 14:05"


def test_a_range_within_a_day_writes_the_day_once(app: Any) -> None:
    start, end = berlin(2026, 12, 10, 14, 0), berlin(2026, 12, 10, 16, 0)
    with app.test_request_context():
        assert dates.span(start, end) == "Do., 10. Dez. 2026, 14:00–16:00"
        with force_locale("en"):
            assert dates.span(start, end) == "Thu, 10 Dec 2026, 14:00–16:00"


def test_a_range_across_days_writes_both_in_full(app: Any) -> None:
    start, end = berlin(2026, 12, 10, 14, 0), berlin(2026, 12, 11, 10, 0)
    with app.test_request_context():
        assert dates.span(start, end) == "Do., 10. Dez. 2026, 14:00 – Fr., 11. Dez. 2026, 10:00"
        with force_locale("en"):
            assert dates.span(start, end) == "Thu, 10 Dec 2026, 14:00 – Fri, 11 Dec 2026, 10:00"


def test_times_are_the_sites_wall_clock_across_the_daylight_saving_change(app: Any) -> None:
    with app.test_request_context():
        # Spring: 01:00 UTC is 03:00 summer time, one hour after 01:00 winter time.
        spring = dates.span(dt.datetime(2027, 3, 28, 0, 0, tzinfo=UTC),
                            dt.datetime(2027, 3, 28, 1, 0, tzinfo=UTC))
        assert spring == "So., 28. März 2027, 01:00–03:00"
        # Autumn: two hours of real time from 02:00 summer time end at 03:00 winter time.
        autumn = dates.span(dt.datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
                            dt.datetime(2026, 10, 25, 2, 0, tzinfo=UTC))
        assert autumn == "So., 25. Okt. 2026, 02:00–03:00"
        # Late in the evening UTC is already the next day in Berlin.
        assert dates.day(dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "Fr., 1. Jan. 2027"
        # Another site's zone when one is given.
        assert dates.time(berlin(2026, 12, 10, 14, 0), tz="Europe/London") == "13:00"


def test_a_centre_may_choose_other_english_formats(app: Any) -> None:
    app.config["DATE_LOCALES"] = {"en": "en_US"}
    with app.test_request_context(), force_locale("en"):
        assert dates.span(berlin(2026, 12, 10, 14, 0), berlin(2026, 12, 10, 16, 0)) == (
            "Thu, Dec 10, 2026, 2:00\u202fPM–4:00\u202fPM")


def test_the_browser_gets_the_day_pattern_of_the_pages(app: Any) -> None:
    """day-hint.js writes a date field's day from this: the pattern and names of ``|day``."""
    german = dates.day_pattern(language="de")
    assert german["pattern"] == "E, d. MMM y"
    assert german["weekdays"]["short"][0] == "Mo." and german["months"]["short"][8] == "Sept."
    assert dates.day_pattern(language="en")["pattern"] == "E, d MMM y"
    app.config["DATE_LOCALES"] = {"en": "en_US"}  # the centre's choice reaches the browser too
    assert dates.day_pattern(language="en")["pattern"] == "E, MMM d, y"


def test_pages_show_one_style(client: Any, login_as: Any, make_unit: Any) -> None:
    clock.set_frozen(berlin(2026, 12, 7, 9, 0))
    unit = make_unit(name="Prusa Eins")
    user = login_as("youth_worker")
    start, end = berlin(2026, 12, 10, 14, 0), berlin(2026, 12, 10, 16, 0)
    booking = Booking(equipment_id=unit.id, starts_at=start, ends_at=end, blocked_until=end,
                      purpose="Offene Werkstatt", status="reserved", booked_by_id=user.id)
    db.session.add(booking)
    db.session.commit()
    german = client.get("/bookings/mine").get_data(as_text=True)
    assert "Do., 10. Dez. 2026, 14:00–16:00" in german
    english = client.get("/bookings/mine", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Thu, 10 Dec 2026, 14:00–16:00" in english
    shown = re.sub(r"<[^>]+>", " ", english)  # the text, not the CSRF token's letters
    assert not re.search(r"\b[AP]M\b", shown) and "12/10/26" not in shown
    detail = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert "Do., 10. Dez. 2026, 14:00" in detail

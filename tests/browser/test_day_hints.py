"""A date field shows the browser's format; under it the chosen day reads as every page's dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from makerlab import dates

pytestmark = [pytest.mark.browser, pytest.mark.served]

DAYS = [dt.date(2027, 2, 1), dt.date(2027, 3, 28), dt.date(2027, 9, 30), dt.date(2026, 12, 10)]


def test_the_chosen_day_is_written_out_under_a_date_field_in_both_languages(
    page: Any, log_in: Callable[[Any], None], make_user: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    user = make_user("youth_worker")
    commit()
    log_in(user)
    for language, button in (("de", "English"), ("en", "Deutsch")):
        page.goto("/bookings/new")
        field = page.locator("input#day")
        hint = page.locator("#day-day")
        # Chromium writes the field in its own interface language (here 12/10/2026 on a
        # German page): the hint is what makes the day unambiguous.
        expect(field).to_have_attribute("aria-describedby", "day-day")
        expect(hint).to_be_hidden()  # nothing chosen, nothing said
        for day in DAYS:
            field.fill(day.isoformat())
            expect(hint).to_have_text(dates.day(day, language=language))
        page.get_by_role("button", name=button).click()


def test_a_field_with_an_error_keeps_its_error_and_gains_the_day(
    page: Any, log_in: Callable[[Any], None], make_user: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    commit()
    log_in(make_user("coordinator"))
    page.goto("/reports?from=2027-03-01&to=2027-02-01")  # the end before the start
    to = page.get_by_label("Bis (ausschließlich)")
    expect(to).to_have_attribute("aria-describedby", "period-error to-day")
    expect(page.locator("#to-day")).to_have_text("Mo., 1. Feb. 2027")
    expect(page.locator("#from-day")).to_have_text("Mo., 1. März 2027")

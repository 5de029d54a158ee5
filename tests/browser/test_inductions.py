"""Recording an induction: the age warning follows the category chosen in the form.

Staff are told before they record an induction that the booking rules will
refuse the person for that category (participants.rules.induction_warnings).
The form's warnings box shows the chosen category's warnings and updates when
another category is chosen (static/induction.js).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from makerlab import clock

pytestmark = [
    pytest.mark.browser,
    pytest.mark.served,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]


def test_the_age_warning_follows_the_chosen_category(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_participant: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    make_unit(name="Lasercutter Nord", category="laser_cutter", min_age=14)
    make_unit(name="Prusa Eins", category="3d_printer", min_age=None)
    today = clock.today("Europe/Berlin")
    child = make_participant(first_name="Tom", last_name="Jung",
                             birth_date=dt.date(today.year - 13, 1, 1))
    commit()
    log_in(make_user("youth_worker"))
    page.goto(f"/participants/{child.id}/inductions/new")

    box = page.locator("#induction-warnings")
    category = page.get_by_label("Kategorie", exact=True)
    category.select_option(label="Lasercutter")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Lasercutter: Tom Jung ist 13; das Mindestalter ist 14.")

    category.select_option(label="3D-Drucker")  # no age limit: nothing to warn of
    expect(box).to_be_hidden()

    category.select_option(label="Lasercutter")
    expect(box).to_be_visible()
    expect(box).not_to_contain_text("3D-Drucker")

    # Saving for the laser cutter records it and repeats the warning at the top.
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status").first).to_contain_text("Einweisung eingetragen.")
    expect(page.locator("main")).to_contain_text("das Mindestalter ist 14")


def test_a_warning_for_every_category_stays_shown(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_participant: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    make_unit(name="Lasercutter Nord", category="laser_cutter", min_age=14)
    child = make_participant(first_name="Ida", last_name="Ohne", birth_date=None)
    commit()
    log_in(make_user("youth_worker"))
    page.goto(f"/participants/{child.id}/inductions/new")

    box = page.locator("#induction-warnings")
    category = page.get_by_label("Kategorie", exact=True)
    for label in ("3D-Drucker", "Lasercutter"):
        category.select_option(label=label)
        expect(box).to_be_visible()
        expect(box).to_contain_text("kein Geburtsdatum")

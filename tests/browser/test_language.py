"""The language switch: German by default, English on request, and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from makerlab.auth.models import User
from makerlab.extensions import db
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.served]


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A browser asking for French: neither offered language, so the default applies."""
    return {**browser_context_args, "locale": "fr-FR"}


def test_german_by_default_english_after_the_switch_and_back(
    page: Any, make_user: Callable[..., Any], commit: Callable[[], None]
) -> None:
    user = make_user("youth_worker")
    commit()
    html = page.locator("html")

    page.goto("/login")
    expect(html).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")

    page.get_by_role("button", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert page.url.endswith("/login")

    # The choice lasts across the login; the pages speak English.
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Calendar")).to_be_visible()
    page.get_by_role("button", name=user.name).click()  # the account menu
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.keyboard.press("Escape")

    nav.get_by_role("link", name="Calendar").click()
    page.get_by_role("button", name="Deutsch").click()
    expect(html).to_have_attribute("lang", "de")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav.get_by_role("link", name="Kalender")).to_be_visible()
    page.get_by_role("button", name=user.name).click()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kalender")
    assert "/calendar" in page.url  # back on the page where the switch was pressed
    commit()
    saved = db.session.get(User, user.id)
    assert saved is not None and saved.locale == "de"

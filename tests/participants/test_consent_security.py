"""The guardian's page with production's CSRF and rate limits switched on."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from makerlab import clock
from makerlab.extensions import db
from makerlab.participants import consent
from tests.conftest import base_config

NOW = dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def app_config(database_uri: str) -> dict[str, Any]:
    config = base_config(database_uri)
    config.update(
        {"RATELIMIT_ENABLED": True, "CONSENT_RATE_LIMIT": "5 per minute", "WTF_CSRF_ENABLED": True}
    )
    return config


@pytest.fixture
def token(app: Any, make_participant: Any) -> str:
    clock.set_frozen(NOW)
    child = make_participant(first_name="Mia", guardian_consent=False)
    token = consent.paper_link(None, child)[1]
    db.session.commit()
    return token


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def test_the_form_needs_its_csrf_token_but_no_referrer(client: Any, token: str) -> None:
    url = f"https://makerlab.example/consent/{token}"
    refused = client.post(url, data={"guardian": "y"}, headers={"Accept-Language": "en"})
    assert refused.status_code == 400
    assert "The page had expired" in refused.get_data(as_text=True)
    assert consent.find_open_request(token).participant.guardian_consent is False
    page = client.get(url).get_data(as_text=True)
    # Over HTTPS and without a Referer header (the page sends none): accepted.
    saved = client.post(url, data={"guardian": "y", "csrf_token": csrf_token(page)})
    assert saved.status_code == 303
    db.session.expire_all()
    assert consent.find_open_request(token).participant.guardian_consent is True


def test_the_page_is_rate_limited_per_address(client: Any, token: str) -> None:
    for _ in range(5):
        assert client.get(f"/consent/{token}").status_code == 200
    blocked = client.get(f"/consent/{token}")
    assert blocked.status_code == 429
    assert "Mia" not in blocked.get_data(as_text=True)
    assert client.get("/consent/" + "B" * 43).status_code == 429  # guessing counts too

"""One date range (2000-2099) for every date field: API, pages and services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from makerlab import clock
from makerlab.errors import Invalid
from makerlab.participants import services as participants

OUT_OF_RANGE = ["9999-12-31", "1999-12-31", "2100-01-01"]


@pytest.mark.parametrize("day", OUT_OF_RANGE)
def test_api_date_fields_keep_the_range(
    api_as: Any, make_participant: Any, frozen: Any, day: str
) -> None:
    api = api_as("coordinator")
    child = make_participant()
    attempts = {
        "/api/v1/sites/1/closures": ({"starts_on": day, "ends_on": day, "reason": "x"}, "ends_on"),
        "/api/v1/participants": (
            {"first_name": "Ada", "last_name": "Zeit", "birth_date": day},
            "birth_date",
        ),
        f"/api/v1/participants/{child.id}/inductions": (
            {"category": "3d_printer", "completed_on": "2027-01-04", "valid_until": day},
            "valid_until",
        ),
    }
    for url, (body, field) in attempts.items():
        response = api.post(url, json=body)
        assert response.status_code == 422, (url, response.get_json())
        assert field in response.get_json()["errors"], (url, response.get_json())
    patched = api.patch(f"/api/v1/participants/{child.id}", json={"guardian_consent_on": day})
    assert patched.status_code == 422 and "guardian_consent_on" in patched.get_json()["errors"]


def test_services_keep_the_range(app: Any, make_participant: Any, frozen: Any) -> None:
    child = make_participant()
    with pytest.raises(Invalid) as refused:
        participants.record_induction(
            None, child, category="laser_cutter", valid_until=dt.date(9999, 12, 31)
        )
    assert "valid_until" in refused.value.errors
    with pytest.raises(Invalid) as refused:
        participants.update_participant(None, child, birth_date=dt.date(1999, 12, 31))
    assert "birth_date" in refused.value.errors
    assert clock.year_problem(dt.date(2000, 1, 1)) is None
    assert clock.year_problem(dt.date(2099, 12, 31)) is None
    assert clock.year_problem(2100)


def test_pages_keep_the_range(client: Any, login_as: Any, frozen: Any) -> None:
    login_as("coordinator")
    closure = client.post(
        "/sites/1/closures/check",
        data={"closure-starts_on": "9999-12-31", "closure-reason": "Sankt Nimmerlein"},
    )
    assert closure.status_code == 422
    assert "2000" in closure.get_data(as_text=True)
    person = client.post(
        "/participants/new",
        data={"first_name": "Ada", "last_name": "Zeit", "birth_date": "1999-12-31",
              "school_id": 0},
    )
    assert person.status_code == 422 and "2099" in person.get_data(as_text=True)
    form = client.get("/participants/new").get_data(as_text=True)
    assert 'min="2000-01-01"' in form and 'max="2099-12-31"' in form

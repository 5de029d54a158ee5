"""Kit contents: listed per unit (API and edit page), checked on the way in."""

from __future__ import annotations

from typing import Any

import pytest

from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from tests.desk.conftest import PODCAST

EN = {"Accept-Language": "en"}


def test_contents_through_the_api(api_as: Any) -> None:
    api = api_as("coordinator")
    made = api.post(
        "/api/v1/equipment",
        json={"name": "Podcast-Koffer 1", "category": "podcast_kit", "loanable": True,
              "contents": [{"item": "  Mikrofon ", "count": 2}, {"item": "Kabel", "count": 1}]},
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["contents"] == [
        {"item": "Mikrofon", "count": 2},
        {"item": "Kabel", "count": 1},
    ]
    unit_id = made.get_json()["id"]
    changed = api.patch(f"/api/v1/equipment/{unit_id}", json={"contents": PODCAST})
    assert changed.get_json()["contents"] == PODCAST
    assert api.get(f"/api/v1/equipment/{unit_id}").get_json()["contents"] == PODCAST
    # Without contents a unit lists none.
    plain = api.post("/api/v1/equipment", json={"name": "Prusa", "category": "3d_printer"})
    assert plain.get_json()["contents"] == []


@pytest.mark.parametrize(
    "contents",
    [
        [{"item": "", "count": 1}],
        [{"item": "   ", "count": 1}],
        [{"item": "Mikrofon", "count": 0}],
        [{"item": "Mikrofon", "count": 100}],
        [{"item": "Mikrofon", "count": "2"}],
        [{"item": "Mikrofon", "count": 1.5}],
        [{"item": "Mikrofon"}],
        [{"item": "Mikrofon", "count": 1, "colour": "rot"}],
        [{"item": "Mikrofon", "count": 1}, {"item": "mikrofon", "count": 2}],
        [{"item": "x" * 121, "count": 1}],
        {"item": "Mikrofon", "count": 1},
        [{"item": f"Teil {n}", "count": 1} for n in range(61)],
    ],
)
def test_bad_contents_are_refused(api_as: Any, make_kit: Any, contents: Any) -> None:
    api = api_as("coordinator")
    kit = make_kit()
    response = api.patch(f"/api/v1/equipment/{kit.id}", json={"contents": contents})
    assert response.status_code == 422, response.get_json()
    assert any(key.startswith("contents") for key in response.get_json()["errors"])
    db.session.expire_all()
    assert db.session.get(Equipment, kit.id).contents == PODCAST  # type: ignore[union-attr]


def test_the_edit_page_takes_one_item_a_line(client: Any, login_as: Any, make_kit: Any) -> None:
    login_as("coordinator")
    kit = make_kit()
    page = client.get(f"/equipment/{kit.id}/edit", headers=EN).get_data(as_text=True)
    assert "2 × Mikrofon\n1 × Aufnahmegerät\n2 × XLR-Kabel" in page
    assert kit.code in page
    form = {
        "name": kit.name,
        "category": "podcast_kit",
        "site_id": "1",
        "status": "available",
        "loanable": "y",
        "buffer_minutes": "0",
        "contents": "2 × Mikrofon\n3x Kopfhörer\n\n1 Tasche\n3D-Brille\n",
    }
    saved = client.post(f"/equipment/{kit.id}/edit", data=form)
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Equipment, kit.id).contents == [  # type: ignore[union-attr]
        {"item": "Mikrofon", "count": 2},
        {"item": "Kopfhörer", "count": 3},
        {"item": "Tasche", "count": 1},
        {"item": "3D-Brille", "count": 1},
    ]
    detail = client.get(f"/equipment/{kit.id}", headers=EN).get_data(as_text=True)
    assert "Contents of the kit" in detail and "3 × Kopfhörer" in detail
    refused = client.post(
        f"/equipment/{kit.id}/edit",
        data={**form, "contents": "120 × Kabelbinder"},
        headers=EN,
    )
    assert refused.status_code == 422
    assert "Kabelbinder: the count is a whole number from 1 to 99." in refused.get_data(
        as_text=True
    )

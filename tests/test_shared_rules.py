"""Rules several domains share give the same answer everywhere they apply."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TEST_PASSWORD

API = "/api/v1"

# Slugs a unit may or may not be given; a workshop must agree on every one.
SLUGS = ["laser_cutter", "drone_kit", "3d_printer", "laser-cutter", "Laser_cutter", "kit!", ""]


@pytest.mark.parametrize("slug", SLUGS)
def test_a_workshop_needs_only_categories_a_unit_can_have(api_as: Any, slug: str) -> None:
    coord = api_as("coordinator")
    unit = coord.post(f"{API}/equipment", json={"name": f"Unit {slug}", "category": slug})
    workshop = coord.post(f"{API}/workshops", json={"title": "Bauen", "equipment_needs": {slug: 1}})
    assert unit.status_code in (201, 422) and workshop.status_code in (201, 422)
    assert unit.status_code == workshop.status_code, (unit.get_json(), workshop.get_json())
    if slug == "laser-cutter":
        assert workshop.status_code == 422 and "equipment_needs" in workshop.get_json()["errors"]


def test_induction_categories_follow_the_same_rule(api_as: Any, make_participant: Any) -> None:
    staff = api_as("youth_worker")
    person = make_participant()
    url = f"{API}/participants/{person.id}/inductions"
    good = staff.post(url, json={"category": "drone_kit", "completed_on": "2026-01-10"})
    assert good.status_code == 201, good.get_json()
    assert staff.post(url, json={"category": "laser-cutter"}).status_code == 422


BAD_ADDRESSES = ["kim@schule", "kim schule@example.org", "kim@@example.org", "kim@familie.invalid"]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_every_stored_address_is_checked_the_same_way(
    api_as: Any, make_school: Any, make_participant: Any, runner: Any, address: str
) -> None:
    coord = api_as("coordinator")
    school = coord.post(f"{API}/schools", json={"name": "Schule am Park", "contact_email": address})
    assert school.status_code == 422 and "contact_email" in school.get_json()["errors"]
    person = make_participant()
    patched = coord.patch(f"{API}/participants/{person.id}", json={"guardian_email": address})
    assert patched.status_code == 422 and "guardian_email" in patched.get_json()["errors"]
    workshop = coord.post(f"{API}/workshops", json={"title": "Löten"}).get_json()
    session = coord.post(
        f"{API}/workshops/{workshop['id']}/sessions",
        json={
            "starts_at": "2030-03-10T09:00:00+01:00",
            "ends_at": "2030-03-10T12:00:00+01:00",
            "capacity": 20,
        },
    ).get_json()
    enrolled = coord.post(
        f"{API}/sessions/{session['id']}/enrolments",
        json={
            "school_id": make_school().id,
            "class_name": "7a",
            "headcount": 20,
            "contact_email": address,
        },
    )
    assert enrolled.status_code == 422 and "contact_email" in enrolled.get_json()["errors"]
    created = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            address,
            "--role",
            "coordinator",
            "--password",
            TEST_PASSWORD,
        ]
    )
    assert created.exit_code != 0 and "email" in created.output


def test_the_services_refuse_what_the_pages_send(login_as: Any, client: Any) -> None:
    """No form or schema is needed for the check: a page posting a bad address gets it back."""
    login_as("coordinator")
    page = client.post(
        "/schools/new", data={"name": "Schule am Park", "contact_email": "kim@schule"}
    )
    assert page.status_code == 422
    assert "Keine gültige E-Mail-Adresse." in page.get_data(as_text=True)
    ok = client.post(
        "/schools/new", data={"name": "Schule am Park", "contact_email": "büro@schule-am-park.de"}
    )
    assert ok.status_code == 302

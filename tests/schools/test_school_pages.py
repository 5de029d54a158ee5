from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from makerlab.extensions import db
from makerlab.schools.models import School


def test_coordinator_adds_and_edits_a_school(client: Any, login_as: Any) -> None:
    login_as("coordinator")
    response = client.post(
        "/schools/new",
        data={"name": "Grundschule Kastanienallee", "address": "Kastanienallee 1",
              "contact_email": "sekretariat@gs-kastanie.example"},
    )
    assert response.status_code == 302
    school = db.session.scalar(sa.select(School).where(School.name == "Grundschule Kastanienallee"))
    assert school is not None
    page = client.get("/schools").get_data(as_text=True)
    assert "Grundschule Kastanienallee" in page
    client.post(f"/schools/{school.id}", data={"name": "GS Kastanienallee", "address": "",
                                                "contact_email": ""})
    db.session.refresh(school)
    assert school.name == "GS Kastanienallee"


def test_duplicate_name_is_explained(client: Any, login_as: Any, make_school: Any) -> None:
    login_as("coordinator")
    make_school(name="Sekundarschule Am Fliederweg")
    response = client.post("/schools/new", data={"name": "Sekundarschule Am Fliederweg"})
    assert response.status_code == 422
    assert "Eine Schule mit diesem Namen gibt es schon." in response.get_data(as_text=True)


def test_schools_pages_are_for_coordinators(client: Any, login_as: Any) -> None:
    login_as("youth_worker")
    assert client.get("/schools").status_code == 403

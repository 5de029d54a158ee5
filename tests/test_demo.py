from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from makerlab.bookings.models import Booking
from makerlab.demo_data import DEMO_LOGINS
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.workshops.models import WorkshopSession


def test_demo_seed_builds_the_centre_and_every_login_works(runner: Any, client: Any) -> None:
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    for _role, email, password, _name in DEMO_LOGINS:
        assert email in result.output and password in result.output
    categories = db.session.scalars(sa.select(Equipment.category)).all()
    assert categories.count("3d_printer") == 4
    assert categories.count("laser_cutter") == 1
    assert categories.count("podcast_kit") == 3
    assert categories.count("synth_kit") == 2
    assert categories.count("vinyl_cutter") == 1
    sessions = db.session.scalar(sa.select(sa.func.count()).select_from(WorkshopSession))
    assert sessions and sessions >= 8
    session_bookings = db.session.scalar(
        sa.select(sa.func.count()).select_from(Booking).where(Booking.session_id.is_not(None))
    )
    assert session_bookings, "planned sessions reserve their equipment"
    for _role, email, password, _name in DEMO_LOGINS:
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, email
        assert client.get("/").status_code == 200
        client.post("/logout")
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert again.exit_code == 0 and "already present" in again.output

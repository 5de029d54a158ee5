from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from makerlab import clock
from makerlab.bookings import loans
from makerlab.bookings.models import Booking
from makerlab.demo_data import DEMO_LOGINS
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.notifications.models import Notification
from makerlab.participants import consent
from makerlab.participants.models import ConsentRequest
from makerlab.sites.models import Closure, Term
from makerlab.workshops.models import WorkshopSession
from tests.conftest import at


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


# Wednesday 9 December 2026, 14:00 in Halle: the demo week seen mid-afternoon.
WEDNESDAY = dt.datetime(2026, 12, 9, 13, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo_week(app: Any, runner: Any) -> Any:
    clock.set_frozen(WEDNESDAY)
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    return result


def _login(client: Any, role: str) -> None:
    _r, email, password, _n = next(login for login in DEMO_LOGINS if login[0] == role)
    assert client.post("/login", data={"email": email, "password": password}).status_code == 302


def test_demo_loan_desk_has_a_kit_due_today_one_overdue_and_one_to_hand_out(
    demo_week: Any, client: Any
) -> None:
    desk = loans.loan_desk()
    assert [b.equipment.category for b, _n, _e in desk.due_today] == ["podcast_kit"]
    assert [b.equipment.category for b, _n, _e in desk.overdue] == ["synth_kit"]
    assert [b.equipment.category for b, _n, _e in desk.pickup] == ["podcast_kit"]
    for booking, _name, _email in desk.due_today + desk.overdue:
        assert booking.participants, "the desk shows who holds the kit"
    _login(client, "youth_worker")
    page = client.get("/bookings/loans").get_data(as_text=True)
    assert "Leon Becker" in page and "Noah Hoffmann" in page
    assert "Nothing is out right now" not in page


def test_demo_kit_back_incomplete_needs_attention_on_the_dashboards(
    demo_week: Any, client: Any
) -> None:
    incomplete = db.session.scalars(
        sa.select(Booking).where(Booking.return_condition == "damaged")
    ).one()
    assert incomplete.return_missing == [{"item": "Kopfhörer", "count": 1}]
    assert clock.to_local(incomplete.returned_at, "Europe/Berlin").date() == dt.date(2026, 12, 9)
    assert incomplete.equipment.status == "maintenance"
    flagged = db.session.scalars(
        sa.select(Booking).where(
            Booking.equipment_id == incomplete.equipment_id, Booking.starts_at > WEDNESDAY
        )
    ).all()
    assert flagged and all(b.attention for b in flagged)
    for role in ("youth_worker", "coordinator"):
        _login(client, role)
        page = client.get("/").get_data(as_text=True)
        assert 'id="needs-attention"' in page, role
        assert incomplete.equipment.name in page
        client.post("/logout")
    _login(client, "youth_worker")
    assert "Weihnachtspause" in client.get("/attention").get_data(as_text=True)


def test_demo_calendar_has_christmas_holidays_terms_and_consent(demo_week: Any) -> None:
    closures = {(c.starts_on, c.ends_on, c.reason) for c in db.session.scalars(sa.select(Closure))}
    christmas = (dt.date(2026, 12, 24), dt.date(2027, 1, 1), "Weihnachtspause Passage 13")
    assert christmas in closures
    for day in (dt.date(2026, 10, 31), dt.date(2027, 1, 6), dt.date(2027, 10, 31)):
        assert any(first == day for first, _last, _reason in closures), day
    sessions = db.session.scalars(
        sa.select(WorkshopSession).where(WorkshopSession.starts_at >= at("2026-12-24", "00:00"))
    ).all()
    assert any(s.attention for s in sessions), "the break hits a planned session"
    terms = db.session.scalars(sa.select(Term.name)).all()
    assert "Schuljahr 2026/27" in terms
    pending = db.session.scalars(sa.select(ConsentRequest)).one()
    assert pending.participant.first_name == "Jonas" and pending.emailed_to.endswith(".example")
    soon = [due.participant.first_name for due in consent.own_consent_due(ahead_days=30)]
    assert "Lea" in soon
    recipients = db.session.scalars(sa.select(Notification.to_address)).all()
    assert recipients and all(to.endswith(".example") for to in recipients)

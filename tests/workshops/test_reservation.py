"""Rule 8: a session reserves its workshop's equipment, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from makerlab.extensions import db

API = "/api/v1"


@pytest.fixture
def units(app: Any) -> dict[str, list[int]]:
    from makerlab.equipment.models import Equipment

    rows = [
        Equipment(site_id=1, name=f"Synth-Kit {n}", category="synth_kit", loanable=True)
        for n in (1, 2, 3)
    ]
    rows.append(
        Equipment(site_id=1, name="Podcast-Koffer 1", category="podcast_kit", loanable=True)
    )
    rows.append(Equipment(site_id=1, name="Werkstatt", category="room"))
    db.session.add_all(rows)
    db.session.commit()
    out: dict[str, list[int]] = {}
    for unit in rows:
        out.setdefault(unit.category, []).append(unit.id)
    return out


def _bookings(session_id: int | None = None, status: str | None = "reserved") -> list[Any]:
    from makerlab.bookings.models import Booking

    stmt = sa.select(Booking).order_by(Booking.equipment_id)
    if session_id is not None:
        stmt = stmt.where(Booking.session_id == session_id)
    if status is not None:
        stmt = stmt.where(Booking.status == status)
    return list(db.session.scalars(stmt))


def _session_count() -> int:
    from makerlab.workshops.models import WorkshopSession

    return int(db.session.scalar(sa.select(sa.func.count()).select_from(WorkshopSession)) or 0)


def _times(day: int, start: str = "09:00", end: str = "12:00") -> dict[str, str]:
    return {"starts_at": f"2027-03-{day:02d}T{start}", "ends_at": f"2027-03-{day:02d}T{end}"}


def test_session_reserves_needs_all_or_nothing(
    api_as: Any, frozen: Any, units: dict[str, list[int]], make_workshop: Any
) -> None:
    coord = api_as("coordinator")
    synth = make_workshop(title="Synthesizer", equipment_needs={"synth_kit": 2, "room": 1})
    created = coord.post(
        f"{API}/workshops/{synth.id}/sessions", json={**_times(10), "capacity": 12}
    )
    assert created.status_code == 201, created.get_json()
    sid = created.get_json()["id"]
    held = _bookings(sid)
    assert sorted(b.equipment_id for b in held) == sorted(units["synth_kit"][:2] + units["room"])
    assert all(b.starts_at.isoformat() == "2027-03-10T08:00:00+00:00" for b in held)

    podcast = make_workshop(title="Podcast", equipment_needs={"synth_kit": 1, "podcast_kit": 2})
    refused = coord.post(
        f"{API}/workshops/{podcast.id}/sessions",
        json={**_times(10, "10:00", "11:00"), "capacity": 8},
    )
    assert refused.status_code == 409
    problem = refused.get_json()
    # Categories by their names, never their slugs.
    assert [m.split(":")[0] for m in problem["errors"]["equipment_needs"]] == ["Podcast-Koffer"]
    assert "Podcast-Koffer: 2" in problem["detail"] and "podcast_kit" not in problem["detail"]
    assert "1" in problem["errors"]["equipment_needs"][0]
    assert _session_count() == 1 and len(_bookings()) == 3  # the free synth kit was not taken

    # Another session of the synthesizer workshop at the same time: only one kit and no room.
    clash = coord.post(f"{API}/workshops/{synth.id}/sessions", json={**_times(10), "capacity": 5})
    assert clash.status_code == 409
    short = {m.split(":")[0] for m in clash.get_json()["errors"]["equipment_needs"]}
    assert short == {"Raum", "Synthesizer-Bausatz"}
    assert len(_bookings()) == 3


def test_moving_a_session_moves_its_reservations(
    api_as: Any, frozen: Any, units: dict[str, list[int]], make_workshop: Any
) -> None:
    from makerlab.bookings.models import Booking

    coord = api_as("coordinator")
    synth = make_workshop(equipment_needs={"synth_kit": 3})
    sid = coord.post(
        f"{API}/workshops/{synth.id}/sessions", json={**_times(10), "capacity": 12}
    ).get_json()["id"]
    moved = coord.patch(f"{API}/sessions/{sid}", json=_times(11, "13:00", "16:00"))
    assert moved.status_code == 200, moved.get_json()
    held = _bookings(sid)
    assert len(held) == 3
    assert {b.starts_at.isoformat() for b in held} == {"2027-03-11T12:00:00+00:00"}
    assert len(_bookings(sid, status="cancelled")) == 3

    # Someone books a kit on the 12th; moving there is refused and changes nothing.
    db.session.add(
        Booking(
            equipment_id=units["synth_kit"][0],
            starts_at=_utc(12, 8),
            ends_at=_utc(12, 12),
            blocked_until=_utc(12, 12),
            status="reserved",
        )
    )
    db.session.commit()
    refused = coord.patch(f"{API}/sessions/{sid}", json=_times(12))
    assert refused.status_code == 409
    [message] = refused.get_json()["errors"]["equipment_needs"]
    assert message.startswith("Synthesizer-Bausatz: 3")
    session = coord.get(f"{API}/sessions/{sid}").get_json()
    assert session["starts_at"] == "2027-03-11T13:00:00+01:00"
    assert {b.starts_at.isoformat() for b in _bookings(sid)} == {"2027-03-11T12:00:00+00:00"}
    assert len(_bookings(sid)) == 3


def _utc(day: int, hour: int) -> Any:
    import datetime as dt

    return dt.datetime(2027, 3, day, hour, 0, tzinfo=dt.UTC)


def test_cancelling_a_session_frees_its_equipment(
    api_as: Any, frozen: Any, units: dict[str, list[int]], make_workshop: Any
) -> None:
    coord = api_as("coordinator")
    synth = make_workshop(equipment_needs={"synth_kit": 3, "room": 1})
    sid = coord.post(
        f"{API}/workshops/{synth.id}/sessions", json={**_times(10), "capacity": 12}
    ).get_json()["id"]
    assert len(_bookings(sid)) == 4
    assert coord.delete(f"{API}/sessions/{sid}").status_code == 200
    assert _bookings(sid) == [] and len(_bookings(sid, status="cancelled")) == 4
    again = coord.post(f"{API}/workshops/{synth.id}/sessions", json={**_times(10), "capacity": 12})
    assert again.status_code == 201


def test_booking_rules_refusing_a_reservation_are_422(
    api_as: Any, frozen: Any, units: dict[str, list[int]], make_workshop: Any
) -> None:
    coord = api_as("coordinator")
    synth = make_workshop(equipment_needs={"room": 1})
    # Saturday 13 March opens at 10:00: the room is free, but a booking from 09:00 breaks
    # the opening hours (rule 4), so the session is refused with the booking's reason.
    refused = coord.post(
        f"{API}/workshops/{synth.id}/sessions",
        json={**_times(13, "09:00", "11:00"), "capacity": 12},
    )
    assert refused.status_code == 422
    assert "equipment_needs" in refused.get_json()["errors"]
    # Sunday: the centre is closed, so no room is free at all.
    closed = coord.post(f"{API}/workshops/{synth.id}/sessions", json={**_times(14), "capacity": 12})
    assert closed.status_code == 409
    assert _session_count() == 0 and _bookings(status=None) == []

"""Of 40 simultaneous overlapping bookings exactly one succeeds (SPEC rule 2).

Through the real server: gunicorn with several sync workers (production's
setting) and with several threaded workers, on SQLite (BEGIN IMMEDIATE) and
PostgreSQL (exclusion constraint).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from makerlab.auth.services import issue_token
from makerlab.bookings.models import Booking
from makerlab.extensions import db

N = 40


@pytest.fixture(params=[1, 4], ids=["sync", "gthread"])
def served_threads(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.mark.served
def test_forty_simultaneous_overlapping_bookings(
    served: str, make_user: Any, make_unit: Any
) -> None:
    laser = make_unit(name="Laser", category="laser_cutter", buffer_minutes=15)
    unit_id = laser.id
    tokens = []
    for _ in range(4):
        tokens.append(issue_token(make_user("youth_worker"), "race"))
    db.session.commit()
    barrier = threading.Barrier(N)

    def attempt(i: int) -> tuple[int, Any]:
        # Every request overlaps every other: all cover 11:14-11:15 on the same day.
        start = f"2027-01-05T{10 + i % 2:02d}:{(i * 7) % 15:02d}"
        with requests.Session() as http:
            barrier.wait(timeout=30)
            response = http.post(
                f"{served}/api/v1/bookings",
                json={"equipment_id": unit_id, "starts_at": start, "ends_at": "2027-01-05T11:15"},
                headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
                timeout=60,
            )
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=N) as pool:
        results = list(pool.map(attempt, range(N)))
    codes = sorted(code for code, _body in results)
    assert codes == [201] + [409] * (N - 1), codes
    winner = next(body for code, body in results if code == 201)
    for code, body in results:
        if code == 409:
            assert [c["booking_id"] for c in body["conflicts"]] == [winner["id"]], body
    db.session.rollback()
    stored = db.session.scalar(sa.select(sa.func.count()).select_from(Booking))
    assert stored == 1

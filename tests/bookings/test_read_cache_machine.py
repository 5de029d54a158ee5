"""Whatever sequence of bookings, cancellations, moves and maintenance: a cached answer is
the answer built afresh.

A hypothesis state machine books and cancels through the API, moves bookings
and adds maintenance with plain SQL (which only the triggers see), and asks
the calendar and both availability routes; every answer, cached or not,
must equal the one built with the cache switched off. On PostgreSQL this
checks the per-week, per-unit and per-category counters; on SQLite every
change raises every counter.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from makerlab.bookings.models import Booking
from makerlab.equipment.models import MaintenanceBlock
from makerlab.extensions import db
from tests.conftest import at, local

# Monday 4 to Sunday 17 January 2027 (the frozen "now" is the first Monday, 08:00).
DAYS = [f"2027-01-{day:02d}" for day in (4, 5, 6, 7, 8, 11, 12, 13, 14, 15)]
WEEKS = ["2027-W01", "2027-W02"]
hours = st.integers(min_value=9, max_value=17)
lengths = st.integers(min_value=1, max_value=3)


def test_cached_answers_equal_fresh_ones(
    app: Flask, frozen: Any, api_as: Any, login_as: Any, client: Any, make_unit: Any
) -> None:
    api = api_as("youth_worker")
    login_as("youth_worker")
    units = [
        make_unit(name="Drucker A", buffer_minutes=30),
        make_unit(name="Drucker B"),
        make_unit(name="Laser", category="laser_cutter", buffer_minutes=60),
    ]
    unit_ids = [u.id for u in units]
    categories = ["3d_printer", "laser_cutter"]
    size = app.config["READ_CACHE_SIZE"]

    def fresh_and_cached(get: Any) -> tuple[Any, Any]:
        cached = get()
        app.config["READ_CACHE_SIZE"] = 0
        try:
            fresh = get()
        finally:
            app.config["READ_CACHE_SIZE"] = size
        return cached, fresh

    class Machine(RuleBasedStateMachine):
        @rule(unit=st.sampled_from(unit_ids), day=st.sampled_from(DAYS), hour=hours, n=lengths)
        def book(self, unit: int, day: str, hour: int, n: int) -> None:
            api.post(
                "/api/v1/bookings",
                json={
                    "equipment_id": unit,
                    "starts_at": local(day, f"{hour:02d}:00"),
                    "ends_at": local(day, f"{hour + n:02d}:00"),
                },
            )

        @rule(pick=st.integers(min_value=0, max_value=50))
        def cancel(self, pick: int) -> None:
            ids = db.session.scalars(
                sa.select(Booking.id).where(Booking.status == "reserved").order_by(Booking.id)
            ).all()
            db.session.commit()
            if ids:
                api.delete(f"/api/v1/bookings/{ids[pick % len(ids)]}")

        @rule(pick=st.integers(min_value=0, max_value=50), day=st.sampled_from(DAYS))
        def move_with_plain_sql(self, pick: int, day: str) -> None:
            """Into a week and a unit other than its own, maybe: only the triggers see it."""
            ids = db.session.scalars(sa.select(Booking.id).order_by(Booking.id)).all()
            if not ids:
                return
            try:
                db.session.execute(
                    sa.update(Booking)
                    .where(Booking.id == ids[pick % len(ids)])
                    .values(
                        starts_at=at(day, "18:00"),
                        ends_at=at(day, "19:00"),
                        blocked_until=at(day, "19:00"),
                        equipment_id=unit_ids[pick % len(unit_ids)],
                    )
                )
                db.session.commit()
            except sa.exc.IntegrityError:  # PostgreSQL's exclusion constraint: an overlap
                db.session.rollback()

        @rule(unit=st.sampled_from(unit_ids), day=st.sampled_from(DAYS), hour=hours)
        def maintenance(self, unit: int, day: str, hour: int) -> None:
            db.session.add(
                MaintenanceBlock(
                    equipment_id=unit,
                    starts_at=at(day, f"{hour:02d}:00"),
                    ends_at=at(day, f"{hour + 1:02d}:00"),
                    reason="Düse",
                )
            )
            db.session.commit()

        @rule(unit=st.sampled_from(unit_ids), day=st.sampled_from(DAYS))
        def unit_availability(self, unit: int, day: str) -> None:
            url = f"/api/v1/equipment/{unit}/availability"
            args = {"from": local(day, "00:00"), "to": local(DAYS[-1], "20:00")}
            cached, fresh = fresh_and_cached(lambda: api.get(url, query_string=args).get_json())
            assert cached == fresh

        @rule(
            category=st.sampled_from(categories),
            day=st.sampled_from(DAYS),
            hour=hours,
            n=lengths,
        )
        def category_availability(self, category: str, day: str, hour: int, n: int) -> None:
            args = {
                "category": category,
                "from": local(day, f"{hour:02d}:00"),
                "to": local(day, f"{hour + n:02d}:00"),
            }
            cached, fresh = fresh_and_cached(
                lambda: api.get("/api/v1/availability", query_string=args).get_json()
            )
            assert cached == fresh

        @rule(category=st.sampled_from(categories), week=st.sampled_from(WEEKS))
        def calendar(self, category: str, week: str) -> None:
            url = f"/calendar?category={category}&week={week}"

            def main() -> str:
                page = client.get(url).get_data(as_text=True)
                return page[page.index("<main") : page.index("</main>")]

            cached, fresh = fresh_and_cached(main)
            assert cached == fresh

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )

"""Whatever sequence of create/edit/cancel: no two active bookings of a unit overlap.

A hypothesis state machine drives the services with random times, units,
recurrences and scopes; refusals (422/409) are fine, an overlap (buffer
included) never is. On PostgreSQL the exclusion constraint would also catch
a slip, so the SQLite leg is the one that checks the service logic alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from makerlab.bookings import services
from makerlab.bookings.models import Booking, BookingSeries, booking_participants
from makerlab.enums import ACTIVE_BOOKING_STATUSES
from makerlab.equipment.models import Equipment
from makerlab.errors import Conflict, Invalid
from makerlab.extensions import db
from tests.conftest import at

DAYS = ["2027-01-05", "2027-01-06"]  # Tuesday and Wednesday, open 08:00-20:00
day_choice = st.sampled_from([0, 0, 0, 1])  # mostly the same day, so bookings meet
# Half hours from 10:00 to 13:30: a small window, so bookings keep meeting each other.
slots = st.integers(min_value=20, max_value=27)
lengths = st.integers(min_value=1, max_value=3)  # 30 to 90 minutes
scopes = st.sampled_from(["this", "following", "series"])


def instant(day: int, slot: int) -> dt.datetime:
    return at(DAYS[day], f"{slot // 2:02d}:{30 * (slot % 2):02d}")


def test_no_two_active_bookings_overlap(frozen: Any, make_unit: Any, make_user: Any) -> None:
    units = [
        make_unit(name="Laser", buffer_minutes=30).id,
        make_unit(name="Plotter", buffer_minutes=60).id,
        make_unit(name="Drucker", buffer_minutes=0).id,
    ]
    actor_id = make_user("youth_worker").id

    class Bookings(RuleBasedStateMachine):
        made = Bundle("made")

        def __init__(self) -> None:
            super().__init__()
            db.session.rollback()
            db.session.execute(sa.delete(booking_participants))
            db.session.execute(sa.delete(Booking))
            db.session.execute(sa.delete(BookingSeries))
            db.session.commit()

        def _attempt(self, action: Any) -> Any:
            try:
                result = action()
            except (Invalid, Conflict):
                db.session.rollback()
                return None
            db.session.commit()
            return result

        @property
        def actor(self) -> Any:
            from makerlab.auth.models import User

            return db.session.get(User, actor_id)

        @rule(
            target=made,
            unit=st.sampled_from(units[:2] * 2 + units[2:]),
            day=day_choice,
            slot=slots,
            length=lengths,
            repeat=st.sampled_from([None, 2, 3]),
            skip=st.booleans(),
        )
        def create(
            self, unit: int, day: int, slot: int, length: int, repeat: int | None, skip: bool
        ) -> int:
            outcome = self._attempt(
                lambda: services.create_booking(
                    self.actor,
                    equipment_id=unit,
                    starts_at=instant(day, slot),
                    ends_at=instant(day, min(slot + length, 40)),
                    recurrence={"frequency": "daily", "count": repeat} if repeat else None,
                    skip_conflicts=skip,
                )
            )
            return outcome.bookings[0].id if outcome else -1

        @rule(
            booking_id=made,
            day=day_choice,
            slot=slots,
            length=lengths,
            scope=scopes,
            other_unit=st.one_of(st.none(), st.sampled_from(units)),
        )
        def edit(
            self,
            booking_id: int,
            day: int,
            slot: int,
            length: int,
            scope: str,
            other_unit: int | None,
        ) -> None:
            booking = db.session.get(Booking, booking_id)
            if booking is None:
                return
            changes: dict[str, Any] = {
                "starts_at": instant(day, slot),
                "ends_at": instant(day, min(slot + length, 40)),
            }
            if other_unit is not None:
                changes["equipment_id"] = other_unit
            self._attempt(
                lambda: services.update_booking(self.actor, booking, scope=scope, **changes)
            )

        @rule(booking_id=made, scope=scopes)
        def cancel(self, booking_id: int, scope: str) -> None:
            booking = db.session.get(Booking, booking_id)
            if booking is None:
                return
            self._attempt(lambda: services.cancel_booking(self.actor, booking, scope=scope))

        @invariant()
        def no_overlap(self) -> None:
            active = db.session.scalars(
                sa.select(Booking)
                .where(Booking.status.in_(ACTIVE_BOOKING_STATUSES))
                .order_by(Booking.equipment_id, Booking.starts_at)
            ).all()
            buffers = dict(
                db.session.execute(sa.select(Equipment.id, Equipment.buffer_minutes)).all()
            )
            for booking in active:
                assert booking.ends_at > booking.starts_at
                assert booking.blocked_until == booking.ends_at + dt.timedelta(
                    minutes=buffers[booking.equipment_id]
                )
            for first, second in zip(active, active[1:], strict=False):
                if first.equipment_id == second.equipment_id:
                    assert second.starts_at >= first.blocked_until, (first.id, second.id)

    run_state_machine_as_test(
        Bookings,
        settings=settings(
            max_examples=20,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
            # No shrinking: a failure is reported as found, quickly.
            phases=[Phase.explicit, Phase.generate],
        ),
    )

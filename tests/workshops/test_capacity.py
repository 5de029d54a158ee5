"""Rule 9 under pressure: concurrent requests and random enrol/cancel sequences."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from makerlab.extensions import db
from makerlab.workshops import services
from makerlab.workshops.models import Enrolment


@pytest.mark.served
def test_sixty_simultaneous_enrolments_never_overbook(
    served: str, api_as: Any, make_session: Any, make_school: Any
) -> None:
    import datetime as dt

    from makerlab import clock

    # The served app runs on the real clock: plan the session a month ahead.
    start = clock.now().replace(microsecond=0) + dt.timedelta(days=30)
    session = make_session(capacity=25, starts_at=start, ends_at=start + dt.timedelta(hours=3))
    token = api_as("coordinator").token
    schools = [make_school().id for _ in range(4)]
    rng = random.Random(4)
    bodies = [
        {
            "school_id": schools[i % 4],
            "class_name": f"{5 + i % 6}{'abcdefghij'[i % 10]}",
            "headcount": rng.randint(1, 4),
            "contact_email": f"k{i}@schule.example",
        }
        for i in range(60)
    ]
    url = f"{served}/api/v1/sessions/{session.id}/enrolments"
    db.session.commit()

    def post(body: dict[str, Any]) -> requests.Response:
        return requests.post(
            url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    with ThreadPoolExecutor(max_workers=60) as pool:
        responses = list(pool.map(post, bodies))
    assert [r.status_code for r in responses] == [201] * 60, [
        r.text for r in responses if r.status_code != 201
    ][:3]
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Enrolment).where(Enrolment.session_id == session.id)).all()
    assert len(rows) == 60
    confirmed = sum(e.seats for e in rows if e.status == "confirmed")
    assert confirmed <= 25
    free = 25 - confirmed
    # First fit: nothing waits that would have fitted.
    assert all(e.seats > free for e in rows if e.status == "waitlisted")
    assert {r.json()["status"] for r in responses} == {"confirmed", "waitlisted"}


def _reference(ops: list[tuple[str, int]], capacity: int) -> list[list[str]]:
    """What first-fit waitlisting should give, step by step (statuses in creation order)."""
    seats: list[int] = []
    status: list[str] = []
    history = []
    for kind, value in ops:
        free = capacity - sum(s for s, st_ in zip(seats, status, strict=True) if st_ == "confirmed")
        if kind == "enrol":
            seats.append(value)
            status.append("confirmed" if value <= free else "waitlisted")
        else:
            active = [i for i, st_ in enumerate(status) if st_ != "cancelled"]
            if not active:
                history.append(list(status))
                continue
            status[active[value % len(active)]] = "cancelled"
            free = capacity - sum(
                s for s, st_ in zip(seats, status, strict=True) if st_ == "confirmed"
            )
            for i, st_ in enumerate(status):
                if st_ == "waitlisted" and seats[i] <= free:
                    status[i] = "confirmed"
                    free -= seats[i]
        history.append(list(status))
    return history


operations = st.lists(
    st.one_of(
        st.tuples(st.just("enrol"), st.integers(1, 6)),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations, capacity=st.integers(0, 10))
def test_random_enrol_and_cancel_never_exceed_capacity_and_promote_in_order(
    app: Any,
    make_user: Any,
    make_school: Any,
    make_session: Any,
    ops: list[tuple[str, int]],
    capacity: int,
) -> None:
    from makerlab import clock
    from tests.workshops.conftest import NOW

    clock.set_frozen(NOW)
    actor = _coordinator(make_user)
    school = _school(make_school)
    session = make_session(capacity=capacity)
    expected = _reference(ops, capacity)
    made: list[int] = []
    for step, (kind, value) in enumerate(ops):
        if kind == "enrol":
            enrolment = services.enrol(
                actor,
                session,
                school_id=school,
                class_name=f"Kurs {step}",  # one school's classes, each a different one
                headcount=value,
                contact_email="k@schule.example",
            )
            db.session.commit()
            made.append(enrolment.id)
        else:
            active = db.session.scalars(
                sa.select(Enrolment)
                .where(Enrolment.session_id == session.id, Enrolment.status != "cancelled")
                .order_by(Enrolment.id)
            ).all()
            if active:
                services.cancel_enrolment(actor, active[value % len(active)])
                db.session.commit()
        statuses = dict(
            db.session.execute(
                sa.select(Enrolment.id, Enrolment.status).where(Enrolment.session_id == session.id)
            ).all()
        )
        assert [statuses[i] for i in made] == expected[step]
        view = services.session_view(session)
        assert view.seats_taken <= capacity
        assert all(db.session.get(Enrolment, i).seats > view.seats_free for i in view.waitlist)


def _coordinator(make_user: Any) -> Any:
    """One coordinator for all examples of a test run (examples share the database)."""
    from makerlab.auth.models import User

    email = "hypothesis-coordinator@makerlab.example"
    user = db.session.scalar(sa.select(User).where(User.email == email))
    return user or make_user("coordinator", email=email)


def _school(make_school: Any) -> int:
    from makerlab.schools.models import School

    name = "Hypothesis-Gesamtschule"
    school_id = db.session.scalar(sa.select(School.id).where(School.name == name))
    return int(school_id or make_school(name=name).id)

"""An enrolment counts in the weekly report of its session's week at once, and nowhere else."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .test_api import API, _class

REPORT = f"{API}/reports/weekly?week=2027-W10"  # 8-14 March 2027, the default session's week


def test_an_enrolment_changes_the_report_of_its_sessions_week_only(
    api_as: Any, frozen: Any, make_session: Any
) -> None:
    this_week = make_session()
    later = make_session(
        starts_at=dt.datetime(2027, 4, 14, 8, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 4, 14, 11, 0, tzinfo=dt.UTC),
    )
    coordinator, teacher = api_as("coordinator"), api_as("teacher")
    before = coordinator.get(REPORT).get_json()
    assert before["workshops"]["seats_confirmed"] == 0

    made = teacher.post(
        f"{API}/sessions/{later.id}/enrolments",
        json=_class(teacher.user.school_id, "7a", 12, "7a@schule-a.example"),
    )
    assert made.status_code == 201
    assert coordinator.get(REPORT).get_json() == before

    made = teacher.post(
        f"{API}/sessions/{this_week.id}/enrolments",
        json=_class(teacher.user.school_id, "8b", 15, "8b@schule-a.example"),
    )
    assert made.status_code == 201
    assert coordinator.get(REPORT).get_json()["workshops"]["seats_confirmed"] == 15

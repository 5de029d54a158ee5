"""The period report against a hand-counted March and April 2027, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from makerlab.db import recorded_statements
from makerlab.errors import Invalid
from makerlab.extensions import db
from makerlab.reports.services import build_period_report, build_weekly_report
from tests.reports.conftest import SPRING, WEEK, _booking, local

# Hand count (see tests/reports/conftest.py): sessions s0 (21 Mar), s1, s3, s4 (29 Mar) and
# s5 (14 Apr); s2 is cancelled. Named young people: p1 (s1, s5, a booking), p3 (s3, an April
# booking), p4 (a March booking, s5), p5 (a booking), p7 (s5, the April booking); p2's and
# p6's are cancelled. Class pupils who came: 15 (D) + 20 (A) + 18 (D) + 11 (A) = 64.
WORKSHOPS = {"sessions": 5, "seats_offered": 98, "seats_confirmed": 82, "attended": 67,
             "schools_reached": 3, "participants_reached": 5 + 64}
MARCH = {"sessions": 4, "seats_offered": 82, "seats_confirmed": 67, "attended": 54,
         "schools_reached": 3, "named_participants": 4, "class_pupils": 53,
         "participants_reached": 57, "bookings": 9, "booked_minutes": 13640,
         "open_minutes": 296 * 60 * 5}
APRIL = {"sessions": 1, "seats_offered": 16, "seats_confirmed": 15, "attended": 13,
         "schools_reached": 1, "named_participants": 4, "class_pupils": 11,
         "participants_reached": 15, "bookings": 1, "booked_minutes": 120,
         "open_minutes": 296 * 60 * 5}


def test_period_figures_match_the_hand_count(spring: dict[str, Any]) -> None:
    report = build_period_report(*SPRING, 1)
    assert (report["from"], report["to"], report["ends_on"]) == (
        "2027-03-01", "2027-05-01", "2027-04-30")
    assert report["workshops"] == WORKSHOPS
    totals = report["totals"]
    assert totals["booked_minutes"] == 13640 + 120
    assert (totals["bookings"], totals["loans"], totals["overdue_returns"]) == (10, 4, 3)
    assert totals["open_minutes"] == 2 * 296 * 60 * 5
    march, april = report["per_month"]
    assert (march["month"], april["month"]) == ("2027-03", "2027-04")
    assert {k: march[k] for k in MARCH} == MARCH
    assert {k: april[k] for k in APRIL} == APRIL
    assert march["categories"]["podcast_kit"] == {"booked_hours": 138, "booked_minutes": 8280,
                                                  "bookings": 2}
    assert april["categories"]["3d_printer"]["booked_minutes"] == 120


def test_young_people_are_counted_once_over_the_whole_period(spring: dict[str, Any]) -> None:
    report = build_period_report(*SPRING, 1)
    assert report["named_participants"] == 5 and report["class_pupils"] == 64
    months = report["per_month"]
    assert sum(m["named_participants"] for m in months) == 8  # p1, p3, p4 in both months
    # The weeks of the period (1 March is a Monday): s0 (W11), the hand-counted W12, s4
    # (W13), then p1 and p4 again with p7 (W15) and p3 again (W16).
    weeks = {w: build_weekly_report(f"2027-W{w:02d}", 1)["workshops"]["participants_reached"]
             for w in range(9, 18)}
    assert weeks == {9: 0, 10: 0, 11: 15, 12: 24, 13: 18, 14: 0, 15: 3 + 11, 16: 2, 17: 0}
    assert sum(weeks.values()) == 73
    assert report["workshops"]["participants_reached"] == 69
    # Ages: the year of the middle day (31 March 2027) minus the year of birth.
    assert report["age_year"] == 2027
    assert report["age_bands"] == {"<10": 1, "10-13": 2, "14-17": 1, "18+": 1}
    assert report["age_unknown"] == 0


def test_per_school_and_per_workshop(spring: dict[str, Any]) -> None:
    report = build_period_report(*SPRING, 1)
    schools = {s["id"]: s for s in report["per_school"]}
    a, c, d = (spring["schools"][k].id for k in "ACD")
    assert set(schools) == {a, c, d}  # B only waited
    assert {k: schools[a][k] for k in ("sessions", "classes", "pupils_attended")} == {
        "sessions": 2, "classes": 2, "pupils_attended": 31}
    assert {k: schools[d][k] for k in ("sessions", "classes", "pupils_attended")} == {
        "sessions": 2, "classes": 2, "pupils_attended": 33}
    assert (schools[c]["classes"], schools[c]["pupils_attended"]) == (1, 0)
    [workshop] = report["per_workshop"]
    assert workshop["title"] == "Podcast-Werkstatt"
    assert {k: workshop[k] for k in ("sessions", "seats_offered", "seats_confirmed",
                                     "attended", "schools_reached")} == {
        "sessions": 5, "seats_offered": 98, "seats_confirmed": 82, "attended": 67,
        "schools_reached": 3}


def test_a_week_as_a_period_is_the_weekly_report(spring: dict[str, Any]) -> None:
    weekly = build_weekly_report(WEEK, 1)
    period = build_period_report("2027-03-22", "2027-03-29", 1)
    for key in ("units", "categories", "totals", "workshops", "age_bands", "heatmap",
                "named_participants", "class_pupils"):
        assert weekly[key] == period[key], key
    assert weekly["week"] == WEEK and weekly["sites"][0]["hours_in_week"] == 167


def test_statements_do_not_grow_with_the_data(spring: dict[str, Any]) -> None:
    db.session.commit()
    with recorded_statements(db.engine) as few:
        build_period_report(*SPRING)
    db.session.commit()
    unit = spring["units"]["Prusa MK4 #2"]
    for day in range(5, 10):
        for hour in range(8, 19):
            _booking(unit, local(2027, 4, day, hour), local(2027, 4, day, hour, 45))
    db.session.commit()
    with recorded_statements(db.engine) as many:
        report = build_period_report(*SPRING)
    assert report["totals"]["bookings"] == 10 + 55
    assert len(few) == len(many) <= 6


@pytest.mark.parametrize(("first", "end", "field"), [
    ("2027-05-01", "2027-03-01", "to"), ("2027-03-01", "2027-03-01", "to"),
    ("2027-02-30", "2027-03-01", "from"), ("", "2027-03-01", "from"), ("2027-03-01", "x", "to"),
    ("1999-12-01", "2000-01-01", "from"), ("2020-01-01", "2026-01-01", "to"),
])
def test_bad_periods_are_refused(app: Any, first: str, end: str, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        build_period_report(first, end)
    assert field in caught.value.errors


def test_the_period_bookings_are_found_through_their_index(spring: dict[str, Any],
                                                          backend: str) -> None:
    """The pass over bookings is bounded by the period: the database reaches a month's
    bookings through the report-span index (PostgreSQL: GiST of migration 0007; SQLite: the
    span's end of migration 0012), not by reading the table. The index expressions must
    match reports/sql.py's word for word."""
    import sqlalchemy as sa

    captured: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_a: Any) -> None:
        captured.append((statement, parameters))

    db.session.commit()
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        build_period_report("2027-04-01", "2027-05-01")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    statement, parameters = next(c for c in captured if "period_bookings" in c[0])
    with db.engine.connect() as conn:
        if backend == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement,
                                                                     parameters))
            assert "ix_bookings_report_span" in plan, plan
            return
        steps = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                         parameters)]
    # Read from the index alone: neither a scan of the table nor a lookup of its rows.
    assert "SEARCH bookings USING COVERING INDEX ix_bookings_report_span_end (<expr>>?)" \
        in steps, steps
    assert not [s for s in steps if s.startswith(("SCAN bookings", "SEARCH bookings USING "
                                                  "INDEX"))], steps


def test_postgres_plans_the_report_for_its_values_every_time(spring: dict[str, Any],
                                                            backend: str) -> None:
    """psycopg prepares a statement after five runs and PostgreSQL may then plan it for any
    parameters, which made a year's report twice as slow; the report's statements are not
    prepared (makerlab.db.planned_for_their_values)."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server-side prepared statements")
    import sqlalchemy as sa

    for _ in range(12):
        build_period_report("2027-04-01", "2027-05-01")
    prepared = db.session.scalars(sa.text("SELECT statement FROM pg_prepared_statements")).all()
    assert not [s for s in prepared if "period_bookings" in s or "period_sessions" in s], prepared
    assert build_period_report(*SPRING, 1)["workshops"] == WORKSHOPS


def test_workshop_figures_read_beside_see_the_same_data(spring: dict[str, Any],
                                                         backend: str) -> None:
    """On PostgreSQL the workshop statement runs on a connection of its own beside the bookings
    statement (db.read_beside); after a write in the same transaction it runs in the session,
    so what was just written but not committed is counted too."""
    import sqlalchemy as sa

    from makerlab.db import read_beside
    from makerlab.schools.models import School

    db.session.commit()
    if backend == "postgresql":
        own = db.session.scalar(sa.select(sa.func.pg_backend_pid()))
        [(beside,)] = read_beside(db.session, sa.select(sa.func.pg_backend_pid()))()
        assert beside != own
    assert build_period_report(*SPRING)["workshops"] == WORKSHOPS

    db.session.add(School(name="Gymnasium Am Neuen Tor"))
    db.session.flush()
    names = [row.name for row in read_beside(db.session, sa.select(School.name))()]
    assert "Gymnasium Am Neuen Tor" in names
    assert build_period_report(*SPRING)["workshops"] == WORKSHOPS
    db.session.rollback()

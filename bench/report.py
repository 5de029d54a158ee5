"""Benchmark of the usage reports (a week and a whole year) on a busy year.

    .venv/bin/python bench/report.py                      # SQLite in a temporary folder
    .venv/bin/python bench/report.py --postgres           # a throwaway PostgreSQL cluster
    .venv/bin/python bench/report.py --database-url URL   # an existing, empty database

Seeds one year (2026-W01 .. 2026-W52) of a busy centre with bulk inserts:
50 units, 200,000 bookings, 2,000 workshop sessions, 20,000 enrolments, 3,000
participants. Then prints the median time of the JSON report of one week (the
builder alone and the API route), the HTML page (three reports: the week, the
week before, the same week a year earlier), the PDF, and the number of SQL
statements for a busy week, an empty week and a week in a bigger database.
Targets on a 2-core machine: JSON < 150 ms, PDF < 3 s, statements constant.

Then the period report of the whole year (2026-01-01 to 2027-01-01): median
and p95 of the builder and of ``GET /api/v1/reports``, the PDF, the statement
count for the year, a month and an empty period, and on PostgreSQL whether the
pass over the bookings uses the report-span index for a month (it must not
read the whole table). Targets: JSON p95 < 300 ms, PDF < 5 s (PostgreSQL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from makerlab.db import recorded_statements

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from makerlab import clock, create_app  # noqa: E402
from makerlab.extensions import db  # noqa: E402

BERLIN = ZoneInfo("Europe/Berlin")
YEAR_START = dt.date(2025, 12, 29)  # Monday of 2026-W01
WEEKS = 52
BUSY_WEEK = "2026-W52"  # "last week" when the report is printed on 2026-12-28
MID_WEEK = "2026-W26"
EMPTY_WEEK = "2027-W10"
YEAR = ("2026-01-01", "2027-01-01")
MONTH = ("2026-06-01", "2026-07-01")
EMPTY_PERIOD = ("2027-03-01", "2027-04-01")
PASSWORD = "Bench-Passwort-2026"
# Indexes proposed for the report (not in the migrations): with --with-indexes
# they are created in the benchmark database before measuring.
PROPOSED_INDEXES = (
    "CREATE INDEX ix_bookings_ends_at ON bookings (ends_at)",
    "CREATE INDEX ix_bookings_checked_out_at ON bookings (checked_out_at)",
    "CREATE INDEX ix_bookings_returned_at ON bookings (returned_at)",
    "CREATE INDEX ix_bookings_status_ends ON bookings (status, ends_at)",
)

UNITS: list[tuple[str, str, bool]] = (
    [(f"Prusa MK4 Nr. {i}", "3d_printer", False) for i in range(1, 13)]
    + [(f"Lasercutter {i}", "laser_cutter", False) for i in range(1, 7)]
    + [(f"Podcast-Koffer {i}", "podcast_kit", True) for i in range(1, 11)]
    + [(f"Synth-Kit {i}", "synth_kit", True) for i in range(1, 11)]
    + [(f"Schneideplotter {i}", "vinyl_cutter", False) for i in range(1, 5)]
    + [(f"Raum {name}", "room", False) for name in
       ("Werkstatt", "Studio", "Seminar 1", "Seminar 2", "Foyer", "Medienlabor", "Lounge",
        "Garten")]
)
OPENING = {0: (8, 20), 1: (8, 20), 2: (8, 20), 3: (8, 20), 4: (8, 20), 5: (10, 18)}


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(dt.UTC)


def seed(n_bookings: int = 200_000, n_sessions: int = 2_000, n_enrolments: int = 20_000,
         seed_value: int = 13) -> dict[str, int]:
    """Fill the database with a year of a busy centre (Core bulk inserts, no ORM events)."""
    from makerlab.auth.passwords import hash_password
    from makerlab.bookings.models import Booking, booking_participants
    from makerlab.equipment.models import Equipment
    from makerlab.participants.models import Participant
    from makerlab.schools.models import School
    from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession

    rng = random.Random(seed_value)
    conn = db.session.connection()
    created = clock.now()
    conn.execute(sa.insert(Equipment.__table__), [
        {"site_id": 1, "name": name, "category": category, "loanable": loanable,
         "location": "", "status": "available", "requires_induction": False,
         "buffer_minutes": 0, "notes": "", "created_at": created, "code": f"B-{n}"}
        for n, (name, category, loanable) in enumerate(UNITS, 1)
    ])
    units = conn.execute(sa.select(Equipment.id, Equipment.loanable).order_by(Equipment.id)).all()
    conn.execute(sa.insert(School.__table__), [
        {"name": f"Schule {i}", "address": "", "created_at": created} for i in range(1, 41)
    ])
    school_ids = list(conn.scalars(sa.select(School.id).order_by(School.id)))
    conn.execute(sa.insert(Participant.__table__), [
        {"first_name": f"Vorname{i}", "last_name": f"Nachname{i}",
         "birth_year": rng.randint(2007, 2019), "school_id": rng.choice(school_ids),
         "guardian_consent": True, "photo_consent": False, "may_go_home_alone": False,
         "last_activity_at": created, "created_at": created}
        for i in range(3_000)
    ])
    participant_ids = list(conn.scalars(sa.select(Participant.id).order_by(Participant.id)))

    # Bookings: every unit's opening hours filled with back-to-back slots (no
    # overlaps; kits sometimes go home overnight), then an even random sample
    # of them kept, so every week is about equally busy.
    days = [YEAR_START + dt.timedelta(days=i) for i in range(WEEKS * 7)]
    rows: list[dict[str, Any]] = []
    for unit_id, loanable in units:
        skip_until: dt.datetime | None = None
        for day in days:
            hours = OPENING.get(day.weekday())
            if hours is None:
                continue
            cursor, close = at(day, hours[0]), at(day, hours[1])
            if skip_until and skip_until > cursor:
                cursor = skip_until
            while cursor < close:
                ends = cursor + dt.timedelta(minutes=rng.choice((15, 30, 30, 45, 45, 60)))
                if ends > close:
                    break
                if loanable and rng.random() < 0.005:
                    nxt = day + dt.timedelta(days=rng.choice((1, 2, 3)))
                    while nxt.weekday() not in OPENING:
                        nxt += dt.timedelta(days=1)
                    ends = at(nxt, OPENING[nxt.weekday()][0] + 1)
                rows.append({"equipment_id": unit_id, "starts_at": cursor, "ends_at": ends,
                             "loanable": loanable})
                if ends > close:
                    skip_until = ends
                    break
                cursor = ends + dt.timedelta(minutes=rng.choice((0, 0, 0, 15)))
    if len(rows) < n_bookings:
        raise SystemExit(f"only {len(rows)} slots for {n_bookings} bookings")
    rows = rng.sample(rows, n_bookings)
    now = clock.now()
    for row in rows:
        loanable = row.pop("loanable")
        ends = row["ends_at"]
        status = "cancelled" if rng.random() < 0.05 else (
            ("returned" if ends < now else "reserved") if loanable else "reserved")
        late = status == "returned" and rng.random() < 0.1
        row.update({
            "blocked_until": ends, "purpose": "", "status": status,
            "checked_out_at": row["starts_at"] if loanable and status == "returned" else None,
            "returned_at": (ends + dt.timedelta(hours=rng.choice((2, 20, 30))) if late else ends)
            if status == "returned" else None,
            "cancelled_at": created if status == "cancelled" else None,
            "return_note": "", "created_at": created, "updated_at": created,
        })
    for start in range(0, len(rows), 10_000):
        conn.execute(sa.insert(Booking.__table__), rows[start:start + 10_000])
    booking_ids = list(conn.scalars(sa.select(Booking.id).order_by(Booking.id)))
    links = sorted({(bid, rng.choice(participant_ids)) for bid in rng.sample(booking_ids, 20_000)})
    conn.execute(sa.insert(booking_participants), [
        {"booking_id": b, "participant_id": p} for b, p in links
    ])

    conn.execute(sa.insert(Workshop.__table__), [
        {"title": f"Workshop {i}", "description": "", "equipment_needs": {},
         "created_at": created} for i in range(20)
    ])
    workshop_ids = list(conn.scalars(sa.select(Workshop.id).order_by(Workshop.id)))
    sessions = []
    for i in range(n_sessions):
        day = days[(i * len(days)) // n_sessions]
        hour = rng.choice((9, 10, 13, 14, 15))
        sessions.append({
            "workshop_id": rng.choice(workshop_ids), "site_id": 1,
            "starts_at": at(day, hour), "ends_at": at(day, hour + 2),
            "capacity": rng.choice((12, 16, 20, 24, 30)), "location": "",
            "status": "cancelled" if rng.random() < 0.03 else "scheduled",
            "created_at": created,
        })
    conn.execute(sa.insert(WorkshopSession.__table__), sessions)
    session_ids = list(conn.scalars(sa.select(WorkshopSession.id).order_by(WorkshopSession.id)))
    # Enrolments: classes and single participants, confirmed while seats are
    # free, then waitlisted; some cancelled. Attendance recorded for the past.
    enrolments: list[dict[str, Any]] = []
    used: set[tuple[int, int]] = set()
    free = {sid: row["capacity"] for sid, row in zip(session_ids, sessions, strict=True)}
    while len(enrolments) < n_enrolments:
        session_id = rng.choice(session_ids)
        is_class = rng.random() < 0.35
        seats = rng.randint(8, 20) if is_class else 1
        if rng.random() < 0.06:
            status = "cancelled"
        elif free[session_id] >= seats:
            status = "confirmed"
            free[session_id] -= seats
        else:
            status = "waitlisted"
        attended = rng.randint(seats * 3 // 4, seats) if status == "confirmed" else None
        if is_class:
            enrolments.append({
                "session_id": session_id, "school_id": rng.choice(school_ids),
                "participant_id": None, "class_name": "7b", "headcount": seats, "seats": seats,
                "contact_email": "kontakt@schule.example", "status": status,
                "attended_count": attended, "created_at": created,
            })
        else:
            pid = rng.choice(participant_ids)
            if (session_id, pid) in used:
                continue
            used.add((session_id, pid))
            enrolments.append({
                "session_id": session_id, "participant_id": pid, "seats": 1,
                "school_id": None, "class_name": None, "headcount": None, "contact_email": None,
                "status": status, "attended_count": attended, "created_at": created,
            })
    conn.execute(sa.insert(Enrolment.__table__), enrolments)

    from makerlab.auth.models import User

    conn.execute(sa.insert(User.__table__), [{
        "email": "koordination@bench.example", "name": "Koordination", "role": "coordinator",
        "password_hash": hash_password(PASSWORD), "active": True, "locale": "de",
        "created_at": created,
    }])
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE")
    else:
        conn.exec_driver_sql("ANALYZE")
    db.session.commit()
    return {"bookings": len(rows), "sessions": len(sessions), "enrolments": len(enrolments),
            "units": len(units)}


def statements() -> Any:
    return recorded_statements(db.engine)


class Timing:
    """Median (and p95) wall-clock and CPU time of this process (the machine is shared)."""

    def __init__(self, wall: list[float], cpu: list[float]) -> None:
        self.wall, self.cpu = statistics.median(wall), statistics.median(cpu)
        ordered = sorted(wall)
        self.p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]

    def __str__(self) -> str:
        return (f"median {self.wall:7.1f} ms, p95 {self.p95:7.1f} ms "
                f"(CPU of this process {self.cpu:7.1f} ms)")


def median_ms(action: Callable[[], Any], runs: int) -> Timing:
    action()  # warm up caches and compiled statements
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return Timing(wall, cpu)


def server_time_ms(week: str, runs: int = 5) -> float:
    """PostgreSQL's own execution time for the report's statements (EXPLAIN ANALYZE)."""
    from makerlab.reports.services import build_weekly_report

    captured: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        captured.append((statement, parameters))

    db.session.rollback()
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        build_weekly_report(week)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    totals = []
    conn = db.session.connection()
    for _ in range(runs):
        total = 0.0
        for statement, parameters in captured:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement,
                                        parameters).scalar()
            total += float(plan[0]["Execution Time"]) + float(plan[0]["Planning Time"])
        totals.append(total)
    db.session.rollback()
    return statistics.median(totals)


def _bookings_statement(first: str, end: str) -> tuple[str, Any]:
    """The period report's statement over the bookings, as sent to the database."""
    from makerlab.reports.services import build_period_report

    captured: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        captured.append((statement, parameters))

    db.session.rollback()
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        build_period_report(first, end)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return next((st, params) for st, params in captured if "period_bookings" in st)


def bookings_scan(first: str, end: str) -> str:
    """How the database reaches the bookings for a period (index or whole table)."""
    statement, parameters = _bookings_statement(first, end)
    conn = db.session.connection()
    if db.engine.dialect.name != "postgresql":
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        found = [row[-1] for row in plan if "bookings" in row[-1] and "booking_participants"
                 not in row[-1]]
        db.session.rollback()
        return "; ".join(found[:2])
    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement,
                                parameters).scalar()
    db.session.rollback()
    found = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("Relation Name") == "bookings":
            # A bitmap heap scan names its index in the bitmap index scan below it.
            indexes = [node.get("Index Name")] + [c.get("Index Name")
                                                  for c in node.get("Plans", [])]
            where = next((i for i in indexes if i), "whole table")
            found.append(f"{node['Node Type']} ({where}), {node.get('Actual Rows')} rows")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return "; ".join(dict.fromkeys(found))


def database_cpu_ms(app: Any, action: Callable[[], Any], runs: int) -> float | None:
    """CPU time all PostgreSQL backends of this database spend per call of ``action``.

    Unlike wall-clock time this does not grow while the machine's other cores
    are busy. Read from /proc (a backend started meanwhile counts whole).
    """
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return None
        # An engine of its own: a connection taken from the app's pool would change
        # which pooled connection the next request gets (and its prepared statements).
        watcher = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)

    def ticks() -> dict[int, int]:
        with watcher.connect() as conn:
            pids = conn.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalars().all()
        found = {}
        for pid in pids:
            stat = Path(f"/proc/{pid}/stat")
            if stat.exists():
                fields = stat.read_text().rsplit(")", 1)[1].split()
                found[pid] = int(fields[11]) + int(fields[12])
        return found

    before = ticks()
    for _ in range(runs):
        action()
    after = ticks()
    used = sum(t - before.get(pid, 0) for pid, t in after.items())
    return used * 1000 / os.sysconf("SC_CLK_TCK") / runs


def period_figures(app: Any, client: Any, headers: dict[str, str], runs: int) -> list[str]:
    """The whole year as a period report: builder, API (p95), PDF, statements, index use."""
    from makerlab.reports.services import build_period_report

    lines = []
    with app.app_context():
        clock.set_frozen(at(dt.date(2026, 12, 28), 7))
        report = build_period_report(*YEAR)
        lines.append(f"{YEAR[0]}..{YEAR[1]}: {report['totals']['bookings']} bookings, "
                     f"{report['workshops']['sessions']} sessions, "
                     f"{report['workshops']['participants_reached']} young people reached "
                     f"({report['named_participants']} named)")
        counted = []
        for period in (YEAR, MONTH, EMPTY_PERIOD):
            db.session.rollback()
            with statements() as seen:
                build_period_report(*period)
            counted.append(f"{period[0]}..{period[1]} {len(seen)}")
        builder = median_ms(lambda: (db.session.rollback(), build_period_report(*YEAR)), runs)
        # Every backend of the database: the workshop statement runs beside the
        # session's (makerlab.db.read_beside).
        server_cpu = database_cpu_ms(app, lambda: build_period_report(*YEAR), runs)
        month_builder = median_ms(lambda: (db.session.rollback(), build_period_report(*MONTH)),
                                  runs)
        scans = {period: bookings_scan(*period) for period in (MONTH, YEAR)}
        db.session.remove()
    query = f"from={YEAR[0]}&to={YEAR[1]}"
    api = median_ms(lambda: check(client.get(f"/api/v1/reports?{query}", headers=headers)),
                    max(runs, 20))
    # After those 20 calls on the same pooled connection(s): a prepared statement would
    # have been planned generically by now (see makerlab.db.planned_for_their_values).
    api_server_cpu = database_cpu_ms(
        app, lambda: check(client.get(f"/api/v1/reports?{query}", headers=headers)), runs)
    slug = "_".join(YEAR)
    pdf = median_ms(lambda: check(client.get(f"/reports/{slug}.pdf")), max(3, runs // 3))
    size = len(check(client.get(f"/reports/{slug}.pdf")).get_data())
    html = median_ms(lambda: check(client.get(f"/reports?{query}")), max(3, runs // 3))
    lines += [
        f"period builder, the year:            {builder}",
        f"  PostgreSQL CPU per year report (all backends): {server_cpu:.0f} ms"
        if server_cpu is not None else "  (no PostgreSQL backend CPU on SQLite)",
        f"period builder, a month:             {month_builder}",
        f"GET /api/v1/reports (the year):      {api}",
        f"  PostgreSQL backend CPU per year report through the API, calls 22 on: "
        f"{api_server_cpu:.0f} ms" if api_server_cpu is not None else "  (SQLite)",
        f"GET /reports?from=&to= (HTML, year): {html}",
        f"GET /reports/{slug}.pdf: {pdf}, {size // 1024} KiB",
        "SQL statements per period report: " + ", ".join(counted),
        f"bookings for {MONTH[0]}..{MONTH[1]}: {scans[MONTH]}",
        f"bookings for the year: {scans[YEAR]}",
    ]
    return lines


def check(response: Any) -> Any:
    if response.status_code != 200:
        raise SystemExit(f"{response.status_code}: {response.get_data(as_text=True)[:500]}")
    return response


def run(url: str, runs: int, with_indexes: bool = False) -> None:
    from flask_migrate import upgrade

    from makerlab.reports.services import build_weekly_report

    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
              "RATELIMIT_ENABLED": False, "TESTING": False}
    app = create_app(config)
    gc.freeze()  # as wsgi.py does after starting the app
    with app.app_context():
        upgrade()
        clock.set_frozen(at(dt.date(2026, 12, 28), 7))
        started = time.perf_counter()
        from makerlab.bookings.models import Booking

        seeded = False
        if db.session.scalar(sa.select(sa.func.count()).select_from(Booking)):
            print(f"database: {db.engine.dialect.name}; using the data already there")
        else:
            seeded = True
            counts = seed()
            print(f"database: {db.engine.dialect.name}; seeded {counts} in "
                  f"{time.perf_counter() - started:.1f} s")
        from makerlab.auth.models import User
        from makerlab.auth.services import issue_token

        if with_indexes:
            conn = db.session.connection()
            for ddl in PROPOSED_INDEXES:
                conn.exec_driver_sql(ddl.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
            conn.exec_driver_sql("ANALYZE")
            db.session.commit()
            print("with the proposed indexes: " + "; ".join(PROPOSED_INDEXES))
        user = db.session.scalar(sa.select(User).where(User.role == "coordinator"))
        token = issue_token(user, "bench")
        db.session.commit()

        report = build_weekly_report(BUSY_WEEK)
        print(f"{BUSY_WEEK}: {report['totals']['bookings']} bookings, "
              f"{report['totals']['utilization']:.0%} utilization, "
              f"{report['workshops']['sessions']} sessions, "
              f"{report['workshops']['participants_reached']} young people reached")
        counted = {}
        for week in (BUSY_WEEK, MID_WEEK, EMPTY_WEEK):
            db.session.rollback()
            with statements() as seen:
                build_weekly_report(week)
            counted[week] = len(seen)
        server_ms = server_time_ms(BUSY_WEEK) if db.engine.dialect.name == "postgresql" else None
        builder = {
            week: median_ms(lambda w=week: (db.session.rollback(), build_weekly_report(w)), runs)
            for week in (BUSY_WEEK, MID_WEEK)
        }
        db.session.remove()

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    api = median_ms(lambda: check(client.get(f"/api/v1/reports/weekly?week={BUSY_WEEK}",
                                             headers=headers)), runs)
    check_login = client.post("/login", data={"email": "koordination@bench.example",
                                              "password": PASSWORD})
    assert check_login.status_code == 302, check_login.get_data(as_text=True)[:300]
    html = median_ms(lambda: check(client.get(f"/reports/weekly?week={BUSY_WEEK}")), runs)
    pdf = median_ms(lambda: check(client.get(f"/reports/weekly/{BUSY_WEEK}.pdf")),
                    max(3, runs // 3))
    size = len(check(client.get(f"/reports/weekly/{BUSY_WEEK}.pdf")).get_data())
    period_lines = period_figures(app, client, headers, runs)

    doubled, total = None, None
    with app.app_context():
        if not seeded:
            _print(builder, api, html, pdf, size, counted, total, doubled, server_ms)
            print("\n".join(period_lines))
            return
        # Twice the data: the statement count must not change.
        clock.set_frozen(at(dt.date(2026, 12, 28), 7))
        from makerlab.bookings.models import Booking

        conn = db.session.connection()
        conn.execute(sa.text(
            "INSERT INTO bookings (equipment_id, starts_at, ends_at, blocked_until, purpose, "
            "status, return_note, created_at, updated_at) SELECT equipment_id, starts_at, "
            "ends_at, blocked_until, purpose, 'cancelled', return_note, created_at, updated_at "
            "FROM bookings"))
        db.session.commit()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Booking))
        db.session.rollback()
        with statements() as seen:
            build_weekly_report(BUSY_WEEK)
        doubled = len(seen)
        from makerlab.reports.services import build_period_report

        db.session.rollback()
        with statements() as seen:
            build_period_report(*YEAR)
        period_lines.append(f"SQL statements for the year with {total} bookings: {len(seen)}")
        db.session.remove()
        db.engine.dispose()
    clock.set_frozen(None)
    _print(builder, api, html, pdf, size, counted, total, doubled, server_ms)
    print("\n".join(period_lines))


def _print(builder: dict[str, Timing], api: Timing, html: Timing, pdf: Timing, size: int,
           counted: dict[str, int], total: int | None, doubled: int | None,
           server_ms: float | None = None) -> None:
    clock.set_frozen(None)
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} (2 cores)")
    print(f"JSON builder, {BUSY_WEEK} (last week):   {builder[BUSY_WEEK]}")
    print(f"JSON builder, {MID_WEEK} (mid-year):     {builder[MID_WEEK]}")
    if server_ms is not None:
        print(f"  of which PostgreSQL planning + execution (EXPLAIN ANALYZE): {server_ms:.1f} ms")
    print(f"GET /api/v1/reports/weekly:          {api}")
    print(f"GET /reports/weekly (HTML, 3 weeks): {html}")
    print(f"GET /reports/weekly/….pdf:           {pdf}, {size // 1024} KiB")
    print("SQL statements per report: "
          + ", ".join(f"{week} {n}" for week, n in counted.items())
          + (f"; with {total} bookings {doubled}" if total else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    parser.add_argument("--postgres", action="store_true",
                        help="start a throwaway PostgreSQL cluster (as the tests do)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--with-indexes", action="store_true",
                        help="create the proposed indexes first (see bench/README.md)")
    args = parser.parse_args()
    if args.postgres:
        from tests.postgres import ThrowawayCluster, find_bin

        bindir = find_bin()
        if bindir is None:
            raise SystemExit("PostgreSQL is not installed")
        cluster = ThrowawayCluster(bindir)
        try:
            server = cluster.start()
            engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text('CREATE DATABASE "bench"'))
            engine.dispose()
            run(server.rsplit("/", 1)[0] + "/bench", args.runs, args.with_indexes)
        finally:
            cluster.stop()
    elif args.database_url:
        run(args.database_url, args.runs, args.with_indexes)
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/bench.sqlite3", args.runs, args.with_indexes)


if __name__ == "__main__":
    main()

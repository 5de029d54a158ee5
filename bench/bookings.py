"""Booking benchmark: 50 units, 100,000 bookings over two years.

    .venv/bin/python bench/bookings.py [--database-url URL | --postgres] [--bookings N]

Without a URL a fresh SQLite file in a temporary folder is used; ``--postgres``
starts a throwaway PostgreSQL cluster (as the tests do). The database is
migrated, seeded with a small data set, measured for SQL statement counts,
then filled up to the full data set with bulk inserts and measured again:
timings (median, p95) and statement counts of

- creating a booking through the API (``POST /api/v1/bookings``, bearer token),
- the availability of one unit for one week
  (``GET /api/v1/equipment/{id}/availability``),
- the week-calendar page of one category (``GET /calendar?category=...``),
- the bookings of one week, all 50 units (``GET /api/v1/bookings?from=&to=&limit=500``:
  about 960 match, the first 500 are answered),
- the bookings of one unit for one week (``GET /api/v1/bookings?equipment_id=&from=&to=``).

Requests go through the Flask test client: the app's full request path
(auth, rules, templates), without a network in between. Besides wall-clock
time, the CPU time of this process is printed: on a shared, loaded machine it
shows what a request costs without waiting for a core (on SQLite that is the
whole request; on PostgreSQL the server's share is not included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from makerlab.db import recorded_statements

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from makerlab import clock, create_app  # noqa: E402
from makerlab.extensions import db  # noqa: E402

PASSWORD = "Bench-Werkbank-2026"
UNITS = [  # category, how many, loanable, buffer minutes, longest booking (as in the demo)
    ("3d_printer", 15, False, 0, 480),
    ("laser_cutter", 5, False, 15, 240),
    ("podcast_kit", 10, True, 0, None),
    ("synth_kit", 10, True, 0, None),
    ("vinyl_cutter", 5, False, 0, 240),
    ("room", 5, False, 0, 300),
]
# Seeded bookings use these local start hours (90 minutes each); 18:30-20:00
# stays free for the bookings the benchmark creates.
SLOTS = (8, 10, 12, 14, 16)
SMALL = 200
CATEGORY = "3d_printer"


def percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


class Bench:
    def __init__(self, app: Flask, total: int) -> None:
        self.app = app
        self.total = total
        self.rng = random.Random(13)
        self.created_slots = 0

    # --- seeding -------------------------------------------------------------------

    def seed_base(self) -> None:
        """Users, a token and 50 units (through the services, like the app does)."""
        from makerlab.auth.services import create_user, issue_token
        from makerlab.equipment.services import create_equipment

        with self.app.app_context():
            staff = create_user("bench@makerlab.example", "youth_worker", PASSWORD, name="Bench")
            self.token = issue_token(staff, "bench")
            self.user_id = staff.id
            self.units: list[tuple[int, str, int]] = []
            for category, count, loanable, buffer, longest in UNITS:
                for n in range(1, count + 1):
                    unit = create_equipment(
                        staff,
                        name=f"{category} {n:02d}",
                        category=category,
                        loanable=loanable,
                        buffer_minutes=buffer,
                        max_booking_minutes=longest,
                        location="Bench",
                    )
                    self.units.append((unit.id, category, buffer))
            self.tz = unit.site.timezone
            db.session.commit()
        self.today = clock.today(self.tz)

    def _rows(self, count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
        """``count`` non-overlapping bookings, one year back to one year ahead."""
        first = self.today - dt.timedelta(days=365)
        days = [first + dt.timedelta(days=i) for i in range(731)]
        days = [d for d in days if d.weekday() < 5]
        cells = [(u, d, s) for u in self.units for d in days for s in SLOTS]
        now = clock.now()
        for (unit_id, _category, buffer), day, hour in rng.sample(cells, count):
            start = clock.combine(day, dt.time(hour, 0), self.tz)
            end = start + dt.timedelta(minutes=90)
            past = end < now
            cancelled = rng.random() < 0.05
            status = "cancelled" if cancelled else ("returned" if past else "reserved")
            yield {
                "equipment_id": unit_id,
                "booked_by_id": self.user_id,
                "starts_at": start,
                "ends_at": end,
                "blocked_until": end + dt.timedelta(minutes=buffer),
                "purpose": "Offene Werkstatt",
                "status": status,
                "checked_out_at": start if status == "returned" else None,
                "returned_at": end if status == "returned" else None,
                "cancelled_at": start - dt.timedelta(days=1) if cancelled else None,
                "created_at": start - dt.timedelta(days=7),
                "updated_at": start - dt.timedelta(days=7),
            }

    def bulk_insert(self, count: int) -> float:
        """Insert ``count`` bookings in batches (Core insert, no ORM objects)."""
        from makerlab.bookings.models import Booking

        began = time.perf_counter()
        with self.app.app_context():
            existing = db.session.execute(sa.select(Booking.equipment_id, Booking.starts_at)).all()
            taken = {(e, s) for e, s in existing}
            batch: list[dict[str, Any]] = []
            rows = (
                r
                for r in self._rows(count + len(taken), self.rng)
                if (r["equipment_id"], r["starts_at"]) not in taken
            )
            for inserted, row in enumerate(rows):
                if inserted >= count:
                    break
                batch.append(row)
                if len(batch) == 5000:
                    db.session.execute(sa.insert(Booking), batch)
                    batch = []
            if batch:
                db.session.execute(sa.insert(Booking), batch)
            db.session.commit()
            # What autovacuum gives a table after many inserts: planner statistics
            # and, on PostgreSQL, a visibility map and hint bits, without which the
            # first reads of each page write to it (measured: 8 ms instead of 1 ms
            # for a week of bookings).
            vacuum = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text(vacuum))
        return time.perf_counter() - began

    def booking_count(self) -> int:
        from makerlab.bookings.models import Booking

        with self.app.app_context():
            return int(db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) or 0)

    # --- requests ------------------------------------------------------------------

    def clients(self) -> tuple[FlaskClient, FlaskClient]:
        api = self.app.test_client()
        browser = self.app.test_client()
        response = browser.post(
            "/login", data={"email": "bench@makerlab.example", "password": PASSWORD}
        )
        assert response.status_code == 302, response.status_code
        return api, browser

    def _free_create_payload(self) -> dict[str, Any]:
        """A slot nobody has: 18:30-19:30 on successive future weekdays and units."""
        n = self.created_slots
        self.created_slots += 1
        unit_id = self.units[n % len(self.units)][0]
        upcoming = (self.today + dt.timedelta(days=i) for i in range(1, 1000))
        weekdays = [d for d in upcoming if d.weekday() < 5]
        day = weekdays[n // len(self.units)]
        start = clock.to_local(clock.combine(day, dt.time(18, 30), self.tz), self.tz)
        return {
            "equipment_id": unit_id,
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
            "purpose": "Bench",
        }

    def requests(self, api: FlaskClient, browser: FlaskClient) -> dict[str, Callable[[], Any]]:
        headers = {"Authorization": f"Bearer {self.token}"}
        rng = random.Random(7)
        category_units = [u for u, c, _b in self.units if c == CATEGORY]

        def create() -> Any:
            response = api.post(
                "/api/v1/bookings", json=self._free_create_payload(), headers=headers
            )
            assert response.status_code == 201, response.get_data(as_text=True)
            return response

        def availability() -> Any:
            unit_id = rng.choice(self.units)[0]
            monday = self.today - dt.timedelta(days=self.today.weekday())
            monday += dt.timedelta(days=7 * rng.randint(-50, 50))
            url = (
                f"/api/v1/equipment/{unit_id}/availability?from={monday.isoformat()}"
                f"&to={(monday + dt.timedelta(days=7)).isoformat()}"
            )
            response = api.get(url, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            return response

        def calendar() -> Any:
            monday = self.today + dt.timedelta(days=7 * rng.randint(-50, 50))
            year, week, _ = monday.isocalendar()
            response = browser.get(f"/calendar?category={CATEGORY}&week={year}-W{week:02d}")
            assert response.status_code == 200, response.status_code
            assert len(category_units) == 0 or b"ml-week" in response.data
            return response

        def week_list() -> Any:
            monday = self.today - dt.timedelta(days=self.today.weekday())
            monday += dt.timedelta(days=7 * rng.randint(-50, 50))
            url = (
                f"/api/v1/bookings?from={monday.isoformat()}"
                f"&to={(monday + dt.timedelta(days=7)).isoformat()}&limit=500"
            )
            response = api.get(url, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            return response

        def unit_week_list() -> Any:
            unit_id = rng.choice(self.units)[0]
            monday = self.today - dt.timedelta(days=self.today.weekday())
            monday += dt.timedelta(days=7 * rng.randint(-50, 50))
            url = (
                f"/api/v1/bookings?equipment_id={unit_id}&from={monday.isoformat()}"
                f"&to={(monday + dt.timedelta(days=7)).isoformat()}"
            )
            response = api.get(url, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            return response

        return {
            "create booking (POST /api/v1/bookings)": create,
            "availability, 1 unit x 1 week": availability,
            f"week calendar page, {CATEGORY}": calendar,
            "bookings list, 1 week x 50 units, limit 500": week_list,
            "bookings list, 1 unit x 1 week": unit_week_list,
        }

    def statements(self, calls: dict[str, Callable[[], Any]]) -> dict[str, int]:
        counts = {}
        for name, call in calls.items():
            call()  # warm caches (templates, compiled statements)
            with statement_counter_outside(self.app) as seen:
                call()
            counts[name] = len(seen)
        return counts

    def timings(
        self, calls: dict[str, Callable[[], Any]], rounds: int
    ) -> dict[str, tuple[list[float], list[float]]]:
        """Wall-clock and CPU milliseconds per request (CPU: this process only)."""
        results: dict[str, tuple[list[float], list[float]]] = {}
        for name, call in calls.items():
            for _ in range(5):
                call()
            wall, cpu = [], []
            for _ in range(rounds):
                began, began_cpu = time.perf_counter(), time.process_time()
                call()
                cpu.append((time.process_time() - began_cpu) * 1000)
                wall.append((time.perf_counter() - began) * 1000)
            results[name] = (wall, cpu)
        return results


@contextmanager
def statement_counter_outside(app: Flask) -> Iterator[list[str]]:
    """Count statements of requests made while no app context is pushed."""
    with app.app_context():
        engine = db.engine
    with recorded_statements(engine) as seen:
        yield seen


def make_app(url: str) -> Flask:
    from flask_migrate import upgrade

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": 1,
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app


def run(url: str, total: int, rounds: int) -> str:
    app = make_app(url)
    dialect = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    bench = Bench(app, total)
    bench.seed_base()
    bench.bulk_insert(SMALL)
    api, browser = bench.clients()
    calls = bench.requests(api, browser)
    small_counts = bench.statements(calls)
    small_n = bench.booking_count()
    seconds = bench.bulk_insert(total - small_n)
    full_n = bench.booking_count()
    print(
        f"{dialect}: seeded {full_n:,} bookings on {len(bench.units)} units in {seconds:.1f} s",
        flush=True,
    )
    full_counts = bench.statements(calls)
    timings = bench.timings(calls, rounds)
    load = os.getloadavg()[0]
    lines = [
        f"{dialect}, load average {load:.1f} on {os.cpu_count()} cores while measuring:",
        "",
        f"| {dialect}: request | median ms | p95 ms | CPU median ms | CPU p95 ms "
        f"| SQL statements ({small_n:,} bookings) | SQL statements ({full_n:,} bookings) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, (wall, cpu) in timings.items():
        lines.append(
            f"| {name} | {statistics.median(wall):.1f} | {percentile(wall, 95):.1f} "
            f"| {statistics.median(cpu):.1f} | {percentile(cpu, 95):.1f} "
            f"| {small_counts[name]} | {full_counts[name]} |"
        )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument(
        "--postgres", action="store_true", help="start a throwaway PostgreSQL cluster and use it"
    )
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200, help="timed requests per route")
    args = parser.parse_args(argv)
    cluster = None
    with tempfile.TemporaryDirectory(prefix="makerlab-bench-") as folder:
        url = args.database_url
        if url is None and args.postgres:
            from tests.postgres import ThrowawayCluster, find_bin

            bindir = find_bin()
            if bindir is None:
                parser.error("PostgreSQL is not installed")
            cluster = ThrowawayCluster(bindir)
            server = cluster.start()
            engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text('CREATE DATABASE "makerlab_bench"'))
            engine.dispose()
            url = server.rsplit("/", 1)[0] + "/makerlab_bench"
        if url is None:
            url = f"sqlite:///{folder}/bench.sqlite3"
        try:
            print(run(url, args.bookings, args.rounds))
        finally:
            if cluster is not None:
                cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

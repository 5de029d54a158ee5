"""Load test: Makerlab under gunicorn on PostgreSQL, 20 concurrent clients.

    .venv/bin/python bench/load.py [--duration 60] [--clients 20] [--database-url URL]

Without ``--database-url`` a throwaway PostgreSQL cluster is started (as the
tests do; as root it runs as the ``postgres`` user). The database is migrated
(``flask db upgrade``), filled with the demo centre (``flask demo seed``) and
bulk-inserted data on top (more units, bookings over eight months, workshop
sessions with class enrolments, participants), and API tokens are made for a
youth worker, a coordinator and a teacher (``flask users token``). A URL given
must point to an empty database.

The app is served by gunicorn with the production settings
(``gunicorn.conf.py``: synchronous workers; ``--threads N`` above 1 makes them
``gthread`` workers) and 2 workers on a free loopback port. Client threads
(``requests.Session``, one process) then run, after a short warm-up:

1. the *mixed* load for ``--duration`` seconds: week-calendar pages (logged in
   through the form), availability of a unit and of a category, bookings of
   free evening slots (409 when two clients want the same slot: expected, not
   an error) and cancellations, class enrolments by the teacher and their
   cancellation, the weekly report JSON;
2. the *read-only* part of that mix (calendar, availability, report) for
   ``--duration`` seconds;
3. the same read-only client against ``bench/floor_app.py`` (one JSON route,
   same gunicorn settings) for ``--duration`` seconds.

It prints, per request type and overall: requests, throughput, client-side
p50/p95/p99 latency, the server-side p50/p95 (gunicorn's access log), 409s
and errors (5xx, connection errors, unexpected 3xx/4xx), the CPU used by the
client, gunicorn, PostgreSQL and everything else on the machine, and the
ratio of Makerlab's read throughput to the floor's. Targets (issue 8): zero
errors, p95 under 150 ms, read throughput at least 40 % of the floor's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.postgres import ThrowawayCluster, find_bin  # noqa: E402

TZ = ZoneInfo("Europe/Berlin")
SECRET_KEY = "bench-load-secret-key"
DATABASE = "makerlab_load"
LOGINS = {  # role: (e-mail, password), as in makerlab/demo_data.py
    "youth_worker": ("jugendarbeit@passage13.example", "Laser-und-Loeten-13"),
    "coordinator": ("koordination@passage13.example", "Programm-Planung-13"),
    "teacher": ("lehrkraft@gms-neustadt.example", "Klassenfahrt-Maker-13"),
}
EXTRA_UNITS = [  # name, category, loanable, buffer minutes, longest booking
    *[(f"Prusa MK4 Nr. {i}", "3d_printer", False, 0, 480) for i in range(4, 12)],
    ("Laser-Cutter CO2 40 W", "laser_cutter", False, 15, 240),
    ("Laser-Cutter Diodenlaser", "laser_cutter", False, 15, 240),
    ("Schneideplotter Cricut", "vinyl_cutter", False, 0, 240),
    ("Elektronik-Labor", "room", False, 0, 300),
    ("Seminarraum", "room", False, 0, 300),
    *[(f"Podcast-Koffer {i}", "podcast_kit", True, 0, None) for i in range(4, 7)],
    ("Synthesizer-Bausatz C", "synth_kit", True, 0, None),
]
# Seeded bookings on units that are not lent out start at these local hours
# (90 minutes each); from today on, 16:00-20:00 stays free for the clients.
SEED_HOURS_PAST = (8, 10, 12, 14, 16, 18)
SEED_HOURS_FUTURE = (8, 10, 12, 14)
CLIENT_HOURS = (16, 17, 18, 19)  # the clients book one hour starting at these
DAYS_BACK, DAYS_AHEAD = 180, 60
BOOK_DAYS_AHEAD = 56
READ_KINDS = ("calendar", "unit_availability", "category_availability", "report")
KINDS = (*READ_KINDS, "book", "cancel", "enrol", "unenrol")
# Relative weights of the actions (an enrolment is two requests: enrol + cancel).
MIX = {
    "calendar": 25,
    "unit_availability": 25,
    "category_availability": 15,
    "report": 5,
    "book": 14,
    "cancel": 6,
    "enrol": 5,
}
READ_MIX = {k: v for k, v in MIX.items() if k in READ_KINDS}


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), TZ)


# --- CPU accounting -----------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from 3 (state) on


def tree_cpu(root_pid: int) -> float:
    """CPU seconds of a process, its reaped children and its live children."""
    children: dict[int, list[int]] = defaultdict(list)
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                stats[int(entry.name)] = fields
                children[int(fields[1])].append(int(entry.name))
    total = 0.0
    todo = [root_pid]
    while todo:
        pid = todo.pop()
        fields = stats.get(pid)
        if fields is None:
            continue
        # utime, stime, cutime, cstime are fields 14-17 (index 11-14 here)
        total += sum(int(v) for v in fields[11:15]) / TICK
        todo.extend(children.get(pid, []))
    return total


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy since boot (all cores)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICK


# --- database -----------------------------------------------------------------------


@contextmanager
def database(url: str | None) -> Iterator[tuple[str, int | None]]:
    """A database URL (a fresh one in a throwaway cluster unless given) and the postmaster pid."""
    if url:
        yield url, None
        return
    bindir = find_bin()
    if bindir is None:
        raise SystemExit("PostgreSQL server binaries not found; give --database-url.")
    cluster = ThrowawayCluster(bindir)
    base = cluster.start()
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
        engine.dispose()
        pid = int((cluster.dir / "data" / "postmaster.pid").read_text().split()[0])
        yield base.rsplit("/", 1)[0] + f"/{DATABASE}", pid
    finally:
        cluster.stop()


def app_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "MAKERLAB_SQLALCHEMY_DATABASE_URI": url,
        "MAKERLAB_SECRET_KEY": SECRET_KEY,
        "MAKERLAB_RATELIMIT_ENABLED": "false",
        "MAKERLAB_MAIL_PORT": "1",
    }


def flask_cli(url: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=app_env(url),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def seed_more(url: str, rng: random.Random) -> dict[str, int]:
    """Bulk-insert units, bookings, sessions, enrolments and participants on the demo centre."""
    os.environ.update(app_env(url))
    import sqlalchemy as sa

    from makerlab import create_app
    from makerlab.audit import set_actor
    from makerlab.auth.models import User
    from makerlab.bookings.models import Booking, booking_participants
    from makerlab.equipment.models import Equipment
    from makerlab.extensions import db
    from makerlab.participants.models import Participant
    from makerlab.schools.models import School
    from makerlab.sites.models import Site
    from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession

    app = create_app()
    with app.app_context():
        set_actor(db.session, None)
        site = db.session.scalars(sa.select(Site).order_by(Site.id)).first()
        assert site is not None
        for name, category, loanable, buffer_minutes, longest in EXTRA_UNITS:
            db.session.add(
                Equipment(
                    site_id=site.id,
                    name=name,
                    category=category,
                    location="Werkstatt",
                    loanable=loanable,
                    requires_induction=category in ("3d_printer", "laser_cutter"),
                    min_age=10,
                    buffer_minutes=buffer_minutes,
                    max_booking_minutes=longest,
                )
            )
        db.session.flush()
        units = list(db.session.scalars(sa.select(Equipment).order_by(Equipment.id)))
        youth_worker = db.session.scalar(sa.select(User).where(User.role == "youth_worker"))
        assert youth_worker is not None
        schools = list(db.session.scalars(sa.select(School).order_by(School.id)))
        now = dt.datetime.now(dt.UTC)
        today = now.astimezone(TZ).date()

        taken: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
        for eq, start, blocked in db.session.execute(
            sa.select(Booking.equipment_id, Booking.starts_at, Booking.blocked_until).where(
                Booking.status.in_(("reserved", "checked_out"))
            )
        ):
            taken[eq].append((start, blocked))

        def free(unit_id: int, start: dt.datetime, blocked: dt.datetime) -> bool:
            return all(not (s < blocked and start < b) for s, b in taken[unit_id])

        rows: list[dict[str, Any]] = []
        for unit in units:
            buffer = dt.timedelta(minutes=unit.buffer_minutes)
            day = today - dt.timedelta(days=DAYS_BACK)
            while day <= today + dt.timedelta(days=DAYS_AHEAD):
                if unit.loanable:
                    # a kit goes out for two or three days about twice a week
                    if day.weekday() in (0, 3) and rng.random() < 0.7:
                        start = at(day, 15)
                        end = start + dt.timedelta(days=rng.choice((2, 3)))
                        past = end < now
                        if free(unit.id, start, end):
                            taken[unit.id].append((start, end))
                            rows.append(
                                {
                                    "equipment_id": unit.id,
                                    "booked_by_id": youth_worker.id,
                                    "starts_at": start,
                                    "ends_at": end,
                                    "blocked_until": end,
                                    "purpose": "Ausleihe",
                                    "status": "returned" if past else "reserved",
                                    "checked_out_at": start if past else None,
                                    "returned_at": end if past else None,
                                    "return_condition": "ok" if past else None,
                                    "created_at": start - dt.timedelta(days=3),
                                }
                            )
                elif day.weekday() < 5:
                    hours = SEED_HOURS_PAST if day < today else SEED_HOURS_FUTURE
                    for hour in hours:
                        if rng.random() > 0.6:
                            continue
                        start = at(day, hour)
                        end = start + dt.timedelta(minutes=90)
                        if not free(unit.id, start, end + buffer):
                            continue
                        cancelled = rng.random() < 0.05
                        if not cancelled:
                            taken[unit.id].append((start, end + buffer))
                        rows.append(
                            {
                                "equipment_id": unit.id,
                                "booked_by_id": youth_worker.id,
                                "starts_at": start,
                                "ends_at": end,
                                "blocked_until": end + buffer,
                                "purpose": "Offene Werkstatt",
                                "status": "cancelled" if cancelled else "reserved",
                                "cancelled_at": start - dt.timedelta(days=1) if cancelled else None,
                                "created_at": start - dt.timedelta(days=5),
                            }
                        )
                day += dt.timedelta(days=1)
        keys = set().union(*(r.keys() for r in rows))
        db.session.execute(sa.insert(Booking), [{k: r.get(k) for k in sorted(keys)} for r in rows])

        people = [
            {
                "first_name": f"Kind{i}",
                "last_name": f"Muster{i % 37}",
                "birth_date": dt.date(2009 + i % 6, 1 + i % 12, 1 + i % 28),
                "birth_year": 2009 + i % 6,
                "school_id": schools[i % len(schools)].id if i % 3 else None,
                "guardian_name": f"Eltern Muster{i % 37}",
                "guardian_email": f"eltern{i}@familie.example",
                "guardian_phone": "0345 000000",
                "guardian_consent": True,
                "guardian_consent_on": today - dt.timedelta(days=200),
                "photo_consent": i % 4 != 0,
                "may_go_home_alone": i % 2 == 0,
                "last_activity_at": now,
                "created_at": now - dt.timedelta(days=200),
            }
            for i in range(300)
        ]
        db.session.execute(sa.insert(Participant), people)
        person_ids = list(db.session.scalars(sa.select(Participant.id)))
        past_ids = list(
            db.session.scalars(
                sa.select(Booking.id).where(Booking.ends_at < now, Booking.status != "cancelled")
            )
        )
        links = [
            {"booking_id": b, "participant_id": p}
            for b in past_ids
            if rng.random() < 0.4
            for p in rng.sample(person_ids, rng.choice((1, 1, 2, 3)))
        ]
        db.session.execute(sa.insert(booking_participants), links)

        workshops = list(db.session.scalars(sa.select(Workshop).order_by(Workshop.id)))
        sessions = 0
        enrolments: list[dict[str, Any]] = []
        monday = today - dt.timedelta(days=today.weekday())
        for week in range(-DAYS_BACK // 7, BOOK_DAYS_AHEAD // 7 + 1):
            for weekday in (1, 3):  # Tuesday and Thursday mornings
                day = monday + dt.timedelta(days=7 * week + weekday)
                workshop = workshops[(week * 2 + weekday) % len(workshops)]
                start = at(day, 9)
                session = WorkshopSession(
                    workshop_id=workshop.id,
                    site_id=site.id,
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=3),
                    capacity=24,
                    location="Werkstatt",
                )
                db.session.add(session)
                db.session.flush()
                sessions += 1
                past = session.ends_at < now
                for n in range(rng.choice((1, 1, 2))):
                    seats = rng.randint(8, 12)
                    enrolments.append(
                        {
                            "session_id": session.id,
                            "school_id": schools[n % len(schools)].id,
                            "class_name": f"{7 + n}{'abc'[week % 3]}",
                            "headcount": seats,
                            "seats": seats,
                            "contact_email": f"klasse{7 + n}@schule.example",
                            "status": "confirmed",
                            "attended_count": seats - rng.randint(0, 3) if past else None,
                            "created_at": start - dt.timedelta(days=14),
                        }
                    )
        db.session.execute(sa.insert(Enrolment), enrolments)
        db.session.commit()
        counts = {
            "units": len(units),
            "bookings": int(db.session.scalar(sa.select(sa.func.count(Booking.id))) or 0),
            "sessions": int(db.session.scalar(sa.select(sa.func.count(WorkshopSession.id))) or 0),
            "enrolments": int(db.session.scalar(sa.select(sa.func.count(Enrolment.id))) or 0),
            "participants": len(person_ids),
        }
        db.session.remove()
        db.engine.dispose()
    return counts


@dataclass
class World:
    """What the clients need to know about the seeded data."""

    tokens: dict[str, str]
    units: dict[str, list[int]]  # category -> unit ids
    bookable: list[int]  # units the clients book (not lent out)
    sessions: list[int]  # upcoming workshop sessions
    today: dt.date


def load_world(url: str) -> World:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    today = dt.datetime.now(TZ).date()
    with engine.connect() as conn:
        units: dict[str, list[int]] = defaultdict(list)
        bookable = []
        for uid, category, loanable in conn.execute(
            sa.text("SELECT id, category, loanable FROM equipment ORDER BY id")
        ):
            units[category].append(uid)
            if not loanable:
                bookable.append(uid)
        sessions = list(
            conn.scalars(
                sa.text(
                    "SELECT id FROM workshop_sessions WHERE starts_at > now() + interval '1 day' "
                    "AND status = 'scheduled' ORDER BY id"
                )
            )
        )
    engine.dispose()
    tokens = {
        role: flask_cli(url, "users", "token", "--email", email, "--label", "load").strip()
        for role, (email, _pw) in LOGINS.items()
    }
    return World(tokens, dict(units), bookable, sessions, today)


# --- the server ----------------------------------------------------------------------


class Server:
    """gunicorn with the production settings, 2 workers, on a free loopback port."""

    def __init__(
        self, app: str, env: dict[str, str], threads: int | None, log: Path, *extra: str
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "--workers",
                "2",
                *(["--threads", str(threads)] if threads else []),
                "--bind",
                f"127.0.0.1:{self.port}",
                *extra,
                app,
            ],
            cwd=ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"gunicorn did not start:\n{log.read_text()}")
            time.sleep(0.3)

    def log_size(self) -> int:
        self.log.flush()
        return self.log_path.stat().st_size

    def log_lines(self, start: int, end: int) -> list[str]:
        with self.log_path.open("rb") as f:
            f.seek(start)
            return f.read(end - start).decode(errors="replace").splitlines()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


# --- the clients ---------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    status: int  # 0: connection error / timeout
    ms: float
    body: str = ""
    retried: bool = False  # sent again after the server closed a kept-alive connection


@dataclass
class Client:
    """One simulated person: a logged-in browser session and an API session."""

    base: str
    world: World
    rng: random.Random
    web: requests.Session = field(default_factory=requests.Session)
    api: requests.Session = field(default_factory=requests.Session)
    think: float = 0.0  # mean pause between two actions, seconds
    booked: list[int] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)

    def login(self) -> None:
        email, password = LOGINS["youth_worker"]
        page = self.web.get(self.base + "/login", timeout=30)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        if token is None:
            raise SystemExit("No CSRF token on the login page.")
        done = self.web.post(
            self.base + "/login",
            data={"email": email, "password": password, "csrf_token": token.group(1)},
            timeout=30,
        )
        if "session" not in self.web.cookies or "/login" in done.url:
            raise SystemExit(f"Login failed ({done.status_code}).")

    def _call(
        self, kind: str, session: requests.Session, method: str, path: str, role: str, **kw: Any
    ) -> requests.Response | None:
        headers = {"Authorization": f"Bearer {self.world.tokens[role]}"} if role else {}
        started = time.perf_counter()
        retried = False
        while True:
            try:
                response = session.request(
                    method,
                    self.base + path,
                    headers=headers,
                    timeout=30,
                    allow_redirects=False,  # a redirect (to the login form) is an error here
                    **kw,
                )
                response.content  # noqa: B018 (read the whole body)
                break
            except requests.ConnectionError as error:
                # A kept-alive connection closed by the server as the request went out
                # (a worker recycled after max_requests): browsers send the request
                # again on a new connection, once; so do we, and count it.
                if retried or "aborted" not in str(error):
                    self._error(kind, started, error, retried)
                    return None
                retried = True
            except requests.RequestException as error:
                self._error(kind, started, error, retried)
                return None
        ms = (time.perf_counter() - started) * 1000
        body = response.text[:300] if response.status_code >= 300 else ""
        self.samples.append(Sample(kind, response.status_code, ms, body, retried))
        return response

    def _error(self, kind: str, started: float, error: Exception, retried: bool) -> None:
        ms = (time.perf_counter() - started) * 1000
        self.samples.append(Sample(kind, 0, ms, str(error), retried))

    def _day(self, back: int, ahead: int) -> dt.date:
        return self.world.today + dt.timedelta(days=self.rng.randint(-back, ahead))

    def act(self, kind: str) -> None:
        rng, world = self.rng, self.world
        if kind == "calendar":
            category = rng.choice(
                ["3d_printer", "3d_printer", "laser_cutter", "podcast_kit", "room"]
            )
            week = iso_week(self._day(28, 28))
            self._call(kind, self.web, "GET", f"/calendar?category={category}&week={week}", "")
        elif kind == "unit_availability":
            unit = rng.choice(world.bookable + world.units["podcast_kit"])
            start = self._day(0, 28)
            self._call(
                kind,
                self.api,
                "GET",
                f"/api/v1/equipment/{unit}/availability",
                "youth_worker",
                params={
                    "from": start.isoformat(),
                    "to": (start + dt.timedelta(days=7)).isoformat(),
                },
            )
        elif kind == "category_availability":
            category = rng.choice(sorted(world.units))
            day = self._day(-1, 28)
            start = at(day, rng.choice(CLIENT_HOURS))
            self._call(
                kind,
                self.api,
                "GET",
                "/api/v1/availability",
                "youth_worker",
                params={
                    "category": category,
                    "from": start.isoformat(),
                    "to": (start + dt.timedelta(hours=rng.choice((1, 2, 24)))).isoformat(),
                },
            )
        elif kind == "report":
            week = iso_week(self.world.today - dt.timedelta(days=7 * rng.randint(1, 20)))
            self._call(kind, self.api, "GET", f"/api/v1/reports/weekly?week={week}", "coordinator")
        elif kind == "book" or (kind == "cancel" and not self.booked):
            day = self._day(-1, BOOK_DAYS_AHEAD)
            while day.weekday() > 4:
                day = self._day(-1, BOOK_DAYS_AHEAD)
            start = at(day, rng.choice(CLIENT_HOURS))
            response = self._call(
                "book",
                self.api,
                "POST",
                "/api/v1/bookings",
                "youth_worker",
                json={
                    "equipment_id": rng.choice(world.bookable),
                    "starts_at": start.isoformat(),
                    "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
                    "purpose": "Lasttest",
                },
            )
            if response is not None and response.status_code == 201:
                self.booked.append(int(response.json()["id"]))
        elif kind == "cancel":
            booking = self.booked.pop(rng.randrange(len(self.booked)))
            self._call(kind, self.api, "DELETE", f"/api/v1/bookings/{booking}", "youth_worker")
        elif kind == "enrol":
            session = rng.choice(world.sessions)
            response = self._call(
                kind,
                self.api,
                "POST",
                f"/api/v1/sessions/{session}/enrolments",
                "teacher",
                json={
                    "class_name": f"{rng.randint(5, 10)}{rng.choice('abcd')}",
                    "headcount": rng.randint(8, 26),
                },
            )
            if response is not None and response.status_code == 201:
                enrolment = response.json()["id"]
                self._call(
                    "unenrol", self.api, "DELETE", f"/api/v1/enrolments/{enrolment}", "teacher"
                )


def run_phase(
    clients: list[Client], mix: dict[str, int], seconds: float
) -> tuple[list[Sample], float, float]:
    """Every client acts in a loop for ``seconds``; returns the samples, wall and client CPU."""
    kinds, weights = list(mix), list(mix.values())
    for c in clients:
        c.samples = []
    barrier = threading.Barrier(len(clients) + 1)
    stop_at = [0.0]

    def loop(client: Client) -> None:
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            client.act(client.rng.choices(kinds, weights)[0])
            if client.think:
                time.sleep(min(client.rng.expovariate(1 / client.think), 10 * client.think))

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    stop_at[0] = wall0 + seconds
    barrier.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    return [s for c in clients for s in c.samples], wall, cpu


# --- reporting -----------------------------------------------------------------------

ACCESS = re.compile(r'"(GET|POST|DELETE|PATCH|PUT) (\S+)" (\d{3}) \S+ (\d+)ms')


def kind_of(method: str, path: str) -> str | None:
    if path.startswith("/calendar"):
        return "calendar"
    if re.fullmatch(r"/api/v1/equipment/\d+/availability", path):
        return "unit_availability"
    if path == "/api/v1/availability":
        return "category_availability"
    if path == "/api/v1/reports/weekly":
        return "report"
    if path == "/api/v1/bookings" and method == "POST":
        return "book"
    if re.fullmatch(r"/api/v1/bookings/\d+", path) and method == "DELETE":
        return "cancel"
    if re.fullmatch(r"/api/v1/sessions/\d+/enrolments", path) and method == "POST":
        return "enrol"
    if re.fullmatch(r"/api/v1/enrolments/\d+", path) and method == "DELETE":
        return "unenrol"
    return None


def server_times(lines: list[str]) -> dict[str, list[float]]:
    """Server-side milliseconds per request type, from gunicorn's access log."""
    out: dict[str, list[float]] = defaultdict(list)
    for line in lines:
        m = ACCESS.search(line)
        if m:
            kind = kind_of(m.group(1), m.group(2))
            if kind:
                out[kind].append(float(m.group(4)))
                out["all"].append(float(m.group(4)))
                if kind in READ_KINDS:
                    out["read routes"].append(float(m.group(4)))
    return out


def is_error(s: Sample) -> bool:
    if s.status == 0 or s.status >= 500:
        return True
    if s.status == 409 and s.kind in ("book", "enrol"):
        return False
    return s.status >= 300


@dataclass
class Phase:
    name: str
    samples: list[Sample]
    wall: float
    client_cpu: float
    server_cpu: float
    db_cpu: float
    machine_cpu: float
    server: dict[str, list[float]]
    loadavg: str
    boots: int

    def rows(self) -> list[tuple[str, list[Sample]]]:
        by_kind: dict[str, list[Sample]] = defaultdict(list)
        for s in self.samples:
            by_kind[s.kind].append(s)
        out = [(k, by_kind[k]) for k in KINDS if by_kind.get(k)]
        reads = [s for s in self.samples if s.kind in READ_KINDS]
        if len(out) > 1 and reads:
            out.append(("read routes", reads))
        if len(out) > 1:
            out.append(("all", self.samples))
        return out

    def read_throughput(self) -> float:
        return sum(1 for s in self.samples if s.kind in READ_KINDS) / self.wall

    def print(self) -> None:
        print(f"\n### {self.name} ({self.wall:.0f} s)\n")
        print(
            "| requests | n | req/s | p50 ms | p95 ms | p99 ms | server p50 ms | server p95 ms "
            "| 409 | errors |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for kind, samples in self.rows():
            ms = [s.ms for s in samples]
            server = self.server.get(kind, [])
            conflicts = sum(1 for s in samples if s.status == 409 and not is_error(s))
            errors = sum(1 for s in samples if is_error(s))
            name = f"**{kind}**" if kind in ("all", "read routes") else kind
            print(
                f"| {name} | {len(samples)} | {len(samples) / self.wall:.1f} "
                f"| {percentile(ms, 50):.0f} | {percentile(ms, 95):.0f} | {percentile(ms, 99):.0f} "
                f"| {percentile(server, 50):.0f} | {percentile(server, 95):.0f} "
                f"| {conflicts} | {errors} |"
            )
        cores = os.cpu_count() or 1
        other = max(0.0, self.machine_cpu - self.client_cpu - self.server_cpu - self.db_cpu)
        n = max(1, len(self.samples))
        retried = sum(1 for s in self.samples if s.retried)
        print(
            f"\nCPU, cores busy on average (of {cores}): client {self.client_cpu / self.wall:.2f}, "
            f"gunicorn {self.server_cpu / self.wall:.2f}, "
            f"PostgreSQL {self.db_cpu / self.wall:.2f}, "
            f"everything else on the machine {other / self.wall:.2f}. "
            f"CPU per request: client {self.client_cpu / n * 1000:.1f} ms, "
            f"gunicorn {self.server_cpu / n * 1000:.1f} ms, "
            f"PostgreSQL {self.db_cpu / n * 1000:.1f} ms. Load average after: {self.loadavg}. "
            f"Workers (re)booted (max_requests): {self.boots}; requests sent again after the "
            f"server closed a kept-alive connection: {retried}."
        )
        statuses = Counter(s.status for s in self.samples if is_error(s))
        if statuses:
            print(f"Errors by status (0 = connection error/timeout): {dict(statuses)}")
            shown: set[tuple[str, int]] = set()
            for s in self.samples:
                if is_error(s) and (s.kind, s.status) not in shown:
                    shown.add((s.kind, s.status))
                    print(f"  {s.kind} {s.status}: {s.body[:300]}")


def measure(
    name: str,
    server: Server,
    clients: list[Client],
    mix: dict[str, int],
    seconds: float,
    db_pid: int | None,
) -> Phase:
    log0 = server.log_size()
    server0, db0, machine0 = tree_cpu(server.proc.pid), tree_cpu(db_pid or -1), machine_busy()
    samples, wall, client_cpu = run_phase(clients, mix, seconds)
    server1, db1, machine1 = tree_cpu(server.proc.pid), tree_cpu(db_pid or -1), machine_busy()
    time.sleep(0.5)  # let the access log catch up
    lines = server.log_lines(log0, server.log_size())
    return Phase(
        name=name,
        samples=samples,
        wall=wall,
        client_cpu=client_cpu,
        server_cpu=server1 - server0,
        db_cpu=db1 - db0,
        machine_cpu=machine1 - machine0,
        server=server_times(lines),
        loadavg=" ".join(Path("/proc/loadavg").read_text().split()[:3]),
        boots=sum(1 for line in lines if "Booting worker" in line),
    )


def make_clients(base: str, world: World, n: int, login: bool, think: float = 0.0) -> list[Client]:
    clients = [Client(base, world, random.Random(1000 + i), think=think) for i in range(n)]
    if login:
        for c in clients:
            c.login()
    return clients


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds per phase (60)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per gunicorn worker (default: gunicorn.conf.py's, 1: sync workers;"
        " above 1: gthread)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause of a client between two actions in seconds (0: none, full load)",
    )
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up (5)")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: throwaway)")
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep gunicorn's logs and print where"
    )
    args = parser.parse_args(argv)
    rng = random.Random(8)
    logs = Path(tempfile.mkdtemp(prefix="makerlab-load-"))

    with database(args.database_url) as (url, db_pid):
        started = time.perf_counter()
        flask_cli(url, "db", "upgrade")
        flask_cli(url, "demo", "seed")
        counts = seed_more(url, rng)
        world = load_world(url)
        print(
            f"Seeded in {time.perf_counter() - started:.0f} s: "
            + ", ".join(f"{v} {k}" for k, v in counts.items())
        )
        print(f"Load average before: {Path('/proc/loadavg').read_text().strip()}")

        phases: list[Phase] = []
        server = Server("wsgi:app", app_env(url), args.threads, logs / "makerlab.log")
        try:
            clients = make_clients(server.url, world, args.clients, login=True, think=args.think)
            if args.warmup:
                run_phase(clients, MIX, args.warmup)
            phases.append(
                measure("Makerlab, mixed load", server, clients, MIX, args.duration, db_pid)
            )
            phases[-1].print()
            phases.append(
                measure(
                    "Makerlab, read routes only", server, clients, READ_MIX, args.duration, db_pid
                )
            )
            phases[-1].print()
        finally:
            server.stop()

        floor = Server(
            "floor_app:app",
            app_env(url),
            args.threads,
            logs / "floor.log",
            "--pythonpath",
            str(ROOT / "bench"),
        )
        try:
            clients = make_clients(floor.url, world, args.clients, login=False, think=args.think)
            if args.warmup:
                run_phase(clients, READ_MIX, args.warmup)
            phases.append(
                measure(
                    "Framework floor (bench/floor_app.py), same read requests",
                    floor,
                    clients,
                    READ_MIX,
                    args.duration,
                    None,
                )
            )
            phases[-1].print()
        finally:
            floor.stop()

    mixed, reads, flr = phases
    ratio = reads.read_throughput() / flr.read_throughput()
    p95 = percentile([s.ms for s in mixed.samples], 95)
    errors = sum(1 for p in phases[:2] for s in p.samples if is_error(s))
    print("\n### Targets\n")
    print(f"- errors (mixed + read-only): {errors} (target 0)")
    print(f"- p95, mixed load, all requests: {p95:.0f} ms (target < 150 ms)")
    print(
        f"- read throughput: {reads.read_throughput():.1f} req/s vs floor "
        f"{flr.read_throughput():.1f} req/s = {ratio:.0%} (target >= 40 %); "
        f"reads during the mixed load: {mixed.read_throughput():.1f} req/s"
        + (" (with --think the pauses set the rate: the ratio says nothing)" if args.think else "")
    )
    if args.keep_logs:
        print(f"gunicorn logs: {logs}")
    else:
        shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Fixtures: the app on SQLite and on PostgreSQL, clients, logins, tokens."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from makerlab import clock, create_app
from makerlab.extensions import db
from tests.postgres import ThrowawayCluster, find_bin

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", "postgresql"]
TEST_PASSWORD = "Werkbank-Laser-2026"
TZ = "Europe/Berlin"
# Monday 4 January 2027, 08:00 in Berlin: before every date the booking tests use.
NOW = dt.datetime(2027, 1, 4, 7, 0, tzinfo=dt.UTC)
# argon2's cheapest parameters: a login costs microseconds instead of a tenth of a second.
FAST_PASSWORD_HASH = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def pytest_report_header(config: pytest.Config) -> str:
    if os.environ.get("MAKERLAB_TEST_POSTGRES_URL"):
        return "PostgreSQL leg: MAKERLAB_TEST_POSTGRES_URL"
    if find_bin() is None:
        return "PostgreSQL leg: !!! NO POSTGRESQL INSTALLED: the PostgreSQL leg will be SKIPPED !!!"
    return f"PostgreSQL leg: throwaway cluster from {find_bin()}"


def base_config(uri: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": uri,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,  # nothing listens: tests that send mail start a real SMTP server
        "PASSWORD_HASH_PARAMS": FAST_PASSWORD_HASH,
    }


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server for the whole run (URL of its maintenance database)."""
    url = os.environ.get("MAKERLAB_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    bindir = find_bin()
    if bindir is None:
        message = "PostgreSQL is not installed: the PostgreSQL leg is SKIPPED"
        if os.environ.get("MAKERLAB_REQUIRE_POSTGRES"):
            pytest.fail(message + " but MAKERLAB_REQUIRE_POSTGRES is set")
        pytest.skip(message)
    cluster = ThrowawayCluster(bindir)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def _create_database(server_url: str, name: str) -> str:
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def _migrate(uri: str) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(uri))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The SQLite database of the whole run, migrated once."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'makerlab.sqlite3'}"
    _migrate(url)
    return url


@pytest.fixture(scope="session")
def postgres_test_url(postgres_url: str) -> str:
    """The PostgreSQL database of the whole run, migrated once."""
    url = _create_database(postgres_url, "makerlab_test")
    _migrate(url)
    return url


def reset_database() -> None:
    """Empty every table and put the default site back, as after migrating.

    DELETE and restarting the sequences, not TRUNCATE: a test leaves a few
    rows in a few tables, and TRUNCATE replaces every table's files (40 ms on
    PostgreSQL against 3).
    """
    from makerlab.db import begin_write
    from makerlab.sites import defaults
    from makerlab.sites.models import Site

    tables = db.metadata.sorted_tables
    begin_write(db.session)
    for table in reversed(tables):
        db.session.execute(table.delete())
    db.session.execute(sa.text("DROP TABLE IF EXISTS apscheduler_jobs"))
    if db.engine.dialect.name == "postgresql":
        sequences = db.session.scalars(
            sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
        ).all()
        for sequence in sequences:
            db.session.execute(sa.text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    db.session.add(
        Site(
            name=defaults.DEFAULT_SITE_NAME,
            timezone=defaults.DEFAULT_TIMEZONE,
            address=defaults.DEFAULT_SITE_ADDRESS,
            opening_hours=defaults.DEFAULT_OPENING_HOURS,
        )
    )
    db.session.commit()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    Without this, requests reuse the test's app context: one SQLAlchemy
    session and one ``g`` for the whole test, which hides stale-state bugs.
    The test's own session is committed first, so the request sees its data,
    and its objects are expired, so the test sees the request's changes.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        from flask import has_app_context

        if has_app_context():  # not when following a redirect inside the request's own context
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """All SQLite tests first, then all PostgreSQL tests (stable otherwise).

    One app is alive at a time (see ``app``), and a run of tests on one
    backend with the same configuration shares it.
    """
    order = {name: rank for rank, name in enumerate(BACKENDS)}

    def rank(item: pytest.Item) -> int:
        callspec = getattr(item, "callspec", None)
        return order.get(callspec.params.get("backend"), -1) if callspec else -1

    items.sort(key=rank)


@pytest.fixture
def database_uri(backend: str, request: pytest.FixtureRequest) -> str:
    """The run's database of ``backend``; the ``app`` fixture empties it before each test."""
    if backend == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_test_url"))


@pytest.fixture
def app_config(database_uri: str) -> dict[str, Any]:
    """Override in a test module to change configuration."""
    return base_config(database_uri)


class AppCache:
    """The app of the previous test, kept while the configuration stays the same.

    Only one app exists at a time: ``create_app`` initialises module-level
    extensions (Flask-Limiter, Talisman) for the app it builds, so an app is
    only reused while it is still the last one built.
    """

    def __init__(self) -> None:
        self.key: str | None = None
        self.app: Flask | None = None

    def get(self, config: dict[str, Any]) -> Flask:
        from makerlab.security import talisman

        key = json.dumps(config, sort_keys=True, default=repr)
        if self.app is None or key != self.key or talisman.app is not self.app:
            self.discard()
            self.app = create_app(config)
            self.app.test_client_class = IsolatedClient
            self.key = key
        return self.app

    def discard(self) -> None:
        if self.app is not None:
            with self.app.app_context():
                db.engine.dispose()
        self.app, self.key = None, None


@pytest.fixture(scope="session")
def app_cache() -> Iterator[AppCache]:
    cache = AppCache()
    yield cache
    cache.discard()


@pytest.fixture
def app(
    app_config: dict[str, Any], app_cache: AppCache, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """The app on an emptied database, in an app context for the test.

    Built once for a run of tests with the same configuration; a test marked
    ``own_app`` (it adds routes) gets one of its own. Configuration changed by
    the test is put back afterwards.
    """
    from makerlab.security import limiter

    own = request.node.get_closest_marker("own_app") is not None
    if own:
        app_cache.discard()
    app = app_cache.get(app_config)
    settings = dict(app.config)
    if limiter.enabled:
        limiter.reset()  # counts of the previous test's requests
    with app.app_context():
        reset_database()
        yield app
        db.session.remove()
    app.config.clear()
    app.config.update(settings)
    clock.set_frozen(None)
    if own:
        app_cache.discard()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def password_hash() -> str:
    from argon2 import PasswordHasher

    return PasswordHasher(**FAST_PASSWORD_HASH).hash(TEST_PASSWORD)


@pytest.fixture
def make_school(app: Flask) -> Callable[..., Any]:
    from makerlab.schools.models import School

    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> School:
        n = next(counter)
        values = {
            "name": f"Gemeinschaftsschule Neustadt {n}",
            "address": f"Am Gastronom {n}, 06124 Halle (Saale)",
            "contact_email": f"sekretariat{n}@schule.example",
        }
        values.update(overrides)
        school = School(**values)
        db.session.add(school)
        db.session.commit()
        return school

    return make


@pytest.fixture
def make_user(
    app: Flask, password_hash: str, make_school: Callable[..., Any]
) -> Callable[..., Any]:
    from makerlab.auth.models import User

    counter = iter(range(1, 10_000))

    def make(role: str = "youth_worker", **overrides: Any) -> User:
        n = next(counter)
        values: dict[str, Any] = {
            "email": f"{role}{n}@makerlab.example",
            "name": f"{role.replace('_', ' ').title()} {n}",
            "role": role,
            "password_hash": password_hash,
        }
        if role == "teacher" and "school_id" not in overrides:
            values["school_id"] = make_school().id
        values.update(overrides)
        user = User(**values)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def at(day: str, time: str) -> dt.datetime:
    """Berlin wall-clock ``day`` ``time`` as a UTC instant."""
    return clock.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(time), TZ)


def local(day: str, time: str) -> str:
    """The same, as an ISO string with the Berlin offset (API input/output)."""
    return clock.to_local(at(day, time), TZ).isoformat()


@pytest.fixture
def now() -> dt.datetime:
    """The instant ``frozen`` stops the clock at; a package's conftest may override it."""
    return NOW


@pytest.fixture
def frozen(app: Flask, now: dt.datetime) -> dt.datetime:
    clock.set_frozen(now)
    return now


def row_factory(build: Callable[..., Any], defaults: Callable[[int], dict]) -> Callable[..., Any]:
    """``make(**overrides)``: the n-th object from ``defaults(n)`` and the overrides, committed."""
    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> Any:
        row = build(**{**defaults(next(counter)), **overrides})
        db.session.add(row)
        db.session.commit()
        return row

    return make


@pytest.fixture
def make_unit(app: Flask) -> Callable[..., Any]:
    """A 3D printer at site 1, else the model's defaults: available, no buffer or induction."""
    from makerlab.equipment.models import Equipment

    return row_factory(
        Equipment,
        lambda n: {
            "name": f"Prusa MK4 #{n}",
            "category": "3d_printer",
            "site_id": 1,
            "location": "Werkstatt",
        },
    )


@pytest.fixture
def make_participant(app: Flask) -> Callable[..., Any]:
    """A participant with guardian consent, registered through the service (consent history)."""
    from makerlab.participants import services

    return row_factory(
        lambda **values: services.create_participant(None, **values),
        lambda n: {
            "first_name": f"Zoe{n}",
            "last_name": f"Quappendorf{n}",
            "birth_date": dt.date(2013, 5, 17),
            "guardian_name": f"Ines Quappendorf{n}",
            "guardian_email": f"ines{n}@familie.example",
            "guardian_phone": "0345 123456",
            "guardian_consent": True,
            "photo_consent": False,
            "may_go_home_alone": False,
        },
    )


@pytest.fixture
def login_as(client: FlaskClient, make_user: Callable[..., Any]) -> Callable[..., Any]:
    """Log the test client in through the login form; returns the user."""

    def login(role: str = "youth_worker", **overrides: Any) -> Any:
        user = make_user(role, **overrides)
        response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


class ApiClient:
    """The Flask test client with a bearer token and JSON helpers."""

    def __init__(self, client: FlaskClient, token: str, user: Any) -> None:
        self.client, self.token, self.user = client, token, user

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(
            path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(
            path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.put(
            path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def api_as(
    app: Flask, client: FlaskClient, make_user: Callable[..., Any]
) -> Callable[..., ApiClient]:
    """An API client authenticated as a new user of ``role``."""
    from makerlab.auth.services import issue_token

    def make(role: str = "youth_worker", **overrides: Any) -> ApiClient:
        user = make_user(role, **overrides)
        token = issue_token(user, "test")
        db.session.commit()
        return ApiClient(client, token, user)

    return make


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served_threads() -> int:
    """Threads per gunicorn worker for ``served``: 1 is production's sync worker."""
    return 1


class Server:
    """The app under gunicorn (production settings, 3 workers) on loopback."""

    def __init__(
        self, database_uri: str, threads: int, log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.database_uri, self.threads, self.log = database_uri, threads, log
        self.env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        port = free_port()
        env = {
            **os.environ,
            "MAKERLAB_SQLALCHEMY_DATABASE_URI": self.database_uri,
            "MAKERLAB_SECRET_KEY": "test-secret-key",
            "MAKERLAB_RATELIMIT_ENABLED": "false",
            "MAKERLAB_MAIL_PORT": "1",
            "MAKERLAB_PASSWORD_HASH_PARAMS": json.dumps(FAST_PASSWORD_HASH),
            **self.env,
        }
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    str(ROOT / "gunicorn.conf.py"),
                    "--workers",
                    "3",
                    "--threads",
                    str(self.threads),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--graceful-timeout",
                    "2",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(self.log.read_text()) from None
                time.sleep(0.1)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, wait: bool = True) -> None:
        if self.proc is not None:
            self.proc.terminate()
            if wait:
                self.proc.wait(timeout=10)
                self.proc = None


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[Any, Server]]:
    """Servers started by ``served``, one per database and thread count, for the whole run."""
    started: dict[Any, Server] = {}
    yield started
    for server in started.values():  # all at once: each takes its graceful timeout
        server.stop(wait=False)
    for server in started.values():
        server.stop()


@pytest.fixture
def served_env() -> dict[str, str]:
    """Extra environment for ``served`` (override in a test module to configure the app)."""
    return {}


def _server_key(database_uri: str, threads: int, env: dict[str, str]) -> Any:
    return (database_uri, threads, tuple(sorted(env.items())))


@pytest.fixture
def served(
    app: Flask,
    database_uri: str,
    served_threads: int,
    served_env: dict[str, str],
    servers: dict[Any, Server],
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """The app under gunicorn (production settings, 3 workers) on loopback; returns its URL.

    It serves the test's database, so data made with factories is visible.
    One server per database, thread count and ``served_env`` serves every test of the run
    (``served_log`` has what it logged during the test).
    """
    key = _server_key(database_uri, served_threads, served_env)
    server = servers.get(key)
    if server is None:
        log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
        server = servers[key] = Server(database_uri, served_threads, log, served_env)
    if not server.running():
        server.start()
    db.session.commit()  # end the test's read transaction: the server writes next
    return server.url


@pytest.fixture
def served_log(
    served: str,
    database_uri: str,
    served_threads: int,
    served_env: dict[str, str],
    servers: dict[Any, Server],
) -> Callable[[], str]:
    """What the served app has logged since the test started."""
    log = servers[_server_key(database_uri, served_threads, served_env)].log
    start = log.stat().st_size
    return lambda: log.read_bytes()[start:].decode(errors="replace")


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches Debian's Chromium (``playwright install`` is not used)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_FLAGS,
    }

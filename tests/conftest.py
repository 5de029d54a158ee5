"""Fixtures: the app on SQLite and on PostgreSQL, clients, logins, tokens."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import os
import shutil
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
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_test_url(postgres_url: str) -> str:
    url = _create_database(postgres_url, "makerlab_test")
    _migrate(url)
    return url


def reset_postgres(app: Flask) -> None:
    """Empty every table and put the default site back, as after migrating."""
    from makerlab.sites import defaults
    from makerlab.sites.models import Site

    with app.app_context():
        # The data generation stays: truncating bumps it (readcache), as any change does.
        names = [t.name for t in db.metadata.sorted_tables if t.name != "data_generation"]
        db.session.execute(sa.text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        db.session.execute(sa.text("DROP TABLE IF EXISTS apscheduler_jobs"))
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


@pytest.fixture
def database_uri(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "makerlab.sqlite3"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    return str(request.getfixturevalue("postgres_test_url"))


@pytest.fixture
def app_config(database_uri: str) -> dict[str, Any]:
    """Override in a test module to change configuration."""
    return base_config(database_uri)


@pytest.fixture
def app(app_config: dict[str, Any], backend: str) -> Iterator[Flask]:
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    if backend == "postgresql":
        reset_postgres(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    clock.set_frozen(None)


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
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served_threads() -> int:
    """Threads per gunicorn worker for ``served``: 1 is production's sync worker."""
    return 1


@pytest.fixture
def served(app: Flask, database_uri: str, tmp_path: Path, served_threads: int) -> Iterator[str]:
    """The app under gunicorn (production settings, 3 workers) on loopback; yields its URL.

    It shares the test's database, so data made with factories is visible.
    """
    import subprocess
    import sys
    import time
    import urllib.request

    root = Path(__file__).resolve().parent.parent
    port = free_port()
    env = {
        **os.environ,
        "MAKERLAB_SQLALCHEMY_DATABASE_URI": database_uri,
        "MAKERLAB_SECRET_KEY": "test-secret-key",
        "MAKERLAB_RATELIMIT_ENABLED": "false",
        "MAKERLAB_MAIL_PORT": "1",
        "MAKERLAB_PASSWORD_HASH_PARAMS": json.dumps(FAST_PASSWORD_HASH),
    }
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(root / "gunicorn.conf.py"),
            "--workers",
            "3",
            "--threads",
            str(served_threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "2",
            "wsgi:app",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError((tmp_path / "gunicorn.log").read_text()) from None
            time.sleep(0.2)
    db.session.commit()  # end the test's read transaction: the server writes next
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


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

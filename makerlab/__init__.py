"""Makerlab: workshops, equipment bookings and kit loans for a youth maker lab."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter, Map

from makerlab import api, assets, audit, cli, extensions, logs, security, web
from makerlab.config import DEFAULTS
from makerlab.db import (
    MAX_PATH_INT,
    configure_sqlite_engine,
    lock_early_for_writing_requests,
    read_safe_requests_without_transaction,
)
from makerlab.extensions import babel, csrf, login_manager, migrate
from makerlab.json_provider import OrjsonProvider
from makerlab.planning import reactions
from makerlab.scheduler import start_embedded

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` (tests) overrides everything else."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.json = OrjsonProvider(app)
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("MAKERLAB")
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    # Larger path ids cannot be looked up: such paths are plain 404s, not errors.
    app.url_map.converters["int"] = BoundedIntConverter
    _configure_secret_key(app)
    _configure_database(app)

    logs.init_app(app)
    extensions.db.init_app(app)
    _configure_transactions(app)
    migrate.init_app(app, extensions.db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    login_manager.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    web.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    _install_audit()
    reactions.subscribe()
    if app.config.get("SCHEDULER_EMBEDDED"):
        start_embedded(app)
    return app


def _configure_transactions(app: Flask) -> None:
    """SQLite pragmas and early write locks, PostgreSQL's autocommit reads;
    registered before any other hook, so they come before the first statement."""
    db = extensions.db  # the name ``makerlab.db`` is the module of that name
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite_engine(db.engine)
            lock_early_for_writing_requests(app)
        elif db.engine.dialect.name == "postgresql":
            read_safe_requests_without_transaction(app, db)


_audit_installed = False


def _install_audit() -> None:
    """Attach the audit hook once per process (it is global to all sessions)."""
    global _audit_installed
    if _audit_installed:
        return

    audit.install(Session)
    _audit_installed = True


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` limited to what the databases can bind (``db.MAX_PATH_INT``)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_PATH_INT)
        super().__init__(map, *args, **kwargs)


def _configure_secret_key(app: Flask) -> None:
    """Production needs an explicit key; development keeps one in instance/."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("PRODUCTION"):
        raise RuntimeError(
            "MAKERLAB_SECRET_KEY is not set. Refusing to start in production without it."
        )
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _configure_database(app: Flask) -> None:
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = f"sqlite:///{Path(app.instance_path) / 'makerlab.sqlite3'}"
        app.config["SQLALCHEMY_DATABASE_URI"] = uri
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite") and ":memory:" not in uri and uri != "sqlite://":
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        options.setdefault("pool_size", 20)
        options.setdefault("max_overflow", 40)
    else:
        # No pre-ping: it costs a round trip on every request. Connections are
        # recycled before a server or firewall idle timeout cuts them; after a
        # database restart one request fails and the pool is renewed at once.
        options.setdefault("pool_recycle", 1800)
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 20)
        if uri.startswith("postgresql"):
            # PostgreSQL's JIT compiles the report's year-long pass for
            # 150-200 ms and wins nothing back; no query here is long enough
            # to profit (bench/README.md, "Reports for any period").
            options.setdefault("connect_args", {"options": "-c jit=off"})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

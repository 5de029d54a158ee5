"""``flask backup --output F`` and ``flask restore F``.

SQLite: SQLite's online backup API (consistent while the app runs).
PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.engine import make_url

from makerlab.extensions import db


def _sqlite_path() -> Path:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if not url.database or url.database == ":memory:":
        raise click.ClickException("An in-memory database cannot be backed up.")
    return Path(url.database)


def _pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = ["--dbname", str(url.database)]
    if url.host:
        args += ["--host", str(url.host)]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", str(url.username)]
    return env, args


def _pg_tool(name: str) -> str:
    """The newest installed client binary (pg_dump must not be older than the server)."""
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise click.ClickException(f"{name} is not installed (Debian: postgresql-client).")
    return found


def _private_file(path: Path) -> None:
    """Create ``path`` empty, readable and writable by its owner only (0600).

    A backup holds children's personal data: it is private from the first
    byte, whatever the umask, and an existing file is narrowed too.
    """
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    path.chmod(0o600)


def backup_database(output: Path) -> None:
    """Write a consistent copy of the database to ``output`` (mode 0600)."""
    dialect = db.engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise click.ClickException(f"Backups of {dialect} are not supported.")
    _private_file(output)
    if dialect == "sqlite":
        source = sqlite3.connect(_sqlite_path())
        target = sqlite3.connect(output)
        with target:
            source.backup(target)
        target.close()
        source.close()
    elif dialect == "postgresql":
        env, args = _pg_env_and_args()
        subprocess.run(
            [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(output), *args],
            env=env,
            check=True,
        )
    output.chmod(0o600)


def restore_database(source: Path) -> None:
    """Replace the database's contents with the backup in ``source``."""
    db.session.remove()
    db.engine.dispose()
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        backup = sqlite3.connect(source)
        target = sqlite3.connect(_sqlite_path())
        with target:
            backup.backup(target)
        target.close()
        backup.close()
    elif dialect == "postgresql":
        env, args = _pg_env_and_args()
        subprocess.run(
            [
                _pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                str(source),
            ],
            env=env,
            check=True,
        )
    else:
        raise click.ClickException(f"Restoring {dialect} is not supported.")


@click.command("backup")
@click.option("--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def backup_command(output: Path) -> None:
    """Write a backup of the database to a file."""
    backup_database(output)
    click.echo(f"Backup written to {output} ({output.stat().st_size} bytes).")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation at a terminal.")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database with a backup made by ``backup``."""
    # Ask only a person at a terminal; scripts and cron (no TTY) run as told.
    asked = sys.stdin.isatty() and not yes
    if asked and not click.confirm("This replaces all current data. Continue?", default=False):
        raise SystemExit(1)
    restore_database(source)
    click.echo(f"Restored from {source}.")

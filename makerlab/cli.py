"""Command-line interface: ``flask --app wsgi <group> <command>``."""

from __future__ import annotations

import click
from flask import Flask

from makerlab.backup import backup_command, restore_command
from makerlab.demo import demo_cli
from makerlab.domains import domain_modules
from makerlab.errors import DomainError
from makerlab.extensions import db


def fail(error: DomainError) -> None:
    """Print a service's refusal and exit with status 1."""
    db.session.rollback()
    errors = getattr(error, "errors", None)
    if errors:
        for field, messages in errors.items():
            click.echo(f"{field}: {' '.join(messages)}", err=True)
    else:
        click.echo(error.detail, err=True)
    raise SystemExit(1)


def init_app(app: Flask) -> None:
    """Register ``demo``, backups and every domain's ``cli.commands`` (``users`` is auth's)."""
    app.cli.add_command(demo_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    for module in domain_modules("cli"):
        for command in module.commands:
            app.cli.add_command(command)

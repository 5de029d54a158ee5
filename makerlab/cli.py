"""Command-line interface: ``flask --app wsgi <group> <command>``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from makerlab.errors import DomainError
from makerlab.extensions import db

users_cli = AppGroup("users", help="Manage accounts and API tokens.")


def fail(error: DomainError) -> None:
    db.session.rollback()
    errors = getattr(error, "errors", None)
    if errors:
        for field, messages in errors.items():
            click.echo(f"{field}: {' '.join(messages)}", err=True)
    else:
        click.echo(error.detail, err=True)
    raise SystemExit(1)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "coordinator", "youth_worker", "teacher"]),
)
@click.option("--school-id", type=int, default=None, help="Required for teachers.")
@click.option("--password", default=None, help="Generated and printed when omitted.")
@click.option("--name", default="")
def create_user_command(
    email: str, role: str, school_id: int | None, password: str | None, name: str
) -> None:
    """Create an account."""
    import secrets

    from makerlab.audit import set_actor
    from makerlab.auth import services

    generated = password is None
    password = password or secrets.token_urlsafe(12)
    set_actor(db.session, None)
    try:
        user = services.create_user(email, role, password, name=name, school_id=school_id)
    except DomainError as error:
        fail(error)
        return
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")
    if generated:
        click.echo(f"Password: {password}")


@users_cli.command("token")
@click.option("--email", required=True)
@click.option("--label", default="cli")
def token_command(email: str, label: str) -> None:
    """Print a new API token for the account."""
    import sqlalchemy as sa

    from makerlab.audit import set_actor
    from makerlab.auth import services
    from makerlab.auth.models import User

    user = db.session.scalar(sa.select(User).where(User.email == services.normalise_email(email)))
    if user is None or not user.active:
        click.echo(f"No active account with e-mail {email}.", err=True)
        raise SystemExit(1)
    set_actor(db.session, user)
    token = services.issue_token(user, label)
    db.session.commit()
    click.echo(token)


def init_app(app: Flask) -> None:
    """Register ``users``, ``demo`` and every domain's ``cli.commands``."""
    from makerlab.backup import backup_command, restore_command
    from makerlab.demo import demo_cli
    from makerlab.web import domain_modules

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    for module in domain_modules("cli"):
        for command in module.commands:
            app.cli.add_command(command)

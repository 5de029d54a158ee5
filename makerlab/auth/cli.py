"""``flask --app wsgi users ...``: accounts, passwords and API tokens from the shell."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from makerlab.audit import set_actor
from makerlab.auth import services
from makerlab.auth.models import User
from makerlab.cli import fail
from makerlab.enums import Role
from makerlab.errors import DomainError
from makerlab.extensions import db

users_cli = AppGroup("users", help="Manage accounts and API tokens.")


def _account(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == services.normalise_email(email)))
    if user is None:
        click.echo(f"No account with e-mail {email}.", err=True)
        raise SystemExit(1)
    return user


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--school-id", type=int, default=None, help="Required for teachers.")
@click.option(
    "--password",
    default=None,
    help="Without it the person gets an e-mail with a link (valid 7 days) to choose one.",
)
@click.option("--name", default="")
def create_user_command(
    email: str, role: str, school_id: int | None, password: str | None, name: str
) -> None:
    """Create an account."""
    set_actor(db.session, None)
    try:
        user = services.create_user(email, role, password, name=name, school_id=school_id)
    except DomainError as error:
        fail(error)
        return
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")
    if password is None:
        click.echo(
            f"An invitation to choose a password (link valid 7 days) is queued for {user.email}."
        )


@users_cli.command("set-password")
@click.option("--email", required=True)
@click.option(
    "--password",
    prompt="New password",
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for (hidden) when omitted.",
)
def set_password_command(email: str, password: str) -> None:
    """Set an account's password; its sessions and API tokens end."""
    user = _account(email)
    set_actor(db.session, None)
    try:
        services.set_password(user, password)
    except DomainError as error:
        fail(error)
        return
    db.session.commit()
    click.echo(f"Password of {user.email} set; its sessions and API tokens have ended.")


def _set_active(email: str, active: bool) -> None:
    user = _account(email)
    set_actor(db.session, None)
    try:
        services.update_user(None, user, {"active": active})
    except DomainError as error:
        fail(error)
        return
    db.session.commit()
    click.echo(f"{user.email} is {'active' if active else 'deactivated'}.")


@users_cli.command("activate")
@click.option("--email", required=True)
def activate_command(email: str) -> None:
    """Let an account log in again."""
    _set_active(email, True)


@users_cli.command("deactivate")
@click.option("--email", required=True)
def deactivate_command(email: str) -> None:
    """Lock an account: its sessions and API tokens end (never the last active admin)."""
    _set_active(email, False)


@users_cli.command("token")
@click.option("--email", required=True)
@click.option("--label", default="cli")
def token_command(email: str, label: str) -> None:
    """Print a new API token for the account."""
    user = _account(email)
    if not user.active:
        click.echo(f"No active account with e-mail {email}.", err=True)
        raise SystemExit(1)
    set_actor(db.session, user)
    token = services.issue_token(user, label)
    db.session.commit()
    click.echo(token)


commands = [users_cli]

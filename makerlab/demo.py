"""``flask demo seed``: a realistic demo centre to explore the app."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from makerlab.demo_data import existing_demo_logins, seed

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when accounts exist already.")
def seed_command(if_empty: bool) -> None:
    """Fill the database with the demo centre and print the demo logins."""
    logins = seed(if_empty=if_empty)
    if logins is None:
        click.echo("Demo data already present; nothing added.")
        logins = existing_demo_logins()
        if not logins:
            return
    click.echo("Demo logins (e-mail / password):")
    for role, email, password in logins:
        click.echo(f"  {role:<13} {email:<32} {password}")

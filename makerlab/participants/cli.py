"""``flask --app wsgi participants purge-inactive`` (the retention rule, SPEC 13)."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from makerlab.audit import set_actor
from makerlab.extensions import db
from makerlab.participants import services

participants_group = AppGroup("participants", help="Participant data: retention.")


@participants_group.command("purge-inactive")
@click.option("--dry-run", is_flag=True, help="Only count who would be erased.")
def purge_inactive_command(dry_run: bool) -> None:
    """Erase participants without activity for RETENTION_MONTHS (prints counts, never names)."""
    months = current_app.config.get("RETENTION_MONTHS")
    if dry_run:
        due = db.session.scalar(
            sa.select(sa.func.count()).select_from(services.inactive_participants().subquery())
        )
        click.echo(f"{due} participant(s) inactive for {months} months would be erased.")
        return
    set_actor(db.session, None)
    erased = services.purge_inactive()
    db.session.commit()
    click.echo(f"Erased {erased} participant(s) inactive for {months} months.")


commands = [participants_group]

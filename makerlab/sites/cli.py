"""``flask --app wsgi closures holidays|import``: closures from holidays or a calendar file."""

from __future__ import annotations

from typing import IO

import click
from flask.cli import AppGroup

from makerlab.cli import fail
from makerlab.errors import DomainError
from makerlab.extensions import db
from makerlab.planning.impact import replan_closures
from makerlab.sites import closure_imports, services
from makerlab.sites.models import Site

closures_group = AppGroup("closures", help="Days a site is closed: public holidays, school breaks.")

WHY = {
    "timed": "not an all-day event",
    "recurring": "repeating events are not imported",
    "cancelled": "cancelled",
    "out_of_range": "outside the years the app accepts",
    "broken": "no readable start date",
}


def _site(site_id: int) -> Site:
    site = services.find_site(site_id)
    if site is None:
        raise click.BadParameter(f"no site with id {site_id}", param_hint="--site-id")
    return site


@closures_group.command("holidays")
@click.option("--site-id", type=int, required=True)
@click.option("--year", type=int, required=True)
@click.option(
    "--state",
    type=click.Choice(sorted(closure_imports.STATES), case_sensitive=False),
    default=None,
    help="German state (default: HOLIDAY_STATE, ST = Sachsen-Anhalt).",
)
def holidays_command(site_id: int, year: int, state: str | None) -> None:
    """Add a German state's public holidays of YEAR as closures (again: adds nothing)."""
    site = _site(site_id)
    try:
        result = closure_imports.add_public_holidays(
            None, site, year=year, state=state.upper() if state else None
        )
        affected = replan_closures(result.added, site)
        db.session.commit()
    except DomainError as error:
        fail(error)
    click.echo(f"{len(result.added)} closure(s) added, {result.existing} already there.")
    for closure in result.added:
        click.echo(f"  {closure.starts_on.isoformat()}  {closure.reason}")
    _echo_affected(affected)


@closures_group.command("import")
@click.option("--site-id", type=int, required=True)
@click.argument("file", type=click.File("rb"))
def import_command(site_id: int, file: IO[bytes]) -> None:
    """Add the all-day events of an iCalendar FILE (school breaks) as closures."""
    site = _site(site_id)
    try:
        result = closure_imports.import_closures_ics(
            None, site, file.read(closure_imports.ICS_MAX_BYTES + 1)
        )
        affected = replan_closures(result.added, site)
        db.session.commit()
    except DomainError as error:
        fail(error)
    click.echo(f"{len(result.added)} closure(s) added, {result.existing} already there.")
    for closure in result.added:
        click.echo(
            f"  {closure.starts_on.isoformat()} - {closure.ends_on.isoformat()}  {closure.reason}"
        )
    if result.ignored:
        click.echo(f"{len(result.ignored)} event(s) ignored:")
        for item in result.ignored:
            day = item.day.isoformat() if item.day else "?"
            click.echo(f"  {day}  {item.summary}: {WHY[item.why]}")
    _echo_affected(affected)


def _echo_affected(affected: dict[str, list[int]]) -> None:
    """Which future bookings and sessions the new closures hit (now flagged, people told)."""
    if affected["bookings"] or affected["sessions"]:
        click.echo(
            f"Needs attention: {len(affected['bookings'])} booking(s) "
            f"{affected['bookings']}, {len(affected['sessions'])} session(s) "
            f"{affected['sessions']}; the people concerned are told."
        )


commands = [closures_group]

"""``flask --app wsgi report weekly --week YYYY-Www --format pdf|csv|xlsx|json --output F``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from makerlab.cli import fail
from makerlab.errors import DomainError
from makerlab.reports import exports, services

report_group = AppGroup("report", help="Usage reports.")


@report_group.command("weekly")
@click.option("--week", required=True, help="ISO week, e.g. 2027-W12.")
@click.option("--site-id", type=int, default=None, help="One site; all sites when left out.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "csv", "xlsx", "json"]),
              required=True)
@click.option("--table", type=click.Choice(["units", "categories", "workshops", "age_bands"]),
              default="units", show_default=True, help="CSV only: which table.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write ('-' for standard output).")
def weekly_command(week: str, site_id: int | None, fmt: str, table: str, output: Path) -> None:
    """Write the weekly usage report of a week to a file."""
    try:
        if fmt == "pdf":
            report = services.build_weekly_report_with_comparison(week, site_id)
            data = exports.render_pdf(report, report["comparison"])
        else:
            report = services.build_weekly_report(week, site_id)
            if fmt == "csv":
                data = exports.to_csv(report, table)
            elif fmt == "xlsx":
                data = exports.to_xlsx(report)
            else:
                data = (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode()
    except DomainError as error:
        fail(error)
        return
    if str(output) == "-":
        sys.stdout.buffer.write(data)
        return
    output.write_bytes(data)
    click.echo(f"Wrote {output} ({len(data)} bytes).", err=True)


commands = [report_group]

"""``flask --app wsgi report weekly|period|open-data|combine ...``: reports as files.

Files are written in ``--lang`` (default: the centre's language, German):
headings, category names, numbers and dates of CSV, XLSX and PDF.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from makerlab.cli import fail
from makerlab.errors import DomainError, Invalid
from makerlab.reports import exports, opendata, services
from makerlab.reports.tables import PERIOD_TABLES, WEEKLY_TABLES, tables_of

report_group = AppGroup("report", help="Usage reports and open data.")

FORMAT = click.option("--format", "fmt", type=click.Choice(["pdf", "csv", "xlsx", "json"]),
                      required=True)
OUTPUT = click.option("--output", required=True,
                      type=click.Path(dir_okay=False, path_type=Path),
                      help="File to write ('-' for standard output).")
SITE = click.option("--site-id", type=int, default=None,
                    help="One site; all sites when left out.")
LANG = click.option("--lang", type=click.Choice(["de", "en"]), default=None,
                    help="Language of the file (default: the centre's, German).")


def to_json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


def _write(output: Path, data: bytes) -> None:
    if str(output) == "-":
        sys.stdout.buffer.write(data)
        return
    output.write_bytes(data)
    click.echo(f"Wrote {output} ({len(data)} bytes).", err=True)


def _run(lang: str | None, output: Path, build: Callable[[], bytes]) -> None:
    """Build in ``lang`` and write; a domain error ends the command with its message."""
    try:
        with force_locale(lang or str(current_app.config["BABEL_DEFAULT_LOCALE"])):
            data = build()
    except DomainError as error:
        fail(error)
        return
    _write(output, data)


def _file(report: dict[str, Any], fmt: str, table: str) -> bytes:
    if fmt == "pdf":
        return exports.render_pdf(report)
    if fmt == "csv":
        if table not in tables_of(report):
            raise Invalid({"table": [f"choose one of: {', '.join(tables_of(report))}"]})
        return exports.to_csv(report, table)
    if fmt == "xlsx":
        return exports.to_xlsx(report)
    return to_json(report)


@report_group.command("weekly")
@click.option("--week", required=True, help="ISO week, e.g. 2027-W12.")
@SITE
@FORMAT
@click.option("--table", type=click.Choice(list(WEEKLY_TABLES)), default="units",
              show_default=True, help="CSV only: which table.")
@OUTPUT
@LANG
def weekly_command(week: str, site_id: int | None, fmt: str, table: str, output: Path,
                   lang: str | None) -> None:
    """Write the weekly usage report of a week to a file."""
    def build() -> bytes:
        if fmt == "pdf":
            return exports.render_pdf(services.build_weekly_report_with_comparison(week, site_id))
        return _file(services.build_weekly_report(week, site_id), fmt, table)

    _run(lang, output, build)


@report_group.command("period")
@click.option("--from", "first", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Day after the last day (exclusive).")
@SITE
@FORMAT
@click.option("--table", type=click.Choice(list(PERIOD_TABLES)), default="months",
              show_default=True, help="CSV only: which table.")
@OUTPUT
@LANG
def period_command(first: str, end: str, site_id: int | None, fmt: str, table: str,
                   output: Path, lang: str | None) -> None:
    """Write the usage report of the days [--from, --to) to a file."""
    _run(lang, output,
         lambda: _file(services.build_period_report(first, end, site_id), fmt, table))


@report_group.command("open-data")
@click.option("--from", "first", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Day after the last day (exclusive).")
@OUTPUT
def open_data_command(first: str, end: str, output: Path) -> None:
    """Write this centre's anonymous figures (open-data schema version 1) as JSON."""
    _run(None, output, lambda: to_json(opendata.build_open_data(first, end)))


@report_group.command("combine")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@OUTPUT
def combine_command(files: tuple[Path, ...], output: Path) -> None:
    """Merge open-data exports of several centres (same period and schema) into one."""
    def build() -> bytes:
        documents = []
        for path in files:
            try:
                documents.append((path.name, json.loads(path.read_text(encoding="utf-8"))))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise Invalid({"files": [f"{path.name} is not JSON: {error}"]}) from None
        return to_json(opendata.combine(documents))

    _run(None, output, build)


commands = [report_group]

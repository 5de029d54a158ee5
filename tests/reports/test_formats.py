"""The same hand-computed week in every format: JSON, CSV, XLSX, PDF, HTML and the CLI."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.reports.conftest import (
    EXPECTED_AGE_BANDS,
    EXPECTED_UNITS,
    EXPECTED_WORKSHOPS,
    OPEN_MINUTES,
    PARTICIPANT_NAMES,
    WEEK,
)


def _no_names(text: str) -> None:
    for name in PARTICIPANT_NAMES:
        assert name not in text, f"participant name {name!r} leaked into the report"


def test_json_route(scenario: dict[str, Any], api_as: Any) -> None:
    api = api_as("youth_worker")
    response = api.get(f"/api/v1/reports/weekly?week={WEEK}&site_id=1")
    assert response.status_code == 200
    body = response.get_json()
    units = {u["name"]: u for u in body["units"]}
    for name, (category, minutes, bookings, loans, overdue) in EXPECTED_UNITS.items():
        assert units[name]["category"] == category
        assert units[name]["booked_minutes"] == minutes
        assert round(units[name]["booked_hours"] * 60) == minutes
        assert units[name]["open_hours"] * 60 == OPEN_MINUTES
        assert (units[name]["bookings"], units[name]["loans"],
                units[name]["overdue_returns"]) == (bookings, loans, overdue)
    assert body["workshops"] == EXPECTED_WORKSHOPS
    assert body["age_bands"] == EXPECTED_AGE_BANDS
    _no_names(response.get_data(as_text=True))
    all_sites = api.get(f"/api/v1/reports/weekly?week={WEEK}").get_json()
    assert all_sites["site_id"] is None and all_sites["totals"] == body["totals"]


@pytest.mark.parametrize("query", ["week=2027-W54", "week=2027W12", "", "week=2027-W12&site_id=99",
                                   "week=2027-W12&site_id=x"])
def test_json_route_refuses_bad_input(app: Any, api_as: Any, query: str) -> None:
    response = api_as("coordinator").get(f"/api/v1/reports/weekly?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"]


def test_json_route_is_for_staff(app: Any, api_as: Any) -> None:
    assert api_as("teacher").get(f"/api/v1/reports/weekly?week={WEEK}").status_code == 403


def _csv(client: Any, table: str, extra: str = "") -> list[dict[str, str]]:
    response = client.get(f"/reports/weekly/{WEEK}.csv?site_id=1&table={table}{extra}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    _no_names(text)
    delimiter = ";" if "decimal=comma" in extra else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def test_csv_tables(scenario: dict[str, Any], client: Any, login_as: Any) -> None:
    login_as("coordinator")
    units = {row["name"]: row for row in _csv(client, "units")}
    for name, (category, minutes, bookings, loans, overdue) in EXPECTED_UNITS.items():
        row = units[name]
        assert row["category"] == category
        assert int(row["booked_minutes"]) == minutes
        assert round(float(row["booked_hours"]) * 60) == minutes
        assert int(row["open_minutes"]) == OPEN_MINUTES
        assert (int(row["bookings"]), int(row["loans"]), int(row["overdue_returns"])) == (
            bookings, loans, overdue)
    categories = {row["category"]: row for row in _csv(client, "categories")}
    assert int(categories["3d_printer"]["booked_minutes"]) == 290
    assert int(categories["3d_printer"]["units"]) == 2
    (workshops,) = _csv(client, "workshops")
    assert {k: int(workshops[k]) for k in EXPECTED_WORKSHOPS} == EXPECTED_WORKSHOPS
    bands = {row["age_band"]: int(row["participants"]) for row in _csv(client, "age_bands")}
    assert bands == EXPECTED_AGE_BANDS
    german = {row["name"]: row for row in _csv(client, "units", "&decimal=comma")}
    assert german["Podcast-Koffer 1"]["booked_hours"] == "66"
    assert german["Prusa MK4 #1"]["booked_hours"] == "4,8333"
    assert client.get(f"/reports/weekly/{WEEK}.csv?table=names").status_code == 422


def test_xlsx_workbook(scenario: dict[str, Any], client: Any, login_as: Any) -> None:
    login_as("youth_worker")
    response = client.get(f"/reports/weekly/{WEEK}.xlsx?site_id=1")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["units", "categories", "workshops", "age_bands"]
    rows = list(book["units"].iter_rows(values_only=True))
    header = rows[0]
    units = {r[header.index("name")]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    for name, (_category, minutes, bookings, loans, overdue) in EXPECTED_UNITS.items():
        row = units[name]
        assert isinstance(row["booked_hours"], float | int)
        assert round(row["booked_hours"] * 60) == minutes
        assert row["booked_minutes"] == minutes and row["open_minutes"] == OPEN_MINUTES
        assert (row["bookings"], row["loans"], row["overdue_returns"]) == (bookings, loans, overdue)
    workshop_rows = list(book["workshops"].iter_rows(values_only=True))
    assert dict(zip(workshop_rows[0], workshop_rows[1], strict=True)) == {
        "week": WEEK, **EXPECTED_WORKSHOPS}
    bands = dict(list(book["age_bands"].iter_rows(values_only=True))[1:])
    assert bands == EXPECTED_AGE_BANDS
    cells = " ".join(str(c) for s in book for r in s.iter_rows(values_only=True) for c in r)
    _no_names(cells)


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_pdf_shows_the_figures_to_the_minute(scenario: dict[str, Any], client: Any,
                                             login_as: Any, tmp_path: Path) -> None:
    login_as("coordinator")
    response = client.get(f"/reports/weekly/{WEEK}.pdf?site_id=1")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _pdf_text(response.get_data(), tmp_path)
    _no_names(text)
    info = subprocess.run(["pdfinfo", "-"], input=response.get_data(), capture_output=True,
                          check=True).stdout.decode()
    assert re.search(r"Pages:\s+2\b", info)
    lines = {line.strip().split("  ")[0]: line for line in text.splitlines() if line.strip()}
    for name, (_category, minutes, bookings, loans, overdue) in EXPECTED_UNITS.items():
        line = lines[name]
        hours = f"{minutes // 60}:{minutes % 60:02d}"
        assert re.search(rf"\s{re.escape(hours)}\s+56:00\s", line), line
        assert line.split()[-3:] == [str(bookings), str(loans), str(overdue)], line
    assert "56:00" in text and "98:20" in text  # total booked 5900 minutes
    assert "22.03.2027" in text and "28.03.2027" in text


def test_html_page(scenario: dict[str, Any], client: Any, login_as: Any) -> None:
    login_as("coordinator")
    response = client.get(f"/reports/weekly?week={WEEK}&site_id=1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    _no_names(html)
    assert html.count("<svg") >= 2 and "chart-heatmap" in html and "chart-bars" in html
    assert "2027-W11" in html and "2026-W12" in html  # previous week and last year
    assert "Podcast-Koffer 1" in html and "66:00" in html
    assert f"/reports/weekly/{WEEK}.pdf" in html
    assert "<script" not in html.split('id="main"')[1].split("</main>")[0]


def test_html_page_defaults_to_last_week_and_explains_bad_weeks(app: Any, client: Any,
                                                                 login_as: Any) -> None:
    import datetime as dt

    from makerlab import clock

    clock.set_frozen(dt.datetime(2027, 3, 29, 9, tzinfo=dt.UTC))
    login_as("youth_worker")
    page = client.get("/reports/weekly")
    assert page.status_code == 200 and 'value="2027-W12"' in page.get_data(as_text=True)
    bad = client.get("/reports/weekly?week=2027-W99")
    assert bad.status_code == 422 and "2027" in bad.get_data(as_text=True)
    assert client.get("/reports/weekly/2027-W99.pdf").status_code == 422
    assert client.get(f"/reports/weekly/{WEEK}.doc").status_code == 404


def test_teachers_do_not_see_reports(app: Any, client: Any, login_as: Any) -> None:
    login_as("teacher")
    assert client.get("/reports/weekly").status_code == 403
    assert client.get(f"/reports/weekly/{WEEK}.csv").status_code == 403


def test_cli_writes_every_format(scenario: dict[str, Any], runner: Any, tmp_path: Path) -> None:
    import json

    for fmt in ("json", "csv", "xlsx", "pdf"):
        target = tmp_path / f"report.{fmt}"
        result = runner.invoke(args=["report", "weekly", "--week", WEEK, "--site-id", "1",
                                     "--format", fmt, "--output", str(target)])
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 0
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["workshops"] == EXPECTED_WORKSHOPS
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    bad = runner.invoke(args=["report", "weekly", "--week", "2027-W60", "--format", "json",
                              "--output", str(tmp_path / "x.json")])
    assert bad.exit_code == 1 and "week" in bad.output


def test_render_pdf_needs_no_request(scenario: dict[str, Any], tmp_path: Path) -> None:
    """The scheduler attaches the PDF to the Monday e-mail from a job (app context only)."""
    from flask import has_request_context

    from makerlab.reports.exports import render_pdf
    from makerlab.reports.services import build_weekly_report

    assert not has_request_context()
    data = render_pdf(build_weekly_report(WEEK, 1))
    assert data.startswith(b"%PDF")
    text = _pdf_text(data, tmp_path)
    assert "2027-W11" in text and "2026-W12" in text  # comparisons built on the way
    assert "98:20" in text
    _no_names(text)

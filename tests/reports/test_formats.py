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


ENGLISH_CATEGORIES = {"3d_printer": "3D printer", "laser_cutter": "Laser cutter",
                      "podcast_kit": "Podcast kit", "synth_kit": "Synthesizer kit"}
ENGLISH_BANDS = {"under 10": "<10", "10 to 13": "10-13", "14 to 17": "14-17",
                 "18 and older": "18+"}


def _csv(client: Any, table: str, *, german: bool = False) -> list[dict[str, str]]:
    response = client.get(f"/reports/weekly/{WEEK}.csv?site_id=1&table={table}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    _no_names(text)
    return list(csv.DictReader(io.StringIO(text), delimiter=";" if german else ","))


def test_csv_tables_in_english(scenario: dict[str, Any], client: Any, login_as: Any) -> None:
    login_as("coordinator", locale="en")
    units = {row["Name"]: row for row in _csv(client, "units")}
    for name, (category, minutes, bookings, loans, overdue) in EXPECTED_UNITS.items():
        row = units[name]
        assert row["Category"] == ENGLISH_CATEGORIES[category]
        assert int(row["Booked minutes"]) == minutes
        assert round(float(row["Booked hours"]) * 60) == minutes
        assert int(row["Open minutes"]) == OPEN_MINUTES
        assert (int(row["Bookings"]), int(row["Loans"]), int(row["Overdue returns"])) == (
            bookings, loans, overdue)
    assert units["Prusa MK4 #1"]["Booked hours"] == "4.8333"
    categories = {row["Category"]: row for row in _csv(client, "categories")}
    assert int(categories["3D printer"]["Booked minutes"]) == 290
    assert int(categories["3D printer"]["Units"]) == 2
    (workshops,) = _csv(client, "workshops")
    assert workshops["Week"] == "Week 12 / 2027"  # as people read it, not the ISO code
    assert int(workshops["Young people reached"]) == EXPECTED_WORKSHOPS["participants_reached"]
    assert int(workshops["Schools reached"]) == EXPECTED_WORKSHOPS["schools_reached"]
    bands = {row["Age band"]: int(row["Participants"]) for row in _csv(client, "age_bands")}
    assert {ENGLISH_BANDS[k]: v for k, v in bands.items() if k in ENGLISH_BANDS} == (
        EXPECTED_AGE_BANDS)
    # Class pupils have no ages: their own row, so the table adds up to the reach.
    assert bands["age unknown"] == 0 and bands["class pupils, age unknown"] == 20
    assert sum(bands.values()) == EXPECTED_WORKSHOPS["participants_reached"]
    assert client.get(f"/reports/weekly/{WEEK}.csv?table=names").status_code == 422


def test_csv_tables_in_german(scenario: dict[str, Any], client: Any, login_as: Any) -> None:
    login_as("coordinator", locale="de")
    units = {row["Name"]: row for row in _csv(client, "units", german=True)}
    header = list(units["Prusa MK4 #1"])
    assert "Gebuchte Stunden" in header and "booked_hours" not in header
    assert units["Prusa MK4 #1"]["Kategorie"] == "3D-Drucker"
    assert units["Prusa MK4 #1"]["Gebuchte Stunden"] == "4,8333"
    assert units["Podcast-Koffer 1"]["Gebuchte Stunden"] == "66"
    assert units["Podcast-Koffer 1"]["Auslastung"].startswith("1,")
    bands = {row["Altersgruppe"]: row["Teilnehmende"] for row in
             _csv(client, "age_bands", german=True)}
    assert bands["unter 10"] == "1" and bands["Schulklassen, Alter unbekannt"] == "20"
    (workshops,) = _csv(client, "workshops", german=True)
    assert workshops["Woche"] == "KW 12 / 2027"


def test_xlsx_workbook_in_english(scenario: dict[str, Any], client: Any, login_as: Any) -> None:
    login_as("youth_worker", locale="en")
    response = client.get(f"/reports/weekly/{WEEK}.xlsx?site_id=1")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["Units", "Categories", "Workshops", "Age bands"]
    rows = list(book["Units"].iter_rows(values_only=True))
    header = rows[0]
    units = {r[header.index("Name")]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    for name, (category, minutes, bookings, loans, overdue) in EXPECTED_UNITS.items():
        row = units[name]
        assert row["Category"] == ENGLISH_CATEGORIES[category]
        assert isinstance(row["Booked hours"], float | int)
        assert round(row["Booked hours"] * 60) == minutes
        assert row["Booked minutes"] == minutes and row["Open minutes"] == OPEN_MINUTES
        assert (row["Bookings"], row["Loans"], row["Overdue returns"]) == (
            bookings, loans, overdue)
    workshop_rows = list(book["Workshops"].iter_rows(values_only=True))
    figures = dict(zip(workshop_rows[0], workshop_rows[1], strict=True))
    assert figures["Week"] == "Week 12 / 2027"
    assert book.properties.title == "Usage report Week 12 / 2027"
    assert figures["Young people reached"] == EXPECTED_WORKSHOPS["participants_reached"]
    bands = dict(list(book["Age bands"].iter_rows(values_only=True))[1:])
    assert {ENGLISH_BANDS[k]: v for k, v in bands.items() if k in ENGLISH_BANDS} == (
        EXPECTED_AGE_BANDS)
    cells = " ".join(str(c) for s in book for r in s.iter_rows(values_only=True) for c in r)
    _no_names(cells)


def test_xlsx_workbook_in_german(scenario: dict[str, Any], client: Any, login_as: Any) -> None:
    login_as("youth_worker", locale="de")
    book = load_workbook(io.BytesIO(client.get(f"/reports/weekly/{WEEK}.xlsx").get_data()))
    assert book.sheetnames == ["Geräte", "Kategorien", "Workshops", "Altersgruppen"]
    header = next(book["Kategorien"].iter_rows(values_only=True))
    assert header[:3] == ("Kategorie", "Geräte", "Gebuchte Stunden")
    names = [r[0] for r in list(book["Kategorien"].iter_rows(values_only=True))[1:]]
    assert "3D-Drucker" in names and "3d_printer" not in names
    workshop_rows = list(book["Workshops"].iter_rows(values_only=True))
    assert workshop_rows[1][workshop_rows[0].index("Woche")] == "KW 12 / 2027"
    assert book.properties.title == "Nutzungsbericht KW 12 / 2027"


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
    assert "Mo., 22. März 2027" in text and "So., 28. März 2027" in text


def test_html_page(scenario: dict[str, Any], client: Any, login_as: Any) -> None:
    login_as("coordinator")
    response = client.get(f"/reports/weekly?week={WEEK}&site_id=1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    _no_names(html)
    assert html.count("<svg") >= 2 and "chart-heatmap" in html and "chart-bars" in html
    read = html.replace("\xa0", " ")  # week headers keep "KW 11" together
    assert "KW 11 / 2027" in read and "KW 12 / 2026" in read  # previous week and last year
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
    field = re.search(r'<input[^>]*id="week"[^>]*>', page.get_data(as_text=True))
    assert page.status_code == 200 and field is not None
    assert 'value="KW 12 / 2027"' in field[0] and 'placeholder="KW 12 / 2027"' in field[0]
    assert "W12" not in field[0] and 'type="text"' in field[0]
    # What people type reaches the same week; the field shows it as the page does.
    for typed in ("KW 11 / 2027", "kw11/2027", "11/2027", "2027-W11"):
        other = client.get("/reports/weekly", query_string={"week": typed})
        assert other.status_code == 200, typed
        assert 'value="KW 11 / 2027"' in other.get_data(as_text=True), typed
    bad = client.get("/reports/weekly?week=2027-W99")
    assert bad.status_code == 422 and "2027" in bad.get_data(as_text=True)
    garbled = client.get("/reports/weekly", query_string={"week": "März"})
    text = garbled.get_data(as_text=True)
    assert garbled.status_code == 422 and 'value="März"' in text
    assert "Geben Sie die Woche als KW 12 / 2027, 12/2027 oder 2027-W12 an." in text
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
    # Comparisons built on the way: the week before and a year ago (headers wrap after "/").
    assert "KW 11 /" in text and text.count("KW 12 /") >= 3 and "2026" in text
    assert "98:20" in text
    _no_names(text)

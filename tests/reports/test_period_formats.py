"""The period report through the API, the page, its downloads and the CLI; school terms."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from makerlab import clock
from tests.reports.conftest import PARTICIPANT_NAMES, SPRING
from tests.reports.test_period import WORKSHOPS

SLUG = "_".join(SPRING)
QUERY = f"from={SPRING[0]}&to={SPRING[1]}"


def _no_names(text: str) -> None:
    for name in PARTICIPANT_NAMES:
        assert name not in text, f"participant name {name!r} leaked into the report"


def test_api_answers_the_period(spring: dict[str, Any], api_as: Any) -> None:
    api = api_as("youth_worker")
    response = api.get(f"/api/v1/reports?{QUERY}&site_id=1")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["from"], body["to"]) == SPRING
    assert body["workshops"] == WORKSHOPS
    assert [m["participants_reached"] for m in body["per_month"]] == [57, 15]
    assert body["class_pupils"] == 64 and body["per_school"] and body["per_workshop"]
    _no_names(response.get_data(as_text=True))
    assert api_as("teacher").get(f"/api/v1/reports?{QUERY}").status_code == 403


@pytest.mark.parametrize("query", ["", "from=2027-03-01", "from=2027-05-01&to=2027-03-01",
                                   "from=2027-13-01&to=2027-14-01", "from=x&to=y",
                                   f"{QUERY}&site_id=99"])
def test_api_refuses_bad_periods(app: Any, api_as: Any, query: str) -> None:
    response = api_as("coordinator").get(f"/api/v1/reports?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_page_offers_shortcuts_and_downloads(spring: dict[str, Any], client: Any,
                                            login_as: Any) -> None:
    login_as("coordinator", locale="en")
    page = client.get(f"/reports?{QUERY}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    _no_names(html)
    for chart in ("chart-months", "chart-categories", "chart-heatmap"):
        assert chart in html
    for fmt in ("pdf", "xlsx", "json"):
        assert f"/reports/{SLUG}.{fmt}" in html
    assert "Last 12 months" in html and "School year 2026/27" in html
    assert "class pupils, age unknown" in html
    default = client.get("/reports").get_data(as_text=True)  # the month before today (May)
    assert 'value="2027-04-01"' in default and 'value="2027-05-01"' in default
    bad = client.get("/reports?from=2027-05-01&to=2027-03-01")
    assert bad.status_code == 422


def test_downloads_in_english(spring: dict[str, Any], client: Any, login_as: Any) -> None:
    login_as("coordinator", locale="en")
    data = client.get(f"/reports/{SLUG}.json?site_id=1")
    assert data.status_code == 200 and "attachment" in data.headers["Content-Disposition"]
    assert json.loads(data.get_data())["workshops"] == WORKSHOPS
    raw = client.get(f"/reports/{SLUG}.csv?table=months").get_data().decode("utf-8-sig")
    months = list(csv.DictReader(io.StringIO(raw)))
    assert [m["Month"] for m in months] == ["March 2027", "April 2027"]
    assert [m["First day"] for m in months] == ["2027-03-01", "2027-04-01"]
    assert [int(m["Young people reached"]) for m in months] == [57, 15]
    book = load_workbook(io.BytesIO(client.get(f"/reports/{SLUG}.xlsx").get_data()))
    assert book.sheetnames == ["Summary", "Months", "Units", "Categories", "Workshops",
                               "Schools", "Age bands"]
    summary = list(book["Summary"].iter_rows(values_only=True))
    figures = dict(zip(summary[0], summary[1], strict=True))
    assert figures["First day"] == dt.datetime(2027, 3, 1)
    assert figures["Young people reached"] == 69
    cells = " ".join(str(c) for s in book for r in s.iter_rows(values_only=True) for c in r)
    _no_names(cells)
    assert client.get(f"/reports/{SLUG}.doc").status_code == 404
    assert client.get(f"/reports/{SLUG}.csv?table=names").status_code == 422


def test_downloads_in_german(spring: dict[str, Any], client: Any, login_as: Any) -> None:
    login_as("coordinator", locale="de")
    raw = client.get(f"/reports/{SLUG}.csv?table=months").get_data().decode("utf-8-sig")
    months = list(csv.DictReader(io.StringIO(raw), delimiter=";"))
    assert [m["Monat"] for m in months] == ["März 2027", "April 2027"]
    assert [m["Erster Tag"] for m in months] == ["01.03.2027", "01.04.2027"]
    assert months[0]["Gebuchte Stunden"] == "227,3333"  # 13,640 minutes
    book = load_workbook(io.BytesIO(client.get(f"/reports/{SLUG}.xlsx").get_data()))
    assert book.sheetnames == ["Übersicht", "Monate", "Geräte", "Kategorien", "Workshops",
                               "Schulen", "Altersgruppen"]
    first_day = book["Übersicht"]["A2"]
    assert first_day.value == dt.datetime(2027, 3, 1) and first_day.number_format == "DD.MM.YYYY"
    categories = [r[0] for r in list(book["Kategorien"].iter_rows(values_only=True))[1:]]
    assert "Podcast-Koffer" in categories and "podcast_kit" not in categories


def test_pdf_shows_the_period(spring: dict[str, Any], client: Any, login_as: Any,
                              tmp_path: Path) -> None:
    login_as("coordinator", locale="de")
    response = client.get(f"/reports/{SLUG}.pdf?site_id=1")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "period.pdf"
    pdf.write_bytes(response.get_data())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    _no_names(text)
    assert "Mo., 1. März 2027" in text and "30. Apr" in text
    assert "Nutzung je Monat" in text and "Schulklassen, Alter" in text
    assert "229:20" in text  # 13,760 minutes booked


def test_cli_writes_every_format_in_the_language_asked(spring: dict[str, Any], runner: Any,
                                                      tmp_path: Path) -> None:
    for fmt in ("json", "csv", "xlsx", "pdf"):
        target = tmp_path / f"period.{fmt}"
        result = runner.invoke(args=["report", "period", "--from", SPRING[0], "--to", SPRING[1],
                                     "--site-id", "1", "--format", fmt, "--output", str(target),
                                     "--lang", "en"])
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 0
    assert json.loads((tmp_path / "period.json").read_text())["workshops"] == WORKSHOPS
    assert (tmp_path / "period.csv").read_text(encoding="utf-8-sig").startswith("Month,")
    german = tmp_path / "monate.csv"
    result = runner.invoke(args=["report", "period", "--from", SPRING[0], "--to", SPRING[1],
                                 "--format", "csv", "--table", "schools", "--output",
                                 str(german)])
    assert result.exit_code == 0, result.output
    assert german.read_text(encoding="utf-8-sig").startswith("Name;Workshop-Termine;Klassen;")
    bad = runner.invoke(args=["report", "period", "--from", "2027-05-01", "--to", "2027-03-01",
                              "--format", "json", "--output", str(tmp_path / "x.json")])
    assert bad.exit_code == 1 and "to" in bad.output


def test_terms_through_the_api_and_the_page(app: Any, api_as: Any, client: Any,
                                           login_as: Any) -> None:
    clock.set_frozen(dt.datetime(2027, 5, 3, 8, tzinfo=dt.UTC))
    coord = api_as("coordinator")
    created = coord.post("/api/v1/sites/1/terms", json={
        "name": "Schuljahr 2026/27", "starts_on": "2026-08-01", "ends_on": "2027-07-31"})
    assert created.status_code == 201
    term = created.get_json()
    assert term["site_id"] == 1 and term["ends_on"] == "2027-07-31"
    assert coord.post("/api/v1/sites/1/terms", json={
        "name": "Schuljahr 2026/27", "starts_on": "2026-08-01",
        "ends_on": "2027-07-31"}).status_code == 422  # the name again
    assert coord.post("/api/v1/sites/1/terms", json={
        "name": "Verkehrt", "starts_on": "2027-08-01", "ends_on": "2027-07-31"}).status_code == 422
    assert coord.post("/api/v1/sites/99/terms", json={}).status_code == 404
    assert api_as("youth_worker").post("/api/v1/sites/1/terms", json={}).status_code == 403
    listed = api_as("youth_worker").get("/api/v1/sites/1/terms").get_json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "Schuljahr 2026/27"

    login_as("coordinator", locale="de")
    page = client.get("/reports").get_data(as_text=True)
    assert "Schuljahr 2026/27" in page
    assert "from=2026-08-01&amp;to=2027-08-01" in page  # ends_on inclusive, to exclusive
    added = client.post("/reports/terms", data={"name": "2. Halbjahr 2026/27",
                                                "starts_on": "2027-02-01",
                                                "ends_on": "2027-07-31"})
    assert added.status_code == 302
    terms = client.get("/reports/terms").get_data(as_text=True)
    assert "2. Halbjahr 2026/27" in terms
    refused = client.post("/reports/terms", data={"name": "X", "starts_on": "2027-02-01",
                                                  "ends_on": "2027-01-01"})
    assert refused.status_code == 422
    assert coord.delete(f"/api/v1/terms/{term['id']}").status_code == 204
    assert "Schuljahr 2026/27" not in client.get("/reports").get_data(as_text=True)

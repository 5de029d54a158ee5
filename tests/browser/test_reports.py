"""A coordinator opens the weekly report of a past week and downloads it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from makerlab import clock
from makerlab.bookings import services as bookings
from makerlab.equipment import services as equipment
from tests.browser.conftest import local

pytestmark = [pytest.mark.browser, pytest.mark.served]


def _download(page: Any, link: Any) -> tuple[str, bytes]:
    with page.expect_download() as info:
        link.click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_weekly_report_with_pdf_csv_and_xlsx(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    coordinator = make_user("coordinator")
    today = clock.today("Europe/Berlin")
    monday = today - dt.timedelta(days=today.weekday() + 14)  # two weeks ago
    year, week, _weekday = monday.isocalendar()
    label = f"{year}-W{week:02d}"
    # Bookings made in that week's past: the clock of this process is moved back.
    clock.set_frozen(local(monday, dt.time(7, 0)))
    laser = equipment.create_equipment(
        coordinator, name="Epilog Fusion Pro", category="laser_cutter"
    )
    kit = equipment.create_equipment(
        coordinator, name="Podcast-Koffer 1", category="podcast_kit", loanable=True
    )
    tuesday, wednesday = monday + dt.timedelta(days=1), monday + dt.timedelta(days=2)
    bookings.create_booking(
        coordinator,
        equipment_id=laser.id,
        starts_at=local(tuesday, dt.time(10, 0)),
        ends_at=local(tuesday, dt.time(12, 0)),
        purpose="Schilder",
    )
    bookings.create_booking(
        coordinator,
        equipment_id=kit.id,
        starts_at=local(wednesday, dt.time(14, 0)),
        ends_at=local(wednesday + dt.timedelta(days=1), dt.time(10, 0)),
        purpose="Interview",
    )
    clock.set_frozen(None)
    commit()

    log_in(coordinator)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Berichte"
    ).click()
    expect(page.get_by_role("heading", name="Nutzungsbericht")).to_be_visible()
    page.get_by_role("link", name="Wochenbericht mit Vergleichen").click()
    expect(page.get_by_role("heading", name="Wochenbericht Nutzung")).to_be_visible()
    field = page.get_by_label("Woche", exact=True)
    expect(field).to_have_attribute("placeholder", "KW 12 / 2027")
    field.fill(f"{week}/{year}")  # typed as people write it; the field shows it back as the page
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.locator("h1#report-title")).to_have_text(f"KW {week} / {year}")
    expect(field).to_have_value(f"KW {week} / {year}")
    report = page.locator("article.report")
    expect(report).to_contain_text("Epilog Fusion Pro")
    expect(report).to_contain_text("Podcast-Koffer 1")

    name, pdf = _download(page, page.get_by_role("link", name="PDF", exact=True))
    assert name == f"makerlab-report-{label}.pdf"
    assert pdf.startswith(b"%PDF")

    name, xlsx = _download(page, page.get_by_role("link", name="XLSX", exact=True))
    assert name == f"makerlab-report-{label}.xlsx"
    assert xlsx.startswith(b"PK")  # a zip container, as every .xlsx

    page.get_by_text("CSV", exact=True).click()  # opens the list of tables
    units_link = page.locator("details.csv-menu").get_by_role("link", name="Geräte", exact=True)
    name, data = _download(page, units_link)
    assert name == f"makerlab-report-{label}-units.csv"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))  # German
    names = {cell for row in rows[1:] for cell in row}
    assert {"Epilog Fusion Pro", "Podcast-Koffer 1"} <= names


def test_week_headers_of_the_key_figures_do_not_overlap(
    page: Any, log_in: Callable[[Any], None], make_user: Callable[..., Any]
) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(make_user("coordinator"))
    page.goto("/reports/weekly")
    headers = page.locator("table.comparison thead th")
    expect(headers).to_have_count(6)
    expect(headers.nth(1)).to_contain_text("KW")
    # Each header's text stays inside its own cell (it wraps after the slash).
    spill = headers.evaluate_all(
        "cells => cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent)"
    )
    assert spill == []
    week = headers.nth(1).inner_text()
    assert week.splitlines()[0].strip().startswith("KW") and "/" in week.splitlines()[0]

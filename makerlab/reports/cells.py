"""Spreadsheet cells that cannot run: text that starts like a formula is quoted.

A unit named ``=HYPERLINK("http://evil.example", "Info")`` would become a
live formula when a CSV or XLSX export is opened in Excel or LibreOffice
(CSV injection). Every text cell of every export passes through
:func:`safe_cell`, which puts an apostrophe in front of text starting with
``=``, ``+``, ``-``, ``@``, a tab or a line break, as OWASP recommends.
Numbers stay numbers (a negative number is not text).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """``value``, with an apostrophe in front if it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row of cells, each through :func:`safe_cell`."""
    return [safe_cell(value) for value in values]

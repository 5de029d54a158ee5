"""Unit codes such as ``P13-PK2``: the site's initials, the category's, a number.

A code is given once, when the unit is first saved, and never changes (a
printed label must keep working after a rename or a move). Migration 0011
gave existing units theirs with a frozen copy of these rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_LENGTH = 24
# What a scanned or typed code may look like once normalised (upper case).
CODE = re.compile(r"^[A-Z0-9]{1,8}-[A-Z0-9]{1,8}$")


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"[A-Za-z0-9]+", folded)


def site_prefix(site_name: str) -> str:
    """``Passage 13`` -> ``P13``: initials of the words, numbers in full (at most 4 signs)."""
    parts = [word if word.isdigit() else word[0] for word in _ascii_words(site_name)]
    return "".join(parts).upper()[:4] or "S"


def category_abbreviation(category: str) -> str:
    """``podcast_kit`` -> ``PK``, ``3d_printer`` -> ``3DP``: initials, leading digits kept."""
    parts = []
    for word in category.split("_"):
        match = re.match(r"\d*[a-z]?", word)
        parts.append(match.group(0) if match else "")
    return "".join(parts).upper()[:4] or "X"


def code_prefix(site_name: str, category: str) -> str:
    """What every code of this site and category starts with, before its number."""
    return f"{site_prefix(site_name)}-{category_abbreviation(category)}"


def next_number(prefix: str, taken: Iterable[str]) -> int:
    """One more than the highest number already used after ``prefix``."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)$")
    numbers = [int(m.group(1)) for code in taken if (m := pattern.match(code))]
    return max(numbers, default=0) + 1


def normalise(scanned: str) -> str:
    """The code in what a scanner typed: a bare code or a label's ``.../u/<code>`` URL."""
    text = (scanned or "").strip()
    if "/u/" in text:
        text = text.rsplit("/u/", 1)[1]
    text = re.split(r"[?#/\s]", text, maxsplit=1)[0]
    return text.upper()[:MAX_LENGTH]

"""Form helpers shared by every domain's forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """WTForms select choices from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]

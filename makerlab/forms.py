"""Form helpers shared by every domain's forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from makerlab import clock


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """WTForms select choices from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class DayField(DateField):
    """A date in the years every date keeps (``clock.year_problem``); browsers get min and max."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        render_kw = {"min": f"{clock.FIRST_YEAR}-01-01", "max": f"{clock.LAST_YEAR}-12-31"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def pre_validate(self, form: Any) -> None:
        problem = clock.year_problem(self.data)
        if problem:
            raise ValidationError(problem)

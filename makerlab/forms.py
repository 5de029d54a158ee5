"""Form helpers shared by every domain's forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from makerlab import clock


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """WTForms select choices from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def picker(multiple: bool = True) -> dict[str, Any]:
    """Attributes that turn a select of people into a search-as-you-type picker (picker.js)."""
    return {
        "data-picker": "",
        "data-picker-placeholder": _l("Type a name to search"),
        "data-picker-status": _l("{chosen} chosen · {shown} of {total} shown"),
        "data-picker-help": _l(
            "Optional. Type to search, then tick everyone who takes part. "
            "Induction, age and consent are checked."
        ) if multiple else _l("Type to search, then choose. Age range and consent are checked."),
    }


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

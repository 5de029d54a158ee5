from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired


class FeedForm(FlaskForm):
    """Which calendar to subscribe to (the unit only for a unit's calendar)."""

    kind = HiddenField(validators=[DataRequired()])
    equipment_id = SelectField(_l("Unit"), coerce=int, choices=[], validate_choice=False)

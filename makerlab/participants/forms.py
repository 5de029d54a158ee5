"""Participant forms: shape only; the registry's rules live in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from makerlab.forms import DayField, choices


class ParticipantForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    birth_date = DayField(_l("Date of birth"), validators=[Optional()])
    school_id = SelectField(_l("School"), coerce=int, choices=[])
    guardian_name = StringField(_l("Guardian's name"), validators=[Optional(), Length(max=200)])
    guardian_phone = TelField(
        _l("Guardian's phone (emergencies)"), validators=[Optional(), Length(max=50)]
    )
    guardian_email = EmailField(_l("Guardian's e-mail"), validators=[Optional(), Length(max=254)])
    guardian_consent = BooleanField(_l("A guardian has consented to participation"))
    guardian_consent_on = DayField(_l("Consent given on"), validators=[Optional()])
    photo_consent = BooleanField(_l("Photos and audio recordings allowed"))
    may_go_home_alone = BooleanField(_l("May go home alone"))
    evaluation_consent = BooleanField(_l("May be contacted for evaluation"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])


class InductionForm(FlaskForm):
    category = SelectField(_l("Equipment category"), choices=[])
    completed_on = DayField(_l("Completed on"), validators=[DataRequired()])
    valid_until = DayField(_l("Valid until (empty: no expiry)"), validators=[Optional()])


class EraseForm(FlaskForm):
    confirm = StringField(_l("Type the participant number to confirm"), validators=[DataRequired()])


class SearchForm(FlaskForm):
    q = StringField(_l("Name"), validators=[Optional(), Length(max=100)])
    school_id = SelectField(_l("School"), coerce=int, choices=[], validate_choice=False)


class GuardianChoicesForm(FlaskForm):
    """The guardian's four choices on the public page (labels come from the template)."""

    guardian = BooleanField()
    photo = BooleanField()
    home_alone = BooleanField()
    evaluation = BooleanField()


ANSWERS = choices([("", _l("not filled in")), ("yes", _l("yes")), ("no", _l("no"))])


class RecordConsentForm(FlaskForm):
    """Choices a family gave on paper (or a young person told staff), and when."""

    source = RadioField(
        _l("Given"),
        choices=choices(
            [("paper", _l("on a signed paper form")), ("staff", _l("in person, to staff"))]
        ),
        default="paper",
    )
    guardian = RadioField(_l("Taking part"), choices=ANSWERS, default="")
    photo = RadioField(_l("Photos and audio"), choices=ANSWERS, default="")
    home_alone = RadioField(_l("Going home alone"), choices=ANSWERS, default="")
    evaluation = RadioField(_l("Contact for evaluation"), choices=ANSWERS, default="")
    given_on = DayField(_l("Given on"), validators=[DataRequired()])


class ConsentRequestForm(FlaskForm):
    language = SelectField(
        _l("Language of the e-mail"),
        choices=choices([("de", "Deutsch"), ("en", "English")]),
        default="de",
    )

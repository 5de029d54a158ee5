from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from makerlab.enums import Role
from makerlab.forms import choices

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.YOUTH_WORKER: _l("Youth worker"),
    Role.TEACHER: _l("Teacher"),
}


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Stay logged in on this device"))


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    role = SelectField(
        _l("Role"), choices=choices((r.value, label) for r, label in ROLE_LABELS.items())
    )
    school_id = SelectField(_l("School (teachers only)"), coerce=int, choices=[])
    locale = SelectField(
        _l("Language"),
        default="",
        choices=choices([("", _l("Browser default")), ("de", "Deutsch"), ("en", "English")]),
    )
    active = BooleanField(_l("Account active"), default=True)
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},  # never the admin's own, autofilled
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    keep_tokens = BooleanField(_l("Keep my API tokens"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class TokenForm(FlaskForm):
    label = StringField(_l("What is the token for?"), validators=[Optional(), Length(max=80)])

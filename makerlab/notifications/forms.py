from __future__ import annotations

from flask_wtf import FlaskForm


class ResendForm(FlaskForm):
    """The re-send button: no fields, only the CSRF token."""

"""E-mail addresses: the one check for every address the app stores (``email-validator``)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

MAX_LENGTH = 254


def problem(address: str) -> str | None:
    """Why ``address`` cannot receive mail, or None; the domain is not looked up (no DNS)."""
    if len(address) > MAX_LENGTH:
        return _("At most %(num)d characters.", num=MAX_LENGTH)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return _("Not a valid e-mail address.")
    return None

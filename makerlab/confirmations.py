"""Asking before an irreversible action: one page, also shown as a dialog.

Every irreversible action has a GET page that says what will happen (the
numbers come from the domain's service) and a form that POSTs to the same
address. A link to that page marked ``data-confirm`` (the ``confirm_link``
macro) opens the same text in a ``<dialog>`` instead (``static/confirm.js``
fetches the page with ``X-Confirm-Dialog: 1`` and gets the body alone), so
without JavaScript nothing is lost, and the dialog and the page cannot say
different things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

DIALOG_HEADER = "X-Confirm-Dialog"


class ConfirmForm(FlaskForm):
    """Only the CSRF token: pressing the button is the whole answer."""


@dataclass
class Confirmation:
    """What the question says: ``consequences`` are whole sentences, the first the main one."""

    title: str
    consequences: list[str]
    button: str
    form: FlaskForm
    back_url: str
    keep: Any = field(default_factory=lambda: _l("Keep it"))
    # Other questions instead (url, label), e.g. the whole series instead of one date.
    alternatives: list[tuple[str, str]] = field(default_factory=list)
    # Plain links that help before answering (url, label), e.g. a data export.
    links: list[tuple[str, str]] = field(default_factory=list)
    # Where the form posts: the page's own address (with its query) unless given.
    action: str | None = None


def wants_dialog() -> bool:
    """True when ``confirm.js`` asks for the question alone, to show it in a dialog."""
    return request.headers.get(DIALOG_HEADER) == "1"


def render_confirmation(confirmation: Confirmation, status: int = 200) -> Any:
    """The confirmation page, or its body alone for the dialog."""
    if confirmation.action is None:
        confirmation.action = request.full_path.rstrip("?")
    template = "confirm/dialog.html" if wants_dialog() else "confirm/page.html"
    response = make_response(render_template(template, c=confirmation), status)
    response.headers["Vary"] = DIALOG_HEADER
    response.headers["Cache-Control"] = "no-store"
    return response

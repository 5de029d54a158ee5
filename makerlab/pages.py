"""What every HTML view uses: the permission check, form submission, safe redirects, error pages.

A posted form goes through :func:`submit`: it validates the form, runs the
service and commits; a refusal rolls back and is shown on the form. Status
codes are the same on every page: a form shown again because its input was
refused answers 422 (WTForms' checks or the service's ``Invalid``), one
refused because of the state of things (``Conflict``) answers 409.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast
from urllib.parse import unquote, urlsplit

from flask import abort, flash, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from makerlab.auth.permissions import can
from makerlab.errors import Conflict, Invalid
from makerlab.extensions import db

T = TypeVar("T")


def permission_required(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Log in first; then 403 unless the role holds ``permission``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _without_controls(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable() and not ch.isspace())


def safe_next(target: str | None) -> str:
    """Only same-site paths; anything else goes to the dashboard.

    Browsers drop tabs and line breaks from a ``Location`` and read a
    backslash as ``/``, so ``/%09/evil.example`` would lead off-site: control
    characters and spaces go first, and what is left must be a path (also
    once percent-decoded) that starts with a single ``/`` and has no backslash.
    """
    cleaned = _without_controls(target or "")
    decoded = _without_controls(unquote(cleaned))
    parts = urlsplit(decoded)
    same_site = not (parts.scheme or parts.netloc or decoded.startswith("//"))
    if cleaned.startswith("/") and same_site and "\\" not in decoded:
        return cleaned
    return url_for("main.index")


def apply_errors(form: Any, error: Invalid, fields: Mapping[str, str] | None = None) -> None:
    """Put a service's field errors next to the form's fields (``fields`` renames them).

    Messages for a field the form does not have go on top of the form.
    """
    for name, messages in error.errors.items():
        target = getattr(form, (fields or {}).get(name, name), None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + list(messages)
        else:
            form.form_errors.extend(messages)


@dataclass
class Submission(Generic[T]):
    """What became of a form: ``done`` with the service's ``result``, or to be shown again.

    ``status`` is the answer for showing the form again: 200 when it was not
    sent, 422 when its input was refused, 409 on a conflict; ``error`` is the
    service's refusal and ``messages`` says in words what went wrong.
    """

    status: int = 200
    done: bool = False
    result: T | None = None
    error: Invalid | Conflict | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def value(self) -> T:
        """The service's result; only there once ``done``."""
        if not self.done:
            raise RuntimeError("the form was not submitted successfully")
        return cast(T, self.result)

    def flash(self, category: str = "danger") -> None:
        """Flash what went wrong (for buttons, whose page is not shown again)."""
        for message in self.messages:
            flash(message, category)


def submit(
    form: FlaskForm | None,
    action: Callable[[], T],
    *,
    fields: Mapping[str, str] | None = None,
) -> Submission[T]:
    """Validate the posted ``form``, run ``action`` (a service call) and commit.

    An ``Invalid`` lands next to the form's fields (``fields`` maps service
    field names to the form's), a ``Conflict`` on top of the form; both roll
    back. ``form=None`` runs ``action`` without a form (the caller checked
    it). Other errors (``NotFound``, ``Forbidden``) reach the error page.
    """
    if form is not None and not form.validate_on_submit():
        if not form.is_submitted():
            return Submission()
        messages = [m for errors in form.errors.values() for m in errors]
        return Submission(status=422, messages=[str(m) for m in messages])
    try:
        result = action()
        db.session.commit()
    except Invalid as error:
        db.session.rollback()
        if form is not None:
            apply_errors(form, error, fields)
        messages = [m for errors in error.errors.values() for m in errors]
        return Submission(status=422, error=error, messages=messages)
    except Conflict as error:
        db.session.rollback()
        if form is not None:
            form.form_errors.append(error.detail)
        return Submission(status=409, error=error, messages=[error.detail])
    return Submission(status=200, done=True, result=result)


ERROR_PAGES: dict[int, tuple[Any, Any]] = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please go back and try again."),
    ),
    401: (_l("Please log in"), _l("This page needs a login.")),
    403: (
        _l("Not allowed"),
        _l("Your account may not open this page. If you need it, ask an administrator."),
    ),
    404: (
        _l("Not found"),
        _l("This page does not exist (any more). Check the address or start from the overview."),
    ),
    405: (
        _l("Not allowed"),
        _l("This page cannot be used this way. Please go back and use its buttons."),
    ),
    409: (_l("Conflict"), _l("This clashes with the current state. Please reload and check.")),
    422: (_l("Please check your input"), _l("Some of the input is not valid.")),
    429: (
        _l("Too many attempts"),
        _l("Too many requests in a short time. Please wait a few minutes and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An error occurred on our side. It has been logged; please try again later."),
    ),
}


def render_error_page(status: int, detail: str | None = None) -> tuple[str, int]:
    """The error page for ``status``; ``detail`` (a translated message) replaces the default."""
    title, default = ERROR_PAGES.get(status, (_l("Error"), _l("Something went wrong.")))
    return (
        render_template("error.html", status=status, title=title, detail=detail or default),
        status,
    )

"""What every HTML view uses: the permission check, safe redirects, form errors, error pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from makerlab.auth.permissions import can
from makerlab.errors import Invalid


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


def safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes to the dashboard."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.index")


def apply_errors(form: Any, error: Invalid) -> None:
    """Put a service's field errors next to the form's fields."""
    for field, messages in error.errors.items():
        target = getattr(form, field, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + list(messages)
        else:
            form.form_errors.extend(messages)


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

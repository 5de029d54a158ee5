"""Login, logout, account administration and API tokens in the browser."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from makerlab.auth import services
from makerlab.auth.forms import ROLE_LABELS, LoginForm, TokenForm, UserForm
from makerlab.auth.permissions import can
from makerlab.errors import Invalid
from makerlab.extensions import db
from makerlab.forms import choices
from makerlab.schools.services import visible_schools
from makerlab.security import limiter, login_limit

bp = Blueprint("auth", __name__)


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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        form.form_errors.append(_("E-mail or password is wrong."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def _school_choices() -> list[Any]:
    schools = db.session.scalars(visible_schools(current_user))
    return choices([(0, "—")] + [(s.id, s.name) for s in schools])


@bp.route("/users")
@permission_required("users.manage")
def users() -> Any:
    return render_template("auth/users.html", users=services.list_users(), roles=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required("users.manage")
def new_user() -> Any:
    form = UserForm()
    form.school_id.choices = _school_choices()
    if form.validate_on_submit():
        try:
            services.create_user(
                form.email.data or "",
                form.role.data or "",
                form.password.data or "",
                name=form.name.data or "",
                school_id=form.school_id.data or None,
                locale=form.locale.data or None,
            )
            db.session.commit()
            flash(_("Account created."), "success")
            return redirect(url_for("auth.users"))
        except Invalid as error:
            db.session.rollback()
            apply_errors(form, error)
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required("users.manage")
def edit_user(user_id: int) -> Any:
    user = services.get_user(user_id)
    form = UserForm(obj=user)
    form.school_id.choices = _school_choices()
    if request.method == "GET":
        form.school_id.data = user.school_id or 0
        form.locale.data = user.locale or ""
    del form.email
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                name=form.name.data or "",
                role=form.role.data or "",
                school_id=form.school_id.data or None,
                active=bool(form.active.data),
                locale=form.locale.data or None,
                password=form.password.data or None,
            )
            db.session.commit()
            flash(_("Account saved."), "success")
            return redirect(url_for("auth.users"))
        except Invalid as error:
            db.session.rollback()
            apply_errors(form, error)
    return render_template("auth/user_form.html", form=form, user=user)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> Any:
    """Each user manages their own API tokens; the new one is shown once."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = services.issue_token(current_user, form.label.data or "")
        db.session.commit()
    return render_template(
        "auth/tokens.html",
        form=form,
        tokens=services.active_tokens(current_user),
        new_token=new_token,
    )


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Any:
    form = TokenForm()
    if not form.validate_on_submit():
        abort(400)
    services.revoke_token(current_user, token_id)
    db.session.commit()
    flash(_("Token revoked."), "info")
    return redirect(url_for("auth.tokens"))

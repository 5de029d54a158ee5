"""Login, logout, passwords, account administration and API tokens in the browser."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from makerlab import dates
from makerlab.auth import services
from makerlab.auth.forms import (
    ROLE_LABELS,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
    TokenForm,
    UserForm,
)
from makerlab.auth.links import Purpose
from makerlab.confirmations import Confirmation, ConfirmForm, render_confirmation
from makerlab.errors import NotFound, TooManyRequests
from makerlab.extensions import db
from makerlab.forms import choices
from makerlab.pages import permission_required, safe_next, submit
from makerlab.schools.services import visible_schools
from makerlab.security import limiter, password_reset_limit, submitted_email

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.log_in(
                form.email.data or "", form.password.data or "", request.remote_addr
            )
        except TooManyRequests as error:
            form.form_errors.append(error.detail)
            response = make_response(render_template("auth/login.html", form=form), 429)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        db.session.commit()
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        form.form_errors.append(_("E-mail or password is wrong."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Log out everywhere: every session and remember-me cookie of the account ends."""
    if current_user.is_authenticated:
        services.end_sessions(current_user)
        db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = PasswordChangeForm()
    sent = submit(
        form,
        lambda: services.change_password(
            current_user,
            form.current_password.data or "",
            form.password.data or "",
            keep_tokens=bool(form.keep_tokens.data),
        ),
    )
    if sent.done:
        # Other devices are logged out; this one goes on with the new version.
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        login_user(current_user._get_current_object(), remember=remembered in request.cookies)
        flash(_("Your password has been changed. Other devices are logged out."), "success")
        return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form), sent.status


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.shared_limit(password_reset_limit, scope="password-reset", methods=["POST"])
@limiter.shared_limit(
    password_reset_limit, scope="password-reset-email", key_func=submitted_email, methods=["POST"]
)
def forgot_password() -> Any:
    """Same answer whether the address has an account or not."""
    form = ForgotPasswordForm()
    requested = submit(form, lambda: services.request_password_reset(form.email.data or ""))
    if requested.done:
        return render_template("auth/forgot_password.html", form=None, sent=True)
    page = render_template("auth/forgot_password.html", form=form, sent=False)
    return page, requested.status


def _new_password_page(token: str, purpose: Purpose) -> Any:
    try:
        account = services.user_for_link(token, purpose)
    except NotFound as error:
        page = render_template("auth/link_expired.html", detail=error.detail)
        return page, 404
    form = NewPasswordForm()
    sent = submit(
        form, lambda: services.set_password_from_link(token, purpose, form.password.data or "")
    )
    if sent.done:
        login_user(sent.value)
        flash(_("Your password is set. Welcome!"), "success")
        return redirect(url_for("main.index"))
    page = render_template("auth/new_password.html", form=form, purpose=purpose, account=account)
    return page, sent.status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    return _new_password_page(token, Purpose.RESET)


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Any:
    return _new_password_page(token, Purpose.INVITATION)


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
    sent = submit(
        form,
        lambda: services.create_user(
            form.email.data or "",
            form.role.data or "",
            form.password.data or None,
            name=form.name.data or "",
            school_id=form.school_id.data or None,
            locale=form.locale.data or None,
        ),
    )
    if sent.done:
        if sent.value.has_password:
            flash(_("Account created."), "success")
        else:
            flash(
                _(
                    "Account created. %(email)s gets an e-mail with a link to choose a "
                    "password (valid 7 days).",
                    email=sent.value.email,
                ),
                "success",
            )
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None), sent.status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required("users.manage")
def edit_user(user_id: int) -> Any:
    user = services.get_user(current_user, user_id)
    form = UserForm(obj=user)
    form.school_id.choices = _school_choices()
    if request.method == "GET":
        form.school_id.data = user.school_id or 0
        form.locale.data = user.locale or ""
    del form.email

    def save() -> None:
        services.update_user(
            current_user,
            user,
            {
                "name": form.name.data or "",
                "role": form.role.data or "",
                "school_id": form.school_id.data or None,
                "active": bool(form.active.data),
                "locale": form.locale.data or None,
            },
        )
        if form.password.data:
            services.set_password(user, form.password.data)

    sent = submit(form, save)
    if sent.done:
        flash(_("Account saved."), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user), sent.status


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> Any:
    """Each user manages their own API tokens; the new one is shown once."""
    form = TokenForm()
    sent = submit(form, lambda: services.issue_token(current_user, form.label.data or ""))
    page = render_template(
        "auth/tokens.html",
        form=form,
        tokens=services.active_tokens(current_user),
        new_token=sent.result,
    )
    return page, sent.status


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_token(token_id: int) -> Any:
    """Ask first, then end one of one's own API tokens at once."""
    token = services.get_token(current_user, token_id)
    form = ConfirmForm()
    if submit(form, lambda: services.revoke_token(current_user, token.id)).done:
        flash(_("Token revoked."), "info")
        return redirect(url_for("auth.tokens"))
    label = token.label or _("without a label")
    used = (
        _("It was last used %(when)s.", when=dates.moment(token.last_used_at))
        if token.last_used_at
        else _("It has not been used yet.")
    )
    return render_confirmation(
        Confirmation(
            title=_("Revoke the token “%(label)s”?", label=label),
            consequences=[
                _(
                    "Programs and scripts that use it are refused at once "
                    "(401 Unauthorized) and need a new token."
                ),
                used,
                _("Calendar subscriptions keep working: they have their own addresses."),
            ],
            button=_("Revoke token"),
            keep=_("Keep the token"),
            form=form,
            back_url=url_for("auth.tokens"),
        )
    )


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@permission_required("users.manage")
def deactivate_user(user_id: int) -> Any:
    """Ask first, saying what ends; then lock the account (the last admin stays: 409)."""
    user = services.get_user(current_user, user_id)
    form = ConfirmForm()
    sent = submit(form, lambda: services.update_user(current_user, user, {"active": False}))
    if sent.done:
        flash(_("%(name)s can no longer log in.", name=user.name or user.email), "success")
        return redirect(url_for("auth.users"))
    if sent.error is not None:  # the last admin, or oneself: said on the account page
        sent.flash()
        return redirect(url_for("auth.edit_user", user_id=user_id))
    tokens = services.deactivation_tokens(current_user, user)
    name = user.name or user.email
    return render_confirmation(
        Confirmation(
            title=_("Deactivate the account of %(name)s?", name=name),
            consequences=[
                _("%(name)s can no longer log in and is logged out on every device.", name=name),
                ngettext(
                    "%(num)d API token stops working, and so do their calendar subscriptions.",
                    "%(num)d API tokens stop working, and so do their calendar subscriptions.",
                    tokens,
                )
                if tokens
                else _("Their calendar subscriptions stop working."),
                _(
                    "Bookings and enrolments they made stay. If the account is activated "
                    "again, its calendar subscriptions work again; API tokens have to be "
                    "created anew."
                ),
            ],
            button=_("Deactivate account"),
            keep=_("Keep it active"),
            form=form,
            back_url=url_for("auth.edit_user", user_id=user.id),
        )
    )


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@permission_required("users.manage")
def activate_user(user_id: int) -> Any:
    """Let a deactivated account log in again (nothing is lost, so nothing is asked)."""
    user = services.get_user(current_user, user_id)
    sent = submit(ConfirmForm(), lambda: services.update_user(current_user, user, {"active": True}))
    if not sent.done:
        abort(400)
    flash(_("%(name)s can log in again.", name=user.name or user.email), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))

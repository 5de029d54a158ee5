"""Tokens for e-mail and password, reset links, and accounts (admins)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import request
from flask.views import MethodView
from flask_babel import gettext as _

from makerlab.api import api_blueprint, current_actor, require, resolve
from makerlab.api.schemas import paginate
from makerlab.auth import services
from makerlab.auth.models import User
from makerlab.auth.schemas import (
    ResetAccepted,
    ResetRequest,
    TokenRequest,
    TokenResponse,
    UserListArgs,
    UserOut,
    UserPage,
    UserPatch,
)
from makerlab.db import commit_for_response
from makerlab.errors import Unauthorized
from makerlab.extensions import db
from makerlab.security import limiter, password_reset_limit, submitted_email

blp = api_blueprint("auth_api", __name__, "Authentication and accounts")

RESET_LIMITS: list[Callable[..., Any]] = [
    limiter.shared_limit(password_reset_limit, scope="password-reset"),
    limiter.shared_limit(
        password_reset_limit, scope="password-reset-email", key_func=submitted_email
    ),
]


@blp.route("/auth/token")
class TokenView(MethodView):
    @blp.arguments(TokenRequest)
    @blp.response(201, TokenResponse)
    @blp.doc(security=[])
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Get a bearer token for the API (failed tries count with the login form's)."""
        user = services.log_in(payload["email"], payload["password"], request.remote_addr)
        if user is None:
            db.session.commit()  # the failure counts
            raise Unauthorized("E-mail or password is wrong.")
        db.session.info["actor_id"] = user.id
        token = services.issue_token(user, payload["label"])
        commit_for_response(db.session)
        return {"token": token, "user_id": user.id, "role": user.role}


@blp.route("/auth/password-reset")
class PasswordResetView(MethodView):
    decorators = RESET_LIMITS

    @blp.arguments(ResetRequest)
    @blp.response(202, ResetAccepted)
    @blp.doc(security=[])
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a reset link (valid 1 hour) if the address has an account; 202 either way."""
        services.request_password_reset(payload["email"])
        db.session.commit()
        return {
            "detail": _(
                "If this address has an account, a link to set a new password is on its way."
            )
        }


@blp.route("/users")
class Users(MethodView):
    @require("users.manage")
    @blp.arguments(UserListArgs, location="query")
    @blp.response(200, UserPage)
    def get(self, args: dict[str, Any]) -> Any:
        """List accounts, filtered by ``role`` and ``active``."""
        stmt = sa.select(User).order_by(User.id)
        if args.get("role"):
            stmt = stmt.where(User.role == args["role"])
        if args.get("active") is not None:
            stmt = stmt.where(User.active.is_(args["active"]))
        return paginate(stmt, args)


@blp.route("/users/<int:user_id>")
class UserItem(MethodView):
    @require("users.manage")
    @resolve("user_id", services.get_user, "user")
    @blp.response(200, UserOut)
    def get(self, user: User) -> Any:
        """One account."""
        return user

    @require("users.manage")
    @resolve("user_id", services.get_user, "user")
    @blp.arguments(UserPatch)
    @blp.response(200, UserOut)
    def patch(self, payload: dict[str, Any], user: User) -> Any:
        """Change role, active, school or language (the last active admin stays one: 409)."""
        services.update_user(current_actor(), user, payload)
        commit_for_response(db.session)
        return user

"""POST /api/v1/auth/token: trade e-mail and password for a bearer token."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import fields

from makerlab.api import api_blueprint
from makerlab.api.schemas import Schema
from makerlab.auth import services
from makerlab.db import commit_for_response
from makerlab.errors import Unauthorized
from makerlab.extensions import db
from makerlab.security import limiter, login_limit

blp = api_blueprint("auth_api", __name__, "Authentication")


class TokenRequest(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True)
    label = fields.String(load_default="api")


class TokenResponse(Schema):
    token = fields.String()
    user_id = fields.Integer()
    role = fields.String()


@blp.route("/auth/token")
class TokenView(MethodView):
    decorators = [limiter.limit(login_limit)]

    @blp.arguments(TokenRequest)
    @blp.response(201, TokenResponse)
    @blp.doc(security=[])
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Get a bearer token for the API."""
        user = services.authenticate(payload["email"], payload["password"])
        if user is None:
            raise Unauthorized("E-mail or password is wrong.")
        db.session.info["actor_id"] = user.id
        token = services.issue_token(user, payload["label"])
        commit_for_response(db.session)
        return {"token": token, "user_id": user.id, "role": user.role}

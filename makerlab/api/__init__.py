"""The /api/v1 frame: token auth, problem+json errors, OpenAPI, pagination.

Each domain has an ``api.py`` with a flask-smorest ``Blueprint`` made by
:func:`api_blueprint`; routes declare their schemas, and the OpenAPI document
at ``/api/v1/openapi.json`` is generated from those declarations.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, json, make_response, request
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from makerlab.api.schemas import ProblemSchema
from makerlab.audit import set_actor
from makerlab.auth.models import User
from makerlab.auth.permissions import can
from makerlab.auth.services import user_for_token
from makerlab.domains import domain_modules
from makerlab.errors import Conflict, DomainError, Forbidden, Invalid, TooManyRequests, Unauthorized
from makerlab.extensions import csrf, db
from makerlab.pages import render_error_page

API_PREFIX = "/api/v1"
PROBLEM_JSON = "application/problem+json"
PUBLIC_API_PATHS = frozenset(
    {
        f"{API_PREFIX}/auth/token",
        f"{API_PREFIX}/auth/password-reset",
        f"{API_PREFIX}/openapi.json",
    }
)
log = logging.getLogger(__name__)


def is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def problem_response(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=body["status"], mimetype="application/problem+json")


def _flatten_webargs(messages: Any) -> dict[str, list[str]]:
    """webargs nests errors by location (json/query/...); problem+json wants fields."""
    errors: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            errors.setdefault(prefix or "_schema", []).extend(value)
        elif isinstance(value, list):
            for i, sub in enumerate(value):
                walk(f"{prefix}.{i}", sub)
        else:
            errors.setdefault(prefix or "_schema", []).append(str(value))

    if isinstance(messages, dict):
        for _location, fields in messages.items():
            walk("", fields)
    return errors


def http_problem(exc: HTTPException) -> dict[str, Any]:
    status = exc.code or 500
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": exc.name,
        "status": status,
        "detail": exc.description or exc.name,
    }
    data = getattr(exc, "data", None) or {}
    if status == 422 and "messages" in data:
        body["errors"] = _flatten_webargs(data["messages"])
        body["detail"] = "The request contains invalid fields."
    elif status == 400 and "messages" in data:
        body["detail"] = "The request body is not valid JSON."
    return body


class MakerlabApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with problem+json errors for API paths."""

    def _register_responses(self) -> None:
        """Document every error response as ``application/problem+json``."""
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = ProblemSchema
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Error (problem details)", "schema": ProblemSchema}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Any:
        if is_api_request():
            response = problem_response(http_problem(error))
        else:
            # Werkzeug's descriptions are English: pages say it in the reader's language.
            response = make_response(render_error_page(error.code or 500))
        for name, value in error.get_headers():  # Allow on 405, Retry-After on 429
            if name != "Content-Type":
                response.headers[name] = value
        return response


def api_blueprint(name: str, import_name: str, description: str = "") -> Blueprint:
    return Blueprint(name, import_name, url_prefix=API_PREFIX, description=description)


def current_actor() -> User:
    """The user authenticated by the bearer token of this API request."""
    return g.api_user


def require(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """403 unless the token's user holds ``permission`` (checked before the body)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not can(g.api_user, permission):
                raise Forbidden("Your role may not use this route.")
            return view(*args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorator


def resolve(
    path_arg: str, loader: Callable[[Any, int], Any], as_name: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Load the object named in the path (404) before the body is validated (422)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs[as_name] = loader(g.api_user, kwargs.pop(path_arg))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _authenticate_api_request() -> Response | None:
    if not is_api_request():
        return None
    # Precedence: a malformed body is 400 before anything else.
    has_body = request.method in ("POST", "PUT", "PATCH") and bool(request.get_data())
    if has_body and request.get_json(silent=True) is None:
        return problem_response(
            {
                "type": "about:blank",
                "title": "Bad Request",
                "status": 400,
                "detail": "The request body is not valid JSON.",
            }
        )
    g.api_user = None
    if request.path in PUBLIC_API_PATHS or request.method == "OPTIONS":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token else None
    if user is None:
        response = problem_response(Unauthorized("A valid bearer token is required.").problem())
        response.headers["WWW-Authenticate"] = 'Bearer realm="makerlab"'
        return response
    g.api_user = user
    set_actor(db.session, user)
    return None


def _domain_error(error: DomainError) -> Any:
    db.session.rollback()
    if is_api_request():
        response = problem_response(error.problem())
    else:
        response = make_response(render_error_page(error.status, error.detail))
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _database_refusal(error: Exception) -> Any:
    """Safety net: input the services let through but the database refused.

    Services should catch these cases first with a precise message; this
    keeps the answer a 4xx (never a 500) when one slips through.
    """
    db.session.rollback()
    log.warning(
        "database refused input on %s %s: %s", request.method, request.path, type(error).__name__
    )
    if isinstance(error, sa.exc.IntegrityError):
        domain: DomainError = Conflict("This conflicts with data that exists already.")
    elif isinstance(error, UnicodeEncodeError):
        domain = Invalid({"_schema": ["Text contains characters that are not valid Unicode."]})
    else:
        domain = Invalid({"_schema": ["A value is out of the range the database can store."]})
    return _domain_error(domain)


def _internal_error(error: Exception) -> Any:
    if isinstance(error, HTTPException):
        return error
    db.session.rollback()
    if current_app.config.get("PROPAGATE_EXCEPTIONS"):
        raise error
    log.exception("unhandled error on %s %s", request.method, request.path)
    if is_api_request():
        return problem_response(
            {
                "type": "about:blank",
                "title": "Internal Server Error",
                "status": 500,
                "detail": "Something went wrong on our side. It has been logged.",
            }
        )

    return render_error_page(500)


def init_app(app: Flask) -> None:
    api = MakerlabApi(app, spec_kwargs={"info": {"description": "Makerlab JSON API"}})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    app.before_request(_authenticate_api_request)

    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(sa.exc.IntegrityError, _database_refusal)
    app.register_error_handler(sa.exc.DataError, _database_refusal)
    app.register_error_handler(OverflowError, _database_refusal)
    # Lone UTF-16 surrogates ("\udb39") are valid JSON but no storable text.
    app.register_error_handler(UnicodeEncodeError, _database_refusal)
    app.register_error_handler(Exception, _internal_error)
    for blueprint in _blueprints():
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)


def _blueprints() -> list[Blueprint]:
    """Each domain's ``api.blp`` (domains without an ``api`` module are skipped)."""
    return [module.blp for module in domain_modules("api")]


def preview_answer(affected: dict[str, list[int]]) -> Response:
    """``200 {"affected": ...}`` for ``?preview=true``: the change is rolled back, nothing saved."""
    db.session.rollback()
    return make_response({"affected": affected}, 200)

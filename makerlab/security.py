"""HTTP hardening: security headers (Talisman), request limits (Limiter), proxies."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script anywhere; inline styles are allowed (Bootstrap components
# and chart SVGs set style attributes).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

limiter = Limiter(get_remote_address)
talisman = Talisman()

View = TypeVar("View", bound=Callable[..., Any])


def private_page(view: View) -> View:
    """Mark a page opened through a secret link (``/consent/<token>``).

    Its address must not travel on (no referrer), be indexed or be cached.
    """
    view.private_page = True  # type: ignore[attr-defined]
    return view


def _private_page_headers(response: Response) -> Response:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "private_page", False):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Cache-Control"] = "no-store"
    return response


def password_reset_limit() -> str:
    """Reset links one client address, or one e-mail address, may ask for."""
    return str(current_app.config["PASSWORD_RESET_RATE_LIMIT"])


def submitted_email() -> str:
    """The e-mail address a form or JSON body names (a Flask-Limiter key)."""
    if request.is_json:
        body = request.get_json(silent=True)
        value = body.get("email") if isinstance(body, dict) else None
    else:
        value = request.form.get("email")
    return "email:" + (value.strip().lower() if isinstance(value, str) else "")


def init_app(app: Flask) -> None:
    production = bool(app.config.get("PRODUCTION"))
    if app.config.get("BEHIND_PROXY", production):
        # One reverse proxy in front sets X-Forwarded-For/-Proto/-Host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    # Flask runs after-request hooks last-registered first: registered before
    # Talisman's, this one runs after it and its Referrer-Policy wins.
    app.after_request(_private_page_headers)
    talisman.init_app(
        app,
        force_https=False,  # the reverse proxy redirects; the app may sit behind plain HTTP
        session_cookie_secure=production,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        strict_transport_security=production,
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="same-origin",
    )
    app.config.setdefault("REMEMBER_COOKIE_SECURE", production)
    with warnings.catch_warnings():
        # Without a configured store each process counts for itself, which is
        # enough for reset requests; failed logins go to the database instead.
        warnings.filterwarnings("ignore", "Using the in-memory storage", UserWarning)
        limiter.init_app(app)

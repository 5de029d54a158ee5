"""HTTP hardening: security headers (Talisman), login throttling (Limiter), proxies."""

from __future__ import annotations

from flask import Flask, current_app
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


def login_limit() -> str:
    """Attempts allowed per client address on the login form and token route."""
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def init_app(app: Flask) -> None:
    production = bool(app.config.get("PRODUCTION"))
    if app.config.get("BEHIND_PROXY", production):
        # One reverse proxy in front sets X-Forwarded-For/-Proto/-Host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
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
    limiter.init_app(app)

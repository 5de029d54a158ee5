"""Configuration defaults.

Order of precedence (last wins): these defaults, ``instance/config.py``,
``MAKERLAB_*`` environment variables, the mapping given to ``create_app``.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    # None means: SQLite file in the instance folder (filled in by create_app).
    "SQLALCHEMY_DATABASE_URI": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    # Production refuses to start without an explicit SECRET_KEY.
    "PRODUCTION": False,
    "SECRET_KEY": None,
    "TIMEZONE": "Europe/Berlin",
    "RETENTION_MONTHS": 24,
    # Young people this old give their own consent (listed for staff to ask them).
    "OWN_CONSENT_AGE": 16,
    # Guardians' personal consent links stay valid this many days.
    "CONSENT_LINK_DAYS": 30,
    # Whom guardians ask about consent (shown on the consent page, e-mail and
    # paper form); None: CENTRE_CONTACT.
    "CONSENT_CONTACT": None,
    # Requests per client address to the public consent page.
    "CONSENT_RATE_LIMIT": "30 per minute",
    # German state whose public holidays `closures holidays` adds (ISO 3166-2 code without "DE-").
    "HOLIDAY_STATE": "ST",
    "CENTRE_NAME": "Passage 13",
    "CENTRE_CONTACT": "Smart-City-Bildungszentrum Passage 13, Halle-Neustadt",
    "MAIL_SERVER": "localhost",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "Makerlab <makerlab@localhost>",
    "MAIL_TIMEOUT": 10,
    "OUTBOX_MAX_ATTEMPTS": 8,
    # First retry after this many seconds, doubling each time (at most 6 h).
    "OUTBOX_RETRY_BASE_SECONDS": 60,
    # The address people reach the app at, for links in e-mails.
    "PUBLIC_URL": None,
    # How often a standby scheduler tries the lock, and the leader checks it still holds it.
    "SCHEDULER_POLL_SECONDS": 10,
    "BABEL_DEFAULT_LOCALE": "de",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "LANGUAGES": ["de", "en"],
    # The Babel locale whose date formats each language uses (makerlab/dates.py).
    "DATE_LOCALES": {"de": "de_DE", "en": "en_GB"},
    "API_TOKEN_TTL_DAYS": 90,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    # Larger request bodies are refused (413) before they are read: JSON and
    # forms are small; the largest upload, a school-breaks .ics, is far below.
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # flask-smorest / OpenAPI
    "API_TITLE": "Makerlab API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    # Unset: Flask-Limiter counts in each process's memory and failed logins
    # are counted in the database; set (redis://...): both live there.
    "RATELIMIT_STORAGE_URI": None,
    "RATELIMIT_ENABLED": True,
    # Failed logins (form and API together) per client address, and per account.
    "LOGIN_RATE_LIMIT": "10 per minute",
    "LOGIN_ACCOUNT_RATE_LIMIT": "5 per 5 minutes",
    # Requests for a reset link, per client address and per e-mail address.
    "PASSWORD_RESET_RATE_LIMIT": "5 per 15 minutes",
    "PASSWORD_MIN_LENGTH": 10,
    # argon2 parameters (PasswordHasher keywords); None keeps argon2-cffi's
    # defaults (RFC 9106 low-memory). Tests use the cheapest ones.
    "PASSWORD_HASH_PARAMS": None,
    # Behind a reverse proxy (defaults to PRODUCTION): trust one X-Forwarded-* hop.
    "BEHIND_PROXY": None,
    # "json" for one JSON object per log line (production), "text" for humans.
    "LOG_FORMAT": "text",
    "LOG_LEVEL": "INFO",
    "SCHEDULER_EMBEDDED": False,
}

"""Failed logins, counted per account and per client address by every process together.

The login form and ``POST /api/v1/auth/token`` count here. Without
``RATELIMIT_STORAGE_URI`` the counts live in the database
(``login_failures``), which every gunicorn worker shares with no extra
service; with one (Redis, Memcached) they live in Flask-Limiter's storage.
Keys are HMACs, so neither store holds the addresses or what was typed as
an e-mail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import time

import sqlalchemy as sa
from flask import current_app
from limits import RateLimitItem, parse

from makerlab import clock
from makerlab.auth.models import LoginFailure
from makerlab.extensions import db
from makerlab.security import limiter


def _rules(email: str, address: str | None) -> list[tuple[str, RateLimitItem]]:
    """(key, limit) for the account and, when known, the client address."""
    config = current_app.config
    secret = str(config["SECRET_KEY"]).encode()

    def key(kind: str, value: str) -> str:
        return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    rules = [(key("account", email.strip().lower()), parse(config["LOGIN_ACCOUNT_RATE_LIMIT"]))]
    if address:
        rules.append((key("address", address), parse(config["LOGIN_RATE_LIMIT"])))
    return rules


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _shared_store() -> bool:
    """True when a store such as Redis is configured for Flask-Limiter."""
    return bool(current_app.config.get("RATELIMIT_STORAGE_URI"))


def _window(item: RateLimitItem) -> dt.timedelta:
    return dt.timedelta(seconds=item.get_expiry())


def seconds_locked(email: str, address: str | None) -> int:
    """How long logins for this account or from this address are refused (0: not)."""
    if not _enabled():
        return 0
    rules = _rules(email, address)
    if _shared_store():
        waits = [
            limiter.limiter.get_window_stats(item, key).reset_time - time.time()
            for key, item in rules
            if not limiter.limiter.test(item, key)
        ]
        return math.ceil(max(waits, default=0))
    now = clock.now()
    limits = {key: item for key, item in rules}
    rows = db.session.execute(
        sa.select(LoginFailure.key, sa.func.count(), sa.func.min(LoginFailure.failed_at))
        .where(
            sa.or_(
                *(
                    sa.and_(LoginFailure.key == key, LoginFailure.failed_at > now - _window(item))
                    for key, item in rules
                )
            )
        )
        .group_by(LoginFailure.key)
    ).all()
    waits = [
        (oldest + _window(limits[key]) - now).total_seconds()
        for key, count, oldest in rows
        if count >= limits[key].amount
    ]
    return math.ceil(max(waits, default=0))


def record_failure(email: str, address: str | None) -> None:
    """Count one failed login (the caller commits); drop rows no window needs."""
    if not _enabled():
        return
    rules = _rules(email, address)
    if _shared_store():
        for key, item in rules:
            limiter.limiter.hit(item, key)
        return
    now = clock.now()
    db.session.add_all(LoginFailure(key=key, failed_at=now) for key, _item in rules)
    longest = max(_window(item) for _key, item in rules)
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.failed_at <= now - longest))
    db.session.flush()


def forget_account(email: str) -> None:
    """A successful login clears its account's failures (not its address's)."""
    if not _enabled():
        return
    key, item = _rules(email, None)[0]
    if _shared_store():
        limiter.limiter.clear(item, key)
    else:
        db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key == key))

"""Links by e-mail to set a password: a reset (valid 1 hour) or an invitation (7 days).

A link is signed (itsdangerous) and names the user and a fingerprint of
their password hash. Setting a password changes the hash, so a link works
once; an invitation's placeholder hash is random, so it names one account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import StrEnum

from flask import current_app
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from makerlab import clock
from makerlab.auth.models import User
from makerlab.extensions import db
from makerlab.notifications.emails import mail_language, public_url, render_email
from makerlab.notifications.outbox import enqueue


class Purpose(StrEnum):
    RESET = "password-reset"
    INVITATION = "invitation"


VALID_FOR = {Purpose.RESET: dt.timedelta(hours=1), Purpose.INVITATION: dt.timedelta(days=7)}
ENDPOINTS = {Purpose.RESET: "auth.reset_password", Purpose.INVITATION: "auth.accept_invitation"}
PATHS = {Purpose.RESET: "/password/reset/", Purpose.INVITATION: "/welcome/"}


class ClockSigner(TimestampSigner):
    """Timestamps from ``makerlab.clock``, so tests can move time past the expiry."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer(purpose: Purpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"],
        salt=f"makerlab-{purpose}",
        signer=ClockSigner,
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def make_token(user_id: int, password_hash: str, purpose: Purpose) -> str:
    return str(_serializer(purpose).dumps([user_id, fingerprint(password_hash)]))


def user_for_token(token: str, purpose: Purpose) -> User | None:
    """The active user a valid, unexpired, unused link is for; else None."""
    max_age = int(VALID_FOR[purpose].total_seconds())
    try:
        user_id, print_ = _serializer(purpose).loads(token, max_age=max_age)
    except (BadData, TypeError, ValueError):
        return None
    if not isinstance(user_id, int):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or fingerprint(user.password_hash) != print_:
        return None
    return user


def queue_link(user: User, purpose: Purpose, *, send: bool = True) -> None:
    """Render the e-mail with a fresh link in the user's language and queue it.

    With ``send=False`` the same work is done and thrown away: a request for
    an unknown address then takes as long as one for a known address.
    """
    token = make_token(user.id or 0, user.password_hash, purpose)
    link = public_url(ENDPOINTS[purpose], PATHS[purpose] + token, token=token)
    language = mail_language(user.locale)
    template = purpose.replace("-", "_")
    subject, text, html = render_email(
        template,
        language,
        link=link,
        user_name=user.name or user.email,
        hours=int(VALID_FOR[purpose].total_seconds() // 3600),
        days=VALID_FOR[purpose].days,
    )
    if send:
        digest = hashlib.sha256(token.encode()).hexdigest()[:16]
        enqueue(
            dedupe_key=f"{purpose}:u{user.id}:{digest}",
            kind=template,
            to=user.email,
            subject=subject,
            body_text=text,
            body_html=html,
            locale=language,
        )

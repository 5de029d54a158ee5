"""Accounts, passwords, sessions and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from makerlab import clock, email_addresses
from makerlab.auth import links, throttle
from makerlab.auth.links import Purpose
from makerlab.auth.models import ApiToken, User
from makerlab.auth.passwords import (
    COMMON_PASSWORDS,
    dummy_hash,
    hash_password,
    unusable_password_hash,
    verify_password,
)
from makerlab.db import begin_write, is_possible_id
from makerlab.enums import Role
from makerlab.errors import Conflict, Invalid, NotFound, TooManyRequests
from makerlab.extensions import db
from makerlab.schools.models import School

ACCOUNT_FIELDS = frozenset({"name", "role", "school_id", "active", "locale"})


def normalise_email(email: str) -> str:
    return email.strip().lower()


def password_problems(password: str, email: str) -> list[str]:
    """Why ``password`` is refused: too short, too common or the e-mail itself."""
    min_length = int(current_app.config["PASSWORD_MIN_LENGTH"])
    problems = []
    if len(password) < min_length:
        problems.append(_("Use at least %(num)d characters.", num=min_length))
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or lowered == email.lower() or len(set(password)) < 4:
        problems.append(_("This password is too common; choose another."))
    return problems


def _check_account(
    email: str, role: str, school_id: int | None, user_id: int | None = None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if role not in Role.__members__.values():
        errors["role"] = [_("Unknown role.")]
    if role == Role.TEACHER and school_id is None:
        errors["school_id"] = [_("A teacher belongs to a school.")]
    if school_id is not None and db.session.get(School, school_id) is None:
        errors["school_id"] = [_("Unknown school.")]
    clash = db.session.scalar(sa.select(User.id).where(User.email == email))
    if clash is not None and clash != user_id:
        errors["email"] = [_("This e-mail address is already in use.")]
    return errors


def create_user(
    email: str,
    role: str,
    password: str | None = None,
    *,
    name: str = "",
    school_id: int | None = None,
    locale: str | None = None,
    check_password: bool = True,
) -> User:
    """Create an account; teachers need a school. Without a password the
    person gets an invitation e-mail with a link (valid 7 days) to choose one."""
    email = normalise_email(email)
    errors = _check_account(email, role, school_id)
    if problem := email_addresses.problem(email):
        errors["email"] = [problem]
    if password and check_password:
        problems = password_problems(password, email)
        if problems:
            errors["password"] = problems
    if errors:
        raise Invalid(errors)
    user = User(
        email=email,
        role=role,
        name=name.strip(),
        password_hash=hash_password(password) if password else unusable_password_hash(),
        school_id=school_id if role == Role.TEACHER else None,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    if not password:
        links.queue_link(user, Purpose.INVITATION)
    return user


def update_user(actor: User | None, user: User, changes: Mapping[str, Any]) -> User:
    """Change an account's ``name``, ``role``, ``school_id``, ``active``, ``locale`` (admin).

    Nobody deactivates themselves, and the last active administrator stays
    one (409). Deactivating ends the person's sessions and API tokens.
    """
    unknown = set(changes) - ACCOUNT_FIELDS
    if unknown:
        raise Invalid({field: [_("Unknown field.")] for field in sorted(unknown)})
    role = changes.get("role", user.role)
    active = bool(changes.get("active", user.active))
    school_id = changes.get("school_id", user.school_id)
    locale = changes.get("locale", user.locale)
    errors = _check_account(user.email, role, school_id, user_id=user.id)
    if locale not in (None, "de", "en"):
        errors["locale"] = [_("Unknown language.")]
    if errors:
        raise Invalid(errors)
    _refuse_self_deactivation(actor, user, active)
    _keep_an_active_admin(user, role, active)
    deactivated = user.active and not active
    if "name" in changes:
        user.name = str(changes["name"] or "").strip()
    user.role = role
    user.school_id = school_id if role == Role.TEACHER else None
    user.active = active
    user.locale = locale
    if deactivated:
        end_sessions(user)
        revoke_all_tokens(user)
    db.session.flush()
    return user


def _refuse_self_deactivation(actor: User | None, user: User, active: bool) -> None:
    if actor is not None and actor.id == user.id and user.active and not active:
        raise Conflict(_("You cannot deactivate your own account."))


def _keep_an_active_admin(user: User, role: str, active: bool, *, lock: bool = True) -> None:
    """409 if ``user`` is the last active administrator and would stop being one.

    The active administrators are locked in id order (SQLite: the write lock),
    so two admins demoting each other at once cannot both succeed; a question
    asked before (``lock=False``) only reads.
    """
    if not (user.role == Role.ADMIN and user.active) or (role == Role.ADMIN and active):
        return
    stmt = sa.select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))
    if lock:
        begin_write(db.session)
        stmt = stmt.order_by(User.id).with_for_update()
    admins = db.session.scalars(stmt).all()
    if not set(admins) - {user.id}:
        raise Conflict(
            _(
                "There must always be at least one active administrator: "
                "make someone else an administrator first."
            )
        )


def deactivation_tokens(actor: User, user: User) -> int:
    """How many API tokens deactivating ``user`` would end, asked before (409 as it would be)."""
    if not user.active:
        raise Conflict(_("This account is deactivated already."))
    _refuse_self_deactivation(actor, user, False)
    _keep_an_active_admin(user, user.role, False, lock=False)
    return len(active_tokens(user))


def end_sessions(user: User) -> None:
    """End every session and remember-me cookie of ``user`` (they carry the old version)."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()


def set_password(user: User, password: str, *, keep_tokens: bool = False) -> None:
    """Give ``user`` a new password: other sessions end, API tokens too unless kept."""
    problems = password_problems(password, user.email)
    if problems:
        raise Invalid({"password": problems})
    user.password_hash = hash_password(password)
    end_sessions(user)
    if not keep_tokens:
        revoke_all_tokens(user)
    db.session.flush()


def change_password(user: User, current: str, new: str, *, keep_tokens: bool = False) -> None:
    """The user's own change: the current password is needed."""
    if not verify_password(user.password_hash, current):
        raise Invalid({"current_password": [_("This is not your current password.")]})
    set_password(user, new, keep_tokens=keep_tokens)


def request_password_reset(email: str) -> None:
    """Queue a reset link (valid 1 hour) if ``email`` is an active account.

    Answers alike either way: for an unknown address the same link and
    e-mail are made and thrown away, so the time taken tells nothing either.
    """
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is not None and user.active:
        links.queue_link(user, Purpose.RESET)
    else:
        nobody = User(id=0, email=normalise_email(email)[:254], password_hash=dummy_hash())
        links.queue_link(nobody, Purpose.RESET, send=False)


def user_for_link(token: str, purpose: Purpose) -> User:
    """The account a password link is for; 404 once expired, used or tampered with."""
    user = links.user_for_token(token, purpose)
    if user is None:
        raise NotFound(_("This link has expired or has been used already."))
    return user


def set_password_from_link(token: str, purpose: Purpose, password: str) -> User:
    """Set the password a reset or invitation link is for; the link then stops working."""
    user = user_for_link(token, purpose)
    set_password(user, password, keep_tokens=False)
    return user


def log_in(email: str, password: str, address: str | None) -> User | None:
    """The active user with these credentials, or None (the failure is counted).

    Failures count per account and per client address for the login form
    and the API together; too many refuse further tries for a while (429).
    """
    wait = throttle.seconds_locked(email, address)
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        raise TooManyRequests(
            ngettext(
                "Too many failed logins. Please wait %(num)d minute and try again.",
                "Too many failed logins. Please wait %(num)d minutes and try again.",
                minutes,
            ),
            retry_after=wait,
        )
    user = authenticate(email, password)
    if user is None:
        throttle.record_failure(email, address)
        return None
    throttle.forget_account(email)
    return user


def set_locale(user: User, locale: str | None) -> None:
    """Remember the user's language."""
    if locale not in (None, "de", "en"):
        raise Invalid({"locale": [_("Unknown language.")]})
    user.locale = locale
    db.session.flush()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same cost either way)."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None or not user.has_password:
        verify_password(dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, label: str = "") -> str:
    """A new bearer token for ``user``; only its hash is stored."""
    plain = secrets.token_urlsafe(32)
    days = int(current_app.config["API_TOKEN_TTL_DAYS"])
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=_digest(plain),
            label=label[:80],
            expires_at=clock.now() + dt.timedelta(days=days) if days > 0 else None,
        )
    )
    db.session.flush()
    return plain


def user_for_token(plain: str) -> User | None:
    """The active user owning this unrevoked, unexpired token."""
    row = db.session.execute(
        sa.select(User, ApiToken.expires_at)
        .join(ApiToken, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _digest(plain), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    user, expires_at = row
    if expires_at is not None and expires_at <= clock.now():
        return None
    return user if user.active else None


def get_token(user: User, token_id: int) -> ApiToken:
    """One of ``user``'s tokens that still works; anyone else's is 404."""
    token = db.session.get(ApiToken, token_id) if is_possible_id(token_id) else None
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound(_("No such token."))
    return token


def revoke_token(user: User, token_id: int) -> None:
    """Revoke one of ``user``'s tokens."""
    token = db.session.get(ApiToken, token_id) if is_possible_id(token_id) else None
    if token is None or token.user_id != user.id:
        raise NotFound(_("No such token."))
    token.revoked_at = clock.now()
    db.session.flush()


def revoke_all_tokens(user: User) -> None:
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


def active_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        )
    )


def get_user(actor: User | None, user_id: int) -> User:
    """One account (callers check ``users.manage``)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def list_users() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .options(sa.orm.selectinload(User.school))
            .order_by(User.role, User.email)
        )
    )

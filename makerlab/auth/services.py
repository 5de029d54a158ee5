"""Accounts and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from makerlab import clock, email_addresses
from makerlab.auth.models import ApiToken, User
from makerlab.auth.passwords import dummy_hash, hash_password, verify_password
from makerlab.enums import Role
from makerlab.errors import Invalid, NotFound
from makerlab.extensions import db
from makerlab.schools.models import School


def normalise_email(email: str) -> str:
    return email.strip().lower()


def password_problems(password: str, email: str) -> list[str]:
    """Why ``password`` is refused: too short, too common or the e-mail itself."""
    from makerlab.auth.passwords import COMMON_PASSWORDS

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
    password: str,
    *,
    name: str = "",
    school_id: int | None = None,
    locale: str | None = None,
    check_password: bool = True,
) -> User:
    """Create an account; teachers need a school."""
    email = normalise_email(email)
    errors = _check_account(email, role, school_id)
    if problem := email_addresses.problem(email):
        errors["email"] = [problem]
    if check_password:
        problems = password_problems(password, email)
        if problems:
            errors["password"] = problems
    if errors:
        raise Invalid(errors)
    user = User(
        email=email,
        role=role,
        name=name.strip(),
        password_hash=hash_password(password),
        school_id=school_id if role == Role.TEACHER else None,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    user: User,
    *,
    name: str,
    role: str,
    school_id: int | None,
    active: bool,
    locale: str | None,
    password: str | None = None,
) -> User:
    """Change an account (admin). A blank password keeps the old one."""
    errors = _check_account(user.email, role, school_id, user_id=user.id)
    if password:
        problems = password_problems(password, user.email)
        if problems:
            errors["password"] = problems
    if errors:
        raise Invalid(errors)
    user.name = name.strip()
    user.role = role
    user.school_id = school_id if role == Role.TEACHER else None
    user.active = active
    user.locale = locale
    if password:
        user.password_hash = hash_password(password)
    if not active:
        revoke_all_tokens(user)
    db.session.flush()
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
    if user is None:
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


def revoke_token(user: User, token_id: int) -> None:
    """Revoke one of ``user``'s tokens."""
    token = db.session.get(ApiToken, token_id)
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


def get_user(user_id: int) -> User:
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

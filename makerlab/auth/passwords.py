"""Password hashing (argon2) and the password policy."""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

# A short list of passwords seen first in every breach corpus; any of these,
# or the user's own e-mail, is refused whatever its length.
COMMON_PASSWORDS = frozenset(
    [
        "123456789012",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "qwertzuiop",
        "passwort123",
        "password123",
        "password1234",
        "passwort1234",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "iloveyou123",
        "letmein123",
        "welcome123",
        "willkommen1",
        "hallo12345",
        "schalke04ev",
        "bvb09borussia",
        "0987654321",
        "1111111111",
        "0000000000",
        "abcdefghij",
        "abc1234567",
        "admin12345",
        "administrator",
        "makerlab123",
        "passage1313",
        "geheim12345",
        "sommer2024",
        "winter2024",
        "sommer2025",
        "winter2025",
        "sommer2026",
        "winter2026",
        "fussball123",
    ]
)


def _hasher() -> PasswordHasher:
    """argon2 with the app's ``PASSWORD_HASH_PARAMS`` (argon2-cffi's defaults when unset)."""
    params = current_app.config.get("PASSWORD_HASH_PARAMS") if has_app_context() else None
    return _hasher_for(tuple(sorted((params or {}).items())))


@cache
def _hasher_for(params: tuple[tuple[str, Any], ...]) -> PasswordHasher:
    return PasswordHasher(**dict(params))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


# An invited account has no password yet: its hash starts with "!" and
# matches nothing (argon2 refuses it as invalid). The random rest makes every
# such hash different, so an invitation link names one state of one account.
UNUSABLE_PREFIX = "!"


def unusable_password_hash() -> str:
    return UNUSABLE_PREFIX + secrets.token_hex(16)


def is_unusable(password_hash: str) -> bool:
    return password_hash.startswith(UNUSABLE_PREFIX)


def verify_password(password_hash: str, password: str) -> bool:
    """Verifying costs what the hash was made with (its parameters are part of it)."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_hash() -> str:
    """A hash to verify against when the user is unknown, so timing does not tell."""
    return _dummy_hash_of(_hasher())


@cache
def _dummy_hash_of(hasher: PasswordHasher) -> str:
    return hasher.hash("makerlab-no-such-user")

"""Password hashing (argon2) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

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


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the user is unknown, so timing does not tell.
DUMMY_HASH = _hasher.hash("makerlab-no-such-user")

"""Domain errors raised by services, and how they are shown.

Services raise these; the API turns them into ``application/problem+json``,
HTML views into form messages or an error page.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra

    def problem(self) -> dict[str, Any]:
        slug = type(self).__name__.lower()
        body: dict[str, Any] = {
            "type": f"https://makerlab.invalid/problems/{slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        body.update(self.extra)
        return body


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Invalid(DomainError):
    """Input breaks a rule (422); ``errors`` maps field -> messages.

    ``extra`` adds members to the problem, such as the ``conflicts`` a refused
    booking would also meet, so every reason is told at once.
    """

    status = 422
    title = "Unprocessable content"

    def __init__(self, errors: dict[str, list[str]], detail: str = "", **extra: Any) -> None:
        if not detail:
            detail = "; ".join(f"{f}: {' '.join(m)}" for f, m in errors.items())
        super().__init__(detail, errors=errors, **extra)
        self.errors = errors


class Conflict(DomainError):
    """State conflict (409); ``conflicts`` lists the bookings in the way."""

    status = 409
    title = "Conflict"

    def __init__(self, detail: str, conflicts: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(detail, conflicts=conflicts or [], **extra)
        self.conflicts = conflicts or []


class TooManyRequests(DomainError):
    """Too many attempts (429); ``retry_after`` says in how many seconds to try again."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after


def invalid(field: str, message: str) -> Invalid:
    return Invalid({field: [message]})

"""Who may take part: age, guardian consent and inductions (SPEC rules 6 and 10).

The booking and the enrolment services both ask these functions, so the
rules are written once. Each returns plain-language problems (empty: fine).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from makerlab import categories, messages
from makerlab.extensions import db
from makerlab.messages import N_
from makerlab.participants.models import Induction, Participant

ADULT_AGE = 18

# The problems as message ids (``makerlab.messages``): one stored now, in a booking's
# ``attention``, is read later in each reader's language.
MESSAGES: dict[str, str] = {
    "erased": N_("Participant %(name)s has been erased."),
    "no_consent": N_("%(name)s has no guardian consent on record."),
    "minor_without_consent": N_("%(name)s is under 18 and has no guardian consent on record."),
    "no_birth_date": N_("%(name)s has no birth date on record."),
    "too_young": N_("%(name)s is %(age)d; the minimum age is %(min)d."),
    "too_old": N_("%(name)s is %(age)d; the maximum age is %(max)d."),
    "no_induction": N_("%(name)s has no valid safety induction for %(category)s."),
}


@dataclass(frozen=True)
class Problem:
    """One problem: a message of ``MESSAGES`` and its JSON values; ``str()`` writes it out."""

    message: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        return messages.render(MESSAGES, self.message, self.params)


def consent_and_age_problems(
    participant: Participant,
    on: dt.date,
    *,
    min_age: int | None = None,
    max_age: int | None = None,
) -> list[str]:
    """Age limits and, for minors, guardian consent on day ``on``: every problem at once."""
    found = consent_and_age_findings(participant, on, min_age=min_age, max_age=max_age)
    return [str(problem) for problem in found]


def consent_and_age_findings(
    participant: Participant,
    on: dt.date,
    *,
    min_age: int | None = None,
    max_age: int | None = None,
) -> list[Problem]:
    """:func:`consent_and_age_problems` as ``Problem``s (to store, and write out later)."""
    if participant.erased_at is not None:
        return [Problem("erased", {"name": participant.display_name})]
    return age_findings(participant, on, min_age=min_age, max_age=max_age) + consent_findings(
        participant, on
    )


def consent_problems(participant: Participant, on: dt.date) -> list[str]:
    """Guardian consent for a minor (or someone whose age is unknown) on day ``on``."""
    return [str(problem) for problem in consent_findings(participant, on)]


def consent_findings(participant: Participant, on: dt.date) -> list[Problem]:
    """:func:`consent_problems` as ``Problem``s."""
    age = participant.age_on(on)
    if participant.guardian_consent or (age is not None and age >= ADULT_AGE):
        return []
    name = participant.display_name
    if age is None:
        return [Problem("no_consent", {"name": name})]
    return [Problem("minor_without_consent", {"name": name})]


def age_problems(
    participant: Participant,
    on: dt.date,
    *,
    min_age: int | None = None,
    max_age: int | None = None,
) -> list[str]:
    """A birth date on record, and the age limits on day ``on``."""
    found = age_findings(participant, on, min_age=min_age, max_age=max_age)
    return [str(problem) for problem in found]


def age_findings(
    participant: Participant,
    on: dt.date,
    *,
    min_age: int | None = None,
    max_age: int | None = None,
) -> list[Problem]:
    """:func:`age_problems` as ``Problem``s."""
    name = participant.display_name
    age = participant.age_on(on)
    if age is None:
        return [Problem("no_birth_date", {"name": name})]
    problems = []
    if min_age is not None and age < min_age:
        problems.append(Problem("too_young", {"name": name, "age": age, "min": min_age}))
    if max_age is not None and age > max_age:
        problems.append(Problem("too_old", {"name": name, "age": age, "max": max_age}))
    return problems


def inducted_categories(participant_ids: Iterable[int], on: dt.date) -> dict[int, set[str]]:
    """Equipment categories each participant holds a valid induction for on ``on``."""
    ids = list(participant_ids)
    result: dict[int, set[str]] = {pid: set() for pid in ids}
    if not ids:
        return result
    rows = db.session.execute(
        sa.select(Induction.participant_id, Induction.category).where(
            Induction.participant_id.in_(ids),
            Induction.completed_on <= on,
            sa.or_(Induction.valid_until.is_(None), Induction.valid_until >= on),
        )
    )
    for pid, category in rows:
        result[pid].add(category)
    return result


def induction_problem(participant: Participant, category: str, valid: set[str]) -> str | None:
    """The refusal when ``participant`` lacks a valid induction for ``category``."""
    problem = induction_finding(participant, category, valid)
    return str(problem) if problem is not None else None


def induction_finding(participant: Participant, category: str, valid: set[str]) -> Problem | None:
    """:func:`induction_problem` as a ``Problem``."""
    if category in valid:
        return None
    params = {"name": participant.display_name, "category": messages.category(category)}
    return Problem("no_induction", params)


def induction_warnings(
    participant: Participant, on: dt.date, youngest: dict[str, int | None]
) -> list[str]:
    """What the booking rules will refuse although an induction is recorded.

    ``youngest`` maps a category to the lowest ``min_age`` of its units (None:
    some unit has no age limit). Staff see these before they record an
    induction, so no one is trained for a unit they may not use yet.
    """
    return [text for _category, text in induction_warnings_by_category(participant, on, youngest)]


def induction_warnings_by_category(
    participant: Participant, on: dt.date, youngest: dict[str, int | None]
) -> list[tuple[str | None, str]]:
    """:func:`induction_warnings` with the category each is about (None: every category).

    The induction form shows those of the chosen category and the general ones.
    """
    if participant.erased_at is not None:
        return []
    everywhere = consent_problems(participant, on)
    warnings: list[tuple[str | None, str]] = []
    if participant.age_on(on) is None:
        everywhere = age_problems(participant, on) + everywhere
    else:
        for category, min_age in sorted(youngest.items()):
            warnings.extend(
                (
                    category,
                    _(
                        "%(category)s: %(problem)s Bookings of these units will be refused.",
                        category=categories.label(category),
                        problem=problem,
                    ),
                )
                for problem in age_problems(participant, on, min_age=min_age)
            )
    warnings.extend(
        (None, _("%(problem)s Bookings with this participant will be refused.", problem=problem))
        for problem in everywhere
    )
    return warnings

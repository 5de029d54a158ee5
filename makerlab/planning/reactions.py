"""Re-planning in answer to signals of lower rooms, subscribed in ``create_app``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from makerlab.auth.models import User
from makerlab.enums import AttentionReason
from makerlab.extensions import db
from makerlab.participants.models import ConsentKind, ConsentRecord, Participant
from makerlab.participants.signals import consent_withdrawn
from makerlab.planning.impact import ParticipantChange, find_impact, merge_affected, replan


def consent_change(participant: Participant) -> ParticipantChange:
    """A withdrawn guardian consent, named by its latest history entry (one notice per entry)."""
    record_id = db.session.scalar(
        sa.select(sa.func.max(ConsentRecord.id)).where(
            ConsentRecord.participant_id == participant.id,
            ConsentRecord.kind == ConsentKind.GUARDIAN.value,
        )
    )
    key = f"consent:{participant.id}:{record_id}"
    return ParticipantChange(participant, frozenset({AttentionReason.CONSENT.value}), key)


def flag_after_withdrawal(participant: Participant, **news: Any) -> None:
    """Guardian consent withdrawn: the participant's future bookings and enrolments need a look."""
    if ConsentKind.GUARDIAN.value in news.get("kinds", ()):
        replan(consent_change(participant), news.get("actor"))


def subscribe() -> None:
    """Connect the reactions (once per process is enough; connecting again changes nothing)."""
    consent_withdrawn.connect(flag_after_withdrawal)


def age_change(participant: Participant) -> ParticipantChange:
    """A birth date set, changed or removed: the age limits of future plans, checked again."""
    born = participant.birth_date.isoformat() if participant.birth_date else "none"
    key = f"age:{participant.id}:{born}"
    return ParticipantChange(participant, frozenset({AttentionReason.AGE.value}), key)


@dataclass(frozen=True)
class PersonBefore:
    """What re-planning compares after a participant is changed."""

    birth_date: dt.date | None
    guardian_consent: bool

    @classmethod
    def of(cls, participant: Participant) -> PersonBefore:
        return cls(participant.birth_date, bool(participant.guardian_consent))


def replan_person(
    participant: Participant, before: PersonBefore, actor: User | None, *, preview: bool = False
) -> dict[str, list[int]]:
    """After a participant changed: flag what a new birth date hits (unless ``preview``).

    A withdrawn consent was flagged already by :func:`flag_after_withdrawal`
    (the signal); it is only found again here for the answer.
    """
    found = []
    if participant.birth_date != before.birth_date:
        found.append(replan(age_change(participant), actor, preview=preview).affected)
    if before.guardian_consent and not participant.guardian_consent:
        found.append(find_impact(consent_change(participant)).affected)
    return merge_affected(*found)

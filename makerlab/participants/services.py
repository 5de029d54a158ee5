"""The participant registry: records, consent history, inductions, export and erasure.

Participants are children; their data is kept minimal, shown only to those
who need it (teachers: their own school), exported on request and erased
irreversibly on request or after the retention period (SPEC 12-14).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from makerlab import clock, email_addresses
from makerlab.audit.models import AuditEntry
from makerlab.auth.models import User
from makerlab.bookings.models import Booking, booking_participants
from makerlab.categories import is_slug
from makerlab.equipment.models import Equipment
from makerlab.errors import Conflict, Invalid, NotFound
from makerlab.extensions import db
from makerlab.participants import consent, erasure
from makerlab.participants.models import (
    ConsentKind,
    ConsentRecord,
    ConsentRequest,
    ConsentSource,
    Induction,
    Participant,
)
from makerlab.participants.rules import consent_and_age_problems, inducted_categories
from makerlab.schools.models import School
from makerlab.workshops.models import Enrolment, WorkshopSession

PERSONAL_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "guardian_name",
    "guardian_email",
    "guardian_phone",
    "notes",
)
FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "school_id",
    "guardian_name",
    "guardian_email",
    "guardian_phone",
    "guardian_consent",
    "guardian_consent_on",
    "photo_consent",
    "may_go_home_alone",
    "evaluation_consent",
    "notes",
)
EXPIRY_WINDOW_DAYS = 30
_PHONE = re.compile(r"^[0-9+()/ .\-]{3,50}$")
_LENGTHS = {
    "first_name": 100,
    "last_name": 100,
    "guardian_name": 200,
    "guardian_phone": 50,
    "notes": 5000,
}


def today() -> dt.date:
    """Today in the centre's time zone."""
    return clock.today(current_app.config["TIMEZONE"])


# ---------------------------------------------------------------- visibility


def visible_participants(actor: User) -> sa.Select[Participant]:
    """Participants staff may see, erased ones left out (teachers see none: permission table)."""
    stmt = (
        sa.select(Participant)
        .where(Participant.erased_at.is_(None))
        .order_by(Participant.last_name, Participant.first_name, Participant.id)
    )
    return stmt


def search_participants(
    actor: User, q: str | None = None, school_id: int | None = None
) -> sa.Select[Participant]:
    """Visible participants whose names contain every word of ``q``, optionally of one school."""
    stmt = visible_participants(actor)
    for word in (q or "").split():
        pattern = f"%{_like_escape(word)}%"
        stmt = stmt.where(
            sa.or_(
                Participant.first_name.ilike(pattern, escape="\\"),
                Participant.last_name.ilike(pattern, escape="\\"),
            )
        )
    if school_id:
        stmt = stmt.where(Participant.school_id == school_id)
    return stmt


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_participant(actor: User, participant_id: int) -> Participant:
    """One participant, 404 if unknown."""
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        raise NotFound(_("No such participant."))
    return participant


# ---------------------------------------------------------------- create / update


def _clean(values: dict[str, Any], current: Participant | None) -> dict[str, Any]:
    """Check the shape-independent rules of participant fields; return cleaned values.

    Not split: one branch per field, in the order of the form, all errors gathered at once.
    """
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in FIELDS:
            continue
        if isinstance(value, str):
            value = value.strip()
            if key not in ("first_name", "last_name") and value == "":
                value = None
        clean[key] = value
    for key in ("first_name", "last_name"):
        if (key in clean or current is None) and not clean.get(key):
            errors.setdefault(key, []).append(_("Please enter a name."))
    for key, limit in _LENGTHS.items():
        value = clean.get(key)
        if isinstance(value, str) and len(value) > limit:
            errors.setdefault(key, []).append(_("At most %(num)d characters.", num=limit))
    email = clean.get("guardian_email")
    email_problem = email_addresses.problem(email) if email else None
    if email_problem:
        errors.setdefault("guardian_email", []).append(email_problem)
    phone = clean.get("guardian_phone")
    if phone and not _PHONE.match(phone):
        errors.setdefault("guardian_phone", []).append(
            _("A phone number has digits, spaces and + - / ( ) only.")
        )
    day = today()
    for key in ("birth_date", "guardian_consent_on"):
        if problem := clock.year_problem(clean.get(key)):
            errors.setdefault(key, []).append(problem)
    birth = clean.get("birth_date")
    if birth is not None and "birth_date" not in errors and birth > day:
        errors.setdefault("birth_date", []).append(_("Please check the birth date."))
    school_id = clean.get("school_id")
    if school_id == 0:
        clean["school_id"] = school_id = None
    if school_id is not None and db.session.get(School, school_id) is None:
        errors.setdefault("school_id", []).append(_("Unknown school."))
    for key in consent.CHOICE_FIELDS.values():
        if key in clean and clean[key] is None:
            clean[key] = False
    given = clean.get("guardian_consent", current.guardian_consent if current else False)
    if given:
        on = clean.get("guardian_consent_on")
        if on is None and "guardian_consent_on" not in clean and current is not None:
            on = current.guardian_consent_on
        if on is None:
            on = day
        if on > day and "guardian_consent_on" not in errors:
            errors.setdefault("guardian_consent_on", []).append(
                _("Consent cannot be dated in the future.")
            )
        clean["guardian_consent_on"] = on
    else:
        # Revoked or never given: the date lives on in the consent history only.
        clean["guardian_consent_on"] = None
    if errors:
        raise Invalid(errors)
    return clean


def create_participant(actor: User | None, **values: Any) -> Participant:
    """Register a participant; given consents start the consent history (source: staff)."""
    clean = _clean(values, None)
    participant = Participant(**clean)
    if participant.birth_date is not None:
        participant.birth_year = participant.birth_date.year
    participant.last_activity_at = clock.now()
    db.session.add(participant)
    db.session.flush()
    day = today()
    for kind, granted in consent.current_choices(participant).items():
        if granted:
            on = participant.guardian_consent_on if kind == ConsentKind.GUARDIAN else None
            consent.add_record(
                actor, participant, kind, True, on or day, source=ConsentSource.STAFF
            )
    db.session.flush()
    return participant


def _require_not_erased(participant: Participant) -> None:
    if participant.erased_at is not None:
        raise Conflict(_("This participant's data has been erased."))


def update_participant(actor: User | None, participant: Participant, **changes: Any) -> Participant:
    """Change a participant; every change of a consent choice joins the history (source: staff).

    A new guardian e-mail address ends the links sent to the old one.
    """
    _require_not_erased(participant)
    clean = _clean(changes, participant)
    was = consent.current_choices(participant)
    was_guardian_on = participant.guardian_consent_on
    was_email = participant.guardian_email
    for key, value in clean.items():
        setattr(participant, key, value)
    if "birth_date" in clean:
        participant.birth_year = participant.birth_date.year if participant.birth_date else None
    day = today()
    records = []
    for kind, granted in consent.current_choices(participant).items():
        guardian = kind == ConsentKind.GUARDIAN
        redated = guardian and granted and participant.guardian_consent_on != was_guardian_on
        if granted == was[kind] and not redated:
            continue
        on = (participant.guardian_consent_on if guardian and granted else None) or day
        records.append(
            consent.add_record(actor, participant, kind, granted, on, source=ConsentSource.STAFF)
        )
    if participant.guardian_email != was_email:
        consent.revoke_links(participant)
    if db.session.is_modified(participant):
        participant.last_activity_at = clock.now()
    db.session.flush()
    withdrawn = [r.kind for r in records if not r.granted]
    consent.announce_withdrawals(actor, participant, withdrawn, ConsentSource.STAFF)
    return participant


def consent_history(participant: Participant) -> list[ConsentRecord]:
    """Every consent choice given or withdrawn, newest first."""
    return list(
        db.session.scalars(
            sa.select(ConsentRecord)
            .where(ConsentRecord.participant_id == participant.id)
            .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
        )
    )


# ---------------------------------------------------------------- inductions


def record_induction(
    actor: User | None,
    participant: Participant,
    *,
    category: str,
    completed_on: dt.date | None = None,
    valid_until: dt.date | None = None,
) -> Induction:
    """Record a safety induction for one equipment category."""
    _require_not_erased(participant)
    errors: dict[str, list[str]] = {}
    category = (category or "").strip()
    if not is_slug(category):
        errors["category"] = [_("Use an equipment category such as laser_cutter.")]
    completed_on = completed_on or today()
    clock.check_year(completed_on, "completed_on")
    if valid_until is not None:
        clock.check_year(valid_until, "valid_until")
    if completed_on > today():
        errors["completed_on"] = [_("An induction cannot be completed in the future.")]
    if valid_until is not None and valid_until < completed_on:
        errors["valid_until"] = [_("Valid until must not be before the day it was completed.")]
    if errors:
        raise Invalid(errors)
    induction = Induction(
        participant_id=participant.id,
        category=category,
        completed_on=completed_on,
        valid_until=valid_until,
        recorded_by_id=actor.id if actor else None,
    )
    db.session.add(induction)
    participant.last_activity_at = clock.now()
    db.session.flush()
    return induction


def inductions_of(participant: Participant) -> list[Induction]:
    """A participant's inductions, newest first."""
    return list(
        db.session.scalars(
            sa.select(Induction)
            .where(Induction.participant_id == participant.id)
            .order_by(Induction.completed_on.desc(), Induction.id.desc())
        )
    )


def induction_is_valid(induction: Induction, on: dt.date | None = None) -> bool:
    """True if the induction covers day ``on`` (default today)."""
    day = on or today()
    return induction.completed_on <= day and (
        induction.valid_until is None or induction.valid_until >= day
    )


def machine_permissions(
    participant: Participant, on: dt.date | None = None
) -> list[dict[str, Any]]:
    """Per equipment category in use: may this participant use it, and if not, why."""
    day = on or today()
    rows = db.session.execute(
        sa.select(
            Equipment.category,
            sa.func.count(),
            sa.func.max(sa.case((Equipment.requires_induction, 1), else_=0)),
            sa.func.max(Equipment.min_age),
        )
        .where(Equipment.status != "retired")
        .group_by(Equipment.category)
        .order_by(Equipment.category)
    ).all()
    valid = inducted_categories([participant.id], day)[participant.id]
    out = []
    for category, units, needs_induction, min_age in rows:
        reasons = consent_and_age_problems(participant, day, min_age=min_age)
        if needs_induction and category not in valid:
            reasons.append(_("No valid safety induction."))
        out.append(
            {
                "category": category,
                "units": units,
                "requires_induction": bool(needs_induction),
                "min_age": min_age,
                "inducted": category in valid,
                "allowed": not reasons,
                "reasons": reasons,
            }
        )
    return out


def expiring_inductions(
    actor: User | None, within_days: int = EXPIRY_WINDOW_DAYS, on: dt.date | None = None
) -> list[tuple[Participant, str, dt.date]]:
    """(participant, category, last valid day) for inductions running out soon and not renewed."""
    day = on or today()
    # The latest validity per participant and category; NULL (no end) beats any date.
    open_ended = sa.func.max(sa.case((Induction.valid_until.is_(None), 1), else_=0))
    latest = (
        sa.select(
            Induction.participant_id,
            Induction.category,
            sa.func.max(Induction.valid_until).label("until"),
        )
        .group_by(Induction.participant_id, Induction.category)
        .having(open_ended == 0)
        .subquery()
    )
    stmt = (
        sa.select(Participant, latest.c.category, latest.c.until)
        .join(latest, latest.c.participant_id == Participant.id)
        .where(
            Participant.erased_at.is_(None),
            latest.c.until >= day,
            latest.c.until <= day + dt.timedelta(days=within_days),
        )
        .order_by(latest.c.until, Participant.last_name, Participant.first_name)
    )
    return [(p, c, u) for p, c, u in db.session.execute(stmt).all()]


# ---------------------------------------------------------------- bookings and enrolments


def bookings_of(participant: Participant) -> list[Booking]:
    """Bookings the participant is on, newest first (equipment loaded)."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .join(booking_participants, booking_participants.c.booking_id == Booking.id)
            .where(booking_participants.c.participant_id == participant.id)
            .options(sa.orm.joinedload(Booking.equipment))
            .order_by(Booking.starts_at.desc())
        )
    )


def enrolments_of(participant: Participant) -> list[Enrolment]:
    """The participant's own enrolments, newest session first (session and workshop loaded)."""
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .join(WorkshopSession, WorkshopSession.id == Enrolment.session_id)
            .where(Enrolment.participant_id == participant.id)
            .options(sa.orm.joinedload(Enrolment.session).joinedload(WorkshopSession.workshop))
            .order_by(WorkshopSession.starts_at.desc())
        )
    )


# ---------------------------------------------------------------- export


def _audit_entries_about(participant: Participant) -> list[AuditEntry]:
    stmt = (
        sa.select(AuditEntry)
        .where(sa.or_(*erasure.audit_conditions(participant.id)))
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(db.session.scalars(stmt))


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(clock.zone(current_app.config["TIMEZONE"])).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _row(obj: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    mapper = sa.inspect(obj).mapper
    return {a.key: _iso(getattr(obj, a.key)) for a in mapper.column_attrs if a.key not in skip}


def export_participant(actor: User, participant: Participant) -> dict[str, Any]:
    """Every datum stored about the participant, as plain JSON-ready data (GDPR Art. 15/20)."""
    record = _row(participant)
    record["school"] = participant.school.name if participant.school else None
    bookings = []
    for booking in bookings_of(participant):
        row = _row(booking, skip=("blocked_until",))
        row["equipment"] = {
            "id": booking.equipment.id,
            "name": booking.equipment.name,
            "category": booking.equipment.category,
        }
        bookings.append(row)
    enrolments = []
    for enrolment in enrolments_of(participant):
        row = _row(enrolment)
        row["session"] = {
            "id": enrolment.session.id,
            "workshop": enrolment.session.workshop.title,
            "starts_at": _iso(enrolment.session.starts_at),
            "ends_at": _iso(enrolment.session.ends_at),
            "location": enrolment.session.location,
        }
        enrolments.append(row)
    entries = _audit_entries_about(participant)
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    names: dict[int, str] = {}
    if actor_ids:
        rows = db.session.execute(sa.select(User.id, User.email).where(User.id.in_(actor_ids)))
        names = {uid: email for uid, email in rows}
    audit = [
        {
            "id": e.id,
            "at": _iso(e.at),
            "actor_id": e.actor_id,
            "actor": names.get(e.actor_id) if e.actor_id else None,
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "changes": e.changes,
        }
        for e in entries
    ]
    return {
        "exported_at": _iso(clock.now()),
        "participant": record,
        "consents": [_row(c) for c in consent_history(participant)],
        "consent_requests": [
            _row(r, skip=("token_hash", "token_nonce"))
            for r in db.session.scalars(consent.requests_of(participant))
        ],
        "inductions": [_row(i) for i in inductions_of(participant)],
        "bookings": bookings,
        "enrolments": enrolments,
        "audit": audit,
    }


# ---------------------------------------------------------------- erasure and retention


@dataclasses.dataclass(frozen=True)
class ErasureSummary:
    """What erasing keeps as anonymous figures, and what it ends (said before erasing)."""

    bookings: int
    enrolments: int
    inductions: int
    consent_records: int
    open_links: int


def erasure_summary(participant: Participant) -> ErasureSummary:
    """Count what :func:`erase_participant` would keep anonymous or end (409 if erased)."""
    if participant.erased_at is not None:
        raise Conflict(_("This participant's data has been erased."))

    def count(stmt: sa.Select[Any]) -> int:
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)

    who = participant.id
    return ErasureSummary(
        bookings=count(
            sa.select(booking_participants.c.booking_id).where(
                booking_participants.c.participant_id == who
            )
        ),
        enrolments=count(sa.select(Enrolment.id).where(Enrolment.participant_id == who)),
        inductions=count(sa.select(Induction.id).where(Induction.participant_id == who)),
        consent_records=count(
            sa.select(ConsentRecord.id).where(ConsentRecord.participant_id == who)
        ),
        open_links=count(consent.open_links(participant)),
    )


def erase_participant(actor: User | None, participant: Participant) -> Participant:
    """Irreversibly remove a participant's personal data, keeping anonymous counts."""
    if participant.erased_at is not None:
        return participant
    terms = erasure.Terms.of(participant)
    if participant.birth_date is not None:
        participant.birth_year = participant.birth_date.year
    for key in PERSONAL_FIELDS:
        setattr(participant, key, None)
    participant.erased_at = clock.now()
    # The audit hook records this update; its before-values are scrubbed next.
    db.session.flush()
    erasure.scrub(participant.id, terms, PERSONAL_FIELDS)
    # The guardian's links die with the data (they also hold the guardian's address).
    db.session.execute(
        sa.delete(ConsentRequest).where(ConsentRequest.participant_id == participant.id)
    )
    db.session.expire_all()
    return participant


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """The instant before which a participant's last activity makes them due for erasure."""
    months = int(current_app.config.get("RETENTION_MONTHS") or 24)
    instant = now or clock.now()
    year, month = divmod(instant.year * 12 + instant.month - 1 - months, 12)
    month += 1
    day = min(instant.day, _days_in_month(year, month))
    return instant.replace(year=year, month=month, day=day)


def _days_in_month(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def inactive_participants(now: dt.datetime | None = None) -> sa.Select[Participant]:
    """Unerased participants with no activity (own, bookings, enrolments) since the cutoff."""
    cutoff = retention_cutoff(now)
    recent_booking = (
        sa.select(booking_participants.c.participant_id)
        .join(Booking, Booking.id == booking_participants.c.booking_id)
        .where(
            booking_participants.c.participant_id == Participant.id,
            sa.or_(Booking.ends_at >= cutoff, Booking.created_at >= cutoff),
        )
        .exists()
    )
    recent_enrolment = (
        sa.select(Enrolment.id)
        .join(WorkshopSession, WorkshopSession.id == Enrolment.session_id)
        .where(
            Enrolment.participant_id == Participant.id,
            sa.or_(WorkshopSession.ends_at >= cutoff, Enrolment.created_at >= cutoff),
        )
        .exists()
    )
    return (
        sa.select(Participant)
        .where(
            Participant.erased_at.is_(None),
            Participant.last_activity_at < cutoff,
            ~recent_booking,
            ~recent_enrolment,
        )
        .order_by(Participant.id)
    )


def last_activity(participant: Participant) -> dt.datetime:
    """The latest of the participant's own activity, bookings and enrolments."""
    times = [participant.last_activity_at]
    times += db.session.execute(
        sa.select(sa.func.max(Booking.ends_at), sa.func.max(Booking.created_at))
        .join(booking_participants, booking_participants.c.booking_id == Booking.id)
        .where(booking_participants.c.participant_id == participant.id)
    ).one()
    times += db.session.execute(
        sa.select(sa.func.max(WorkshopSession.ends_at), sa.func.max(Enrolment.created_at))
        .join(WorkshopSession, WorkshopSession.id == Enrolment.session_id)
        .where(Enrolment.participant_id == participant.id)
    ).one()
    return max(t for t in times if t is not None)


def purge_inactive(now: dt.datetime | None = None) -> int:
    """Erase every participant inactive for RETENTION_MONTHS (SPEC 13); returns how many."""
    ids = list(db.session.scalars(inactive_participants(now).with_only_columns(Participant.id)))
    for participant_id in ids:
        participant = db.session.get(Participant, participant_id)
        if participant is not None:
            erase_participant(None, participant)
    db.session.flush()
    return len(ids)

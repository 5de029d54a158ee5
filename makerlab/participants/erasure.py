"""Scrubbing a participant's personal values from everywhere else in the database.

Nulling the participant's columns is not enough: earlier audit entries hold
the old values, and free-text columns (a booking's purpose, an enrolment's
class name, an e-mail in the outbox) may mention the name. The updates here
are plain SQL on purpose: they must not be audited, since an audit entry of
the scrub would echo the very values being removed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from makerlab.audit.models import AuditEntry
from makerlab.bookings.models import Booking, booking_participants
from makerlab.extensions import db
from makerlab.notifications.models import Notification
from makerlab.participants.consent import email_key
from makerlab.participants.models import ConsentRecord, ConsentRequest, Induction
from makerlab.workshops.models import Enrolment

ERASED = "[erased]"
# Free-text columns where a bare first or last name is scrubbed even in rows
# not linked to the participant (whole words only, to spare other text).
NAME_COLUMNS = {"bookings": ("purpose", "return_note"), "enrolments": ("class_name",)}
# Copies of a free-text column without case and spaces, kept for matching
# ("AG Quirlwasser" -> "agquirlwasser"): dropped where they hold a term.
KEY_COLUMNS = {"enrolments": ("class_key",)}
# Columns of other participants that may mention this one (their own names,
# and guardians shared by siblings, are theirs and stay).
PARTICIPANT_FREE_TEXT = ("notes",)
# Account logins stay intact (a guardian may also be a member of staff);
# hashes and HMAC keys hold no text.
_SKIP_COLUMNS = {
    ("users", "password_hash"),
    ("users", "email"),
    ("api_tokens", "token_hash"),
    ("login_failures", "key"),
}


@dataclass(frozen=True)
class Terms:
    """What identifies the person: names (weak alone) and full names, guardian contacts (strong)."""

    weak: tuple[str, ...]
    strong: tuple[str, ...]

    @classmethod
    def of(cls, participant: Any) -> Terms:
        first = (participant.first_name or "").strip()
        last = (participant.last_name or "").strip()
        strong = []
        if first and last:
            strong += [f"{first} {last}", f"{last} {first}", f"{last}, {first}"]
        for value in (participant.guardian_email, participant.guardian_name):
            if value and len(value.strip()) >= 4:
                strong.append(value.strip())
        phone = (participant.guardian_phone or "").strip()
        if sum(ch.isdigit() for ch in phone) >= 6:
            strong.append(phone)
        weak = [t for t in (first, last) if len(t) >= 2]
        return cls(weak=tuple(weak), strong=tuple(strong))

    @property
    def all(self) -> tuple[str, ...]:
        return self.strong + self.weak


def _substring_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    ordered = sorted(set(terms), key=len, reverse=True)
    return re.compile("|".join(re.escape(t) for t in ordered), re.IGNORECASE)


def _word_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    ordered = sorted(set(terms), key=len, reverse=True)
    body = "|".join(re.escape(t) for t in ordered)
    # Whole words, with a genitive ending ("Mias Projekt", "Mia's") counted in.
    return re.compile(rf"(?<!\w)(?:{body})(?:['’]?s|['’])?(?!\w)", re.IGNORECASE)


def _replacer(pattern: re.Pattern[str] | None) -> Callable[[Any], Any]:
    def walk(value: Any) -> Any:
        if pattern is None:
            return value
        if isinstance(value, str):
            return pattern.sub(ERASED, value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk


def _is_text(column: Any) -> bool:
    return isinstance(column.type, sa.String | sa.JSON)


def _contains(column: Any, term: str) -> sa.ColumnElement[bool]:
    """``column`` mentions ``term`` (JSON: also in its \\u-escaped form)."""

    def like(expr: Any, text: str) -> sa.ColumnElement[bool]:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return expr.ilike(f"%{escaped}%", escape="\\")  # type: ignore[no-any-return]

    if isinstance(column.type, sa.JSON):
        as_text = sa.cast(column, sa.Text)
        forms = {term, json.dumps(term)[1:-1]}
        return sa.or_(*(like(as_text, f) for f in forms))
    return like(column, term)


def _rewrite(
    table: sa.Table,
    columns: list[Any],
    where: sa.ColumnElement[bool],
    replace: Callable[[Any], Any],
) -> None:
    """Apply ``replace`` to ``columns`` of the matching rows, writing back what changed."""
    if not columns:
        return
    pk = list(table.primary_key.columns)
    if not pk:
        return
    rows = db.session.execute(sa.select(*pk, *columns).where(where)).all()
    for row in rows:
        keys = row[: len(pk)]
        values = {}
        for column, old in zip(columns, row[len(pk) :], strict=True):
            new = replace(old)
            limit = getattr(column.type, "length", None)
            if isinstance(new, str) and limit and len(new) > limit:
                new = new[:limit]
            if new != old:
                values[column.name] = new
        if values:
            cond = sa.and_(*(c == k for c, k in zip(pk, keys, strict=True)))
            db.session.execute(table.update().where(cond).values(**values))


def audit_conditions(participant_id: int) -> list[sa.ColumnElement[bool]]:
    """Audit entries about the participant: their row, consents, links, inductions, enrolments."""

    def about(entity: str, ids: Any) -> sa.ColumnElement[bool]:
        return sa.and_(AuditEntry.entity == entity, AuditEntry.entity_id.in_(ids))

    return [
        sa.and_(AuditEntry.entity == "participants", AuditEntry.entity_id == participant_id),
        about(
            "consent_records",
            sa.select(ConsentRecord.id).where(ConsentRecord.participant_id == participant_id),
        ),
        about(
            "consent_requests",
            sa.select(ConsentRequest.id).where(ConsentRequest.participant_id == participant_id),
        ),
        about(
            "inductions", sa.select(Induction.id).where(Induction.participant_id == participant_id)
        ),
        about(
            "enrolments", sa.select(Enrolment.id).where(Enrolment.participant_id == participant_id)
        ),
    ]


def scrub(participant_id: int, terms: Terms, personal_fields: tuple[str, ...]) -> None:
    """Remove the person's values from audit history and any text that mentions them."""
    everything = _replacer(_substring_pattern(terms.all))
    _scrub_audit_about(participant_id, personal_fields, everything)
    _scrub_linked_rows(participant_id, everything)
    _scrub_consent_mails(participant_id, everything)
    if terms.weak:
        _scrub_name_mentions(terms.weak)
    if terms.strong:
        _scrub_everywhere(terms.strong)
    _drop_keys_naming(terms.all)


def _scrub_audit_about(
    participant_id: int, personal_fields: tuple[str, ...], everything: Callable[[Any], Any]
) -> None:
    """Audit entries about the person: personal fields become "[erased]", mentions go."""
    audit = db.metadata.tables[AuditEntry.__tablename__]

    def scrub_changes(entity_is_participant: bool) -> Callable[[Any], Any]:
        def replace(changes: Any) -> Any:
            if not isinstance(changes, dict):
                return everything(changes)
            out = {}
            for key, pair in changes.items():
                if entity_is_participant and key in personal_fields and isinstance(pair, list):
                    out[key] = [None if v is None else ERASED for v in pair]
                else:
                    out[key] = everything(pair)
            return out

        return replace

    conditions = audit_conditions(participant_id)
    _rewrite(audit, [audit.c.changes], conditions[0], scrub_changes(True))
    _rewrite(audit, [audit.c.changes], sa.or_(*conditions[1:]), scrub_changes(False))


def _scrub_linked_rows(participant_id: int, everything: Callable[[Any], Any]) -> None:
    """Bookings and enrolments of the person, and their history: any mention of a name goes."""
    audit = db.metadata.tables[AuditEntry.__tablename__]
    bookings = db.metadata.tables[Booking.__tablename__]
    enrolments = db.metadata.tables[Enrolment.__tablename__]
    booking_ids = sa.select(booking_participants.c.booking_id).where(
        booking_participants.c.participant_id == participant_id
    )
    enrolment_ids = sa.select(Enrolment.id).where(Enrolment.participant_id == participant_id)
    _rewrite(
        bookings,
        [bookings.c.purpose, bookings.c.return_note],
        bookings.c.id.in_(booking_ids),
        everything,
    )
    _rewrite(
        enrolments,
        [enrolments.c.class_name, enrolments.c.contact_email],
        enrolments.c.id.in_(enrolment_ids),
        everything,
    )
    _rewrite(
        audit,
        [audit.c.changes],
        sa.or_(
            sa.and_(audit.c.entity == "bookings", audit.c.entity_id.in_(booking_ids)),
            sa.and_(audit.c.entity == "enrolments", audit.c.entity_id.in_(enrolment_ids)),
        ),
        everything,
    )


def _scrub_consent_mails(participant_id: int, everything: Callable[[Any], Any]) -> None:
    """The consent e-mails sent about them (their links die with the erasure)."""
    requests = sa.select(ConsentRequest.id).where(ConsentRequest.participant_id == participant_id)
    keys = [email_key(request_id) for request_id in db.session.scalars(requests)]
    if keys:
        mails = db.metadata.tables[Notification.__tablename__]
        _rewrite(
            mails,
            [mails.c.subject, mails.c.body_text, mails.c.body_html],
            mails.c.dedupe_key.in_(keys),
            everything,
        )


def _scrub_name_mentions(weak: tuple[str, ...]) -> None:
    """Free-text columns elsewhere naming them (whole words), and their audit history."""
    words = _replacer(_word_pattern(weak))
    for table_name, names in NAME_COLUMNS.items():
        table = db.metadata.tables[table_name]
        cols = [table.c[n] for n in names]
        match = sa.or_(*(_contains(c, t) for c in cols for t in weak))
        _rewrite(table, cols, match, words)
    audit = db.metadata.tables[AuditEntry.__tablename__]
    match = sa.and_(
        audit.c.entity.in_(list(NAME_COLUMNS)),
        sa.or_(*(_contains(audit.c.changes, t) for t in weak)),
    )
    _rewrite(audit, [audit.c.changes], match, words)


def _scrub_everywhere(strong: tuple[str, ...]) -> None:
    """The full name and the guardian's contacts in any text column of any table."""
    replace = _replacer(_substring_pattern(strong))
    for table in db.metadata.sorted_tables:
        if table.name == "participants":
            cols = [table.c[n] for n in PARTICIPANT_FREE_TEXT]
        else:
            cols = [
                c
                for c in table.columns
                if _is_text(c) and (table.name, c.name) not in _SKIP_COLUMNS
            ]
        if not cols:
            continue
        match = sa.or_(*(_contains(c, t) for c in cols for t in strong))
        _rewrite(table, cols, match, replace)


def _drop_keys_naming(terms: tuple[str, ...]) -> None:
    """Matching keys derived from a name (``KEY_COLUMNS``) that hold a term in that form."""
    keyed = {"".join(t.split()).casefold() for t in terms} - {""}
    if not keyed:
        return
    for table_name, names in KEY_COLUMNS.items():
        table = db.metadata.tables[table_name]
        for name in names:
            column = table.c[name]
            match = sa.or_(*(_contains(column, t) for t in keyed))
            _rewrite(table, [column], match, lambda _value: None)

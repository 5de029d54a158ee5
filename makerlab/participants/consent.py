"""Guardian consent: separate choices with their history, and the guardian's personal link.

The participant's columns ``guardian_consent``, ``photo_consent``,
``may_go_home_alone`` and ``evaluation_consent`` hold the current state of
each choice (what the rules in ``rules.py`` and the sign-in sheet read);
every change also adds a ``ConsentRecord`` with its date, source and who
recorded it. A withdrawal is sent as the ``consent_withdrawn`` signal in the
same transaction, for the planning code to flag what it hits.

A guardian reaches ``/consent/<token>`` through a link sent by e-mail or
printed as a QR code on the paper form. Links are long and random, valid
``CONSENT_LINK_DAYS``, good for this one page only, and stored as a hash.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _

from makerlab import clock, dates
from makerlab.auth.models import User
from makerlab.errors import Conflict, Invalid
from makerlab.extensions import db
from makerlab.notifications.emails import queue_email
from makerlab.participants.models import (
    ConsentKind,
    ConsentRecord,
    ConsentRequest,
    ConsentSource,
    Participant,
)
from makerlab.participants.signals import consent_withdrawn

# Each choice and the participant column holding its current state.
CHOICE_FIELDS: dict[str, str] = {
    ConsentKind.GUARDIAN.value: "guardian_consent",
    ConsentKind.PHOTO.value: "photo_consent",
    ConsentKind.HOME_ALONE.value: "may_go_home_alone",
    ConsentKind.EVALUATION.value: "evaluation_consent",
}
# A reprinted paper form reuses the current link only if it stays valid this long.
REPRINT_MIN_DAYS = 14
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def today() -> dt.date:
    """Today in the centre's time zone."""
    return clock.today(current_app.config["TIMEZONE"])


def current_choices(participant: Participant) -> dict[str, bool]:
    """The current state of every choice, by kind."""
    return {kind: bool(getattr(participant, field)) for kind, field in CHOICE_FIELDS.items()}


# ---------------------------------------------------------------- choices and history


def add_record(
    actor: User | None,
    participant: Participant,
    kind: str,
    granted: bool,
    on: dt.date,
    *,
    source: str,
    link: ConsentRequest | None = None,
) -> ConsentRecord:
    """Add one entry to the consent history (the caller has set the current state)."""
    record = ConsentRecord(
        participant_id=participant.id,
        kind=kind,
        granted=granted,
        effective_on=on,
        source=source,
        recorded_by_id=actor.id if actor else None,
        request_id=link.id if link else None,
    )
    db.session.add(record)
    return record


def announce_withdrawals(
    actor: User | None, participant: Participant, withdrawn: list[str], source: str
) -> list[str]:
    """Send ``consent_withdrawn`` for the kinds just withdrawn (if any); returns them."""
    if withdrawn:
        consent_withdrawn.send(participant, kinds=withdrawn, source=source, actor=actor)
    return withdrawn


def record_choices(
    actor: User | None,
    participant: Participant,
    choices: Mapping[str, bool],
    *,
    source: str,
    on: dt.date | None = None,
    link: ConsentRequest | None = None,
) -> list[ConsentRecord]:
    """Record each given choice as declared on day ``on``; a withdrawal applies at once.

    Every choice passed in joins the history (a paper form saying "yes" again
    is a declaration too) and becomes the current state. Choices that were
    given and are now refused are announced through ``consent_withdrawn``.
    Returns the new history entries.
    """
    if participant.erased_at is not None:
        raise Conflict(_("This participant's data has been erased."))
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(choices) - set(CHOICE_FIELDS))
    if unknown:
        errors["choices"] = [_("Unknown choice: %(kind)s.", kind=", ".join(unknown))]
    if source not in set(ConsentSource):
        errors["source"] = [_("Unknown source.")]
    day = on or today()
    clock.check_year(day, "effective_on")
    if day > today():
        errors["effective_on"] = [_("Consent cannot be dated in the future.")]
    if errors:
        raise Invalid(errors)
    records, withdrawn = [], []
    for kind, field in CHOICE_FIELDS.items():
        if kind not in choices:
            continue
        granted, was = bool(choices[kind]), bool(getattr(participant, field))
        setattr(participant, field, granted)
        if kind == ConsentKind.GUARDIAN and granted != was:
            participant.guardian_consent_on = day if granted else None
        if was and not granted:
            withdrawn.append(kind)
        records.append(add_record(actor, participant, kind, granted, day, source=source, link=link))
    if records:
        participant.last_activity_at = clock.now()
        db.session.flush()
    announce_withdrawals(actor, participant, withdrawn, source)
    return records


def withdraw(
    actor: User | None,
    participant: Participant,
    kinds: list[str],
    *,
    source: str,
    link: ConsentRequest | None = None,
) -> list[ConsentRecord]:
    """Withdraw the given choices at once (see ``record_choices``)."""
    return record_choices(actor, participant, dict.fromkeys(kinds, False), source=source, link=link)


def guardian_answers(participant: Participant, submitted: Mapping[str, bool]) -> dict[str, bool]:
    """What a save on the guardian's page declares: changed choices, and first answers."""
    recorded = last_records(participant)
    current = current_choices(participant)
    return {
        kind: value
        for kind, value in submitted.items()
        if value != current[kind] or kind not in recorded
    }


@dataclass(frozen=True)
class HistoryEntry:
    record: ConsentRecord
    recorded_by: str | None  # the member of staff's name, None for the guardian's link


def history(participant: Participant) -> list[HistoryEntry]:
    """Every choice given or withdrawn, newest first, with who recorded it."""
    rows = db.session.execute(
        sa.select(ConsentRecord, sa.func.coalesce(User.name, User.email))
        .outerjoin(User, User.id == ConsentRecord.recorded_by_id)
        .where(ConsentRecord.participant_id == participant.id)
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
    ).all()
    return [HistoryEntry(record, name) for record, name in rows]


def last_records(participant: Participant) -> dict[str, ConsentRecord]:
    """The latest history entry of each choice (what the guardian sees as 'recorded')."""
    latest: dict[str, ConsentRecord] = {}
    for entry in reversed(history(participant)):
        latest[entry.record.kind] = entry.record
    return latest


# ---------------------------------------------------------------- personal links


def _token_for(nonce: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key_bytes = key if isinstance(key, bytes) else str(key).encode()
    digest = hmac.new(key_bytes, f"consent-link:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    """The absolute address of the guardian's page (``PUBLIC_URL`` names the host)."""
    endpoint = "participants.consent.guardian_page"
    base = str(current_app.config.get("PUBLIC_URL") or "")
    if has_request_context() and not base:
        return url_for(endpoint, token=token, _external=True)
    with current_app.test_request_context("/", base_url=base or "http://127.0.0.1:5000"):
        return url_for(endpoint, token=token, _external=True)


def _new_link(
    actor: User | None, participant: Participant, emailed_to: str | None
) -> tuple[ConsentRequest, str]:
    """Issue a link (older ones stop working); returns it and its token."""
    now = clock.now()
    revoke_links(participant, now)
    nonce = secrets.token_urlsafe(32)
    token = _token_for(nonce)
    days = int(current_app.config["CONSENT_LINK_DAYS"])
    link = ConsentRequest(
        participant_id=participant.id,
        token_hash=_hash(token),
        token_nonce=nonce,
        emailed_to=emailed_to,
        created_by_id=actor.id if actor else None,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    db.session.add(link)
    db.session.flush()
    return link, token


def revoke_links(participant: Participant, now: dt.datetime | None = None) -> None:
    """Make every open link of the participant stop working (new link, new guardian address)."""
    now = now or clock.now()
    db.session.execute(
        sa.update(ConsentRequest)
        .where(
            ConsentRequest.participant_id == participant.id,
            ConsentRequest.revoked_at.is_(None),
            ConsentRequest.expires_at > now,
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def open_links(participant: Participant) -> sa.Select[Any]:
    """The participant's links that still work, newest first."""
    return (
        sa.select(ConsentRequest)
        .where(
            ConsentRequest.participant_id == participant.id,
            ConsentRequest.revoked_at.is_(None),
            ConsentRequest.expires_at > clock.now(),
        )
        .order_by(ConsentRequest.created_at.desc(), ConsentRequest.id.desc())
    )


def requests_of(participant: Participant) -> sa.Select[Any]:
    """Every link sent or printed for the participant, newest first."""
    return (
        sa.select(ConsentRequest)
        .where(ConsentRequest.participant_id == participant.id)
        .order_by(ConsentRequest.created_at.desc(), ConsentRequest.id.desc())
    )


def email_key(request_id: int) -> str:
    """The outbox dedupe key of the e-mail carrying link ``request_id``."""
    return f"consent-request:{request_id}"


def request_consent(
    actor: User | None, participant: Participant, *, language: str = "de"
) -> ConsentRequest:
    """E-mail the guardian a new personal link to the consent page (older links stop working)."""
    if participant.erased_at is not None:
        raise Conflict(_("This participant's data has been erased."))
    if not participant.guardian_email:
        raise Invalid({"guardian_email": [_("Please record the guardian's e-mail address first.")]})
    link, token = _new_link(actor, participant, participant.guardian_email)
    if language not in current_app.config["LANGUAGES"]:
        language = str(current_app.config["BABEL_DEFAULT_LOCALE"])
    local_expiry = clock.to_local(link.expires_at, current_app.config["TIMEZONE"])
    queue_email(
        dedupe_key=email_key(link.id),
        to=participant.guardian_email,
        template="consent_request",
        locale=language,
        guardian_name=participant.guardian_name,
        first_name=participant.first_name,
        url=link_url(token),
        valid_until=dates.day(local_expiry.date(), language=language),
        contact=consent_contact(),
    )
    participant.last_activity_at = clock.now()
    db.session.flush()
    return link


def _printable(participant: Participant) -> tuple[ConsentRequest, str] | None:
    """The current link and its token, if it stays valid long enough to print."""
    link = db.session.scalar(open_links(participant).limit(1))
    if link is None or link.expires_at <= clock.now() + dt.timedelta(days=REPRINT_MIN_DAYS):
        return None
    token = _token_for(link.token_nonce)
    # A changed SECRET_KEY makes an old link unprintable (it still works from the e-mail).
    if not hmac.compare_digest(_hash(token), link.token_hash):
        return None
    return link, token


def needs_new_paper_link(participant: Participant) -> bool:
    """True if printing the form must issue a link first (so the GET must write)."""
    return _printable(participant) is None


def paper_link(actor: User | None, participant: Participant) -> tuple[ConsentRequest, str, bool]:
    """The link to print on the paper form: the current one, or a new one if none will last.

    Returns the link, its token and whether it was issued now (the caller commits then).
    """
    if participant.erased_at is not None:
        raise Conflict(_("This participant's data has been erased."))
    found = _printable(participant)
    if found is not None:
        return found[0], found[1], False
    link, token = _new_link(actor, participant, None)
    return link, token, True


def find_open_request(token: str) -> ConsentRequest | None:
    """The working link for ``token``, or None (unknown, expired, replaced or erased)."""
    if not _TOKEN.match(token or ""):
        return None
    link = db.session.scalar(
        sa.select(ConsentRequest)
        .options(sa.orm.joinedload(ConsentRequest.participant))
        .where(ConsentRequest.token_hash == _hash(token))
    )
    if (
        link is None
        or link.revoked_at is not None
        or link.expires_at <= clock.now()
        or link.participant.erased_at is not None
    ):
        return None
    return link


def consent_contact() -> str:
    """Whom a guardian asks about consent (``CONSENT_CONTACT``, else the centre's contact)."""
    return str(current_app.config.get("CONSENT_CONTACT") or current_app.config["CENTRE_CONTACT"])


# ---------------------------------------------------------------- own consent at 16


@dataclass(frozen=True)
class OwnConsentDue:
    participant: Participant
    birthday: dt.date  # the day they reach OWN_CONSENT_AGE


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without it
        return dt.date(day.year + years, 3, 1)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return dt.date(day.year - years, 2, 28)


def own_consent_due(on: dt.date | None = None, ahead_days: int = 30) -> list[OwnConsentDue]:
    """Who reaches OWN_CONSENT_AGE (by ``ahead_days`` from now) without choices of their own.

    From that birthday on, choices recorded on paper or by staff are the young
    person's own; the guardian's link and anything earlier do not count.
    """
    age = int(current_app.config["OWN_CONSENT_AGE"])
    day = on or today()
    born_by = _years_before(day + dt.timedelta(days=ahead_days), age)
    own = (
        sa.select(
            ConsentRecord.participant_id,
            sa.func.max(ConsentRecord.effective_on).label("last_own"),
        )
        .where(ConsentRecord.source.in_([ConsentSource.PAPER.value, ConsentSource.STAFF.value]))
        .group_by(ConsentRecord.participant_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Participant, own.c.last_own)
        .outerjoin(own, own.c.participant_id == Participant.id)
        .where(
            Participant.erased_at.is_(None),
            Participant.birth_date.is_not(None),
            Participant.birth_date <= born_by,
        )
        .order_by(Participant.birth_date.desc(), Participant.id)
    ).all()
    due = []
    for participant, last_own in rows:
        assert participant.birth_date is not None
        birthday = _years_after(participant.birth_date, age)
        if last_own is None or last_own < birthday:
            due.append(OwnConsentDue(participant, birthday))
    return due

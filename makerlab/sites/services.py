"""Sites: opening hours, closures, and the open time between two instants."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from makerlab import clock
from makerlab.auth.models import User
from makerlab.db import begin_write, is_possible_id, is_postgres
from makerlab.errors import Invalid, NotFound
from makerlab.extensions import db
from makerlab.sites.models import Closure, Site, Term

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")

Interval = tuple[dt.datetime, dt.datetime]


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def validate_opening_hours(hours: Any) -> dict[str, list[list[str]]]:
    """Check ``{"mon": [["09:00","18:00"], ...], ...}``; days left out are closed."""
    if not isinstance(hours, dict):
        raise Invalid({"opening_hours": [_("Opening hours must map weekdays to time ranges.")]})
    errors: list[str] = []
    clean: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
    for day, ranges in hours.items():
        if day not in WEEKDAYS:
            errors.append(_("Unknown weekday %(day)s (use mon … sun).", day=day))
            continue
        if not isinstance(ranges, list):
            errors.append(_("%(day)s: a list of [opens, closes] pairs is expected.", day=day))
            continue
        spans = []
        for pair in ranges:
            if (
                not isinstance(pair, list | tuple)
                or len(pair) != 2
                or not all(isinstance(t, str) and _TIME.match(t) for t in pair)
            ):
                errors.append(
                    _('%(day)s: times are written HH:MM, e.g. ["09:00", "18:00"].', day=day)
                )
                continue
            opens, closes = _minutes(pair[0]), _minutes(pair[1])
            if closes <= opens:
                errors.append(_("%(day)s: closing time must be after opening time.", day=day))
                continue
            spans.append((opens, closes, [pair[0], pair[1]]))
        spans.sort()
        for (_o1, c1, _p1), (o2, _c2, _p2) in zip(spans, spans[1:], strict=False):
            if o2 < c1:
                errors.append(_("%(day)s: time ranges overlap.", day=day))
                break
        clean[day] = [p for _o, _c, p in spans]
    if errors:
        raise Invalid({"opening_hours": errors})
    return clean


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid({"timezone": [_("Unknown time zone.")]}) from None
    return name


# Sites a session has loaded, kept for the rest of it. A request asks for its
# site several times (time zone, opening hours, the default site), and the
# identity map only holds objects weakly: once the last reference is gone,
# ``session.get`` reads the row again.
_KEPT = "makerlab.sites"
_DEFAULT = "makerlab.default_site_id"


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_kept_sites(session: sa.orm.Session) -> None:
    """A rolled-back transaction may have made the kept sites (a new one, say)."""
    session.info.pop(_KEPT, None)
    session.info.pop(_DEFAULT, None)


def _keep(site: Site) -> Site:
    db.session.info.setdefault(_KEPT, {})[site.id] = site
    return site


def find_site(site_id: int) -> Site | None:
    """The site with this id, or None; read at most once per session."""
    site = db.session.info.get(_KEPT, {}).get(site_id)
    if site is None:
        site = db.session.get(Site, site_id)
        if site is not None:
            _keep(site)
    return site


def default_site() -> Site:
    """The first site: what site-bound objects belong to when none is named."""
    site_id = db.session.info.get(_DEFAULT)
    site = find_site(site_id) if site_id is not None else None
    if site is None:
        site = db.session.scalar(sa.select(Site).order_by(Site.id).limit(1))
        if site is None:
            raise NotFound(_("No site exists yet."))
        db.session.info[_DEFAULT] = _keep(site).id
    return site


def default_timezone() -> str:
    """The default site's time zone (for ranges that name no unit or site)."""
    try:
        return default_site().timezone
    except NotFound:
        return str(current_app.config["TIMEZONE"])


def list_sites() -> list[Site]:
    """Every site, the default (first) one first."""
    return [_keep(site) for site in db.session.scalars(sa.select(Site).order_by(Site.id))]


def get_site(actor: User, site_id: int) -> Site:
    site = find_site(site_id)
    if site is None:
        raise NotFound(_("No such site."))
    return site


def resolve_site_id(site_id: int | None) -> int:
    """``site_id`` if it exists (else 422), or the default site's."""
    if site_id is None:
        return default_site().id
    if find_site(site_id) is None:
        raise Invalid({"site_id": [_("Unknown site.")]})
    return site_id


def create_site(
    actor: User,
    *,
    name: str,
    timezone: str = "Europe/Berlin",
    address: str = "",
    opening_hours: Any = None,
) -> Site:
    """Add a centre."""
    _check_name(name, None)
    site = Site(
        name=name.strip(),
        timezone=validate_timezone(timezone),
        address=address,
        opening_hours=validate_opening_hours(opening_hours or {}),
    )
    db.session.add(site)
    db.session.flush()
    return site


def update_site(actor: User, site: Site, **changes: Any) -> Site:
    """Change a site's name, address, time zone or opening hours."""
    if "name" in changes:
        _check_name(changes["name"], site.id)
        site.name = changes["name"].strip()
    if "timezone" in changes:
        site.timezone = validate_timezone(changes["timezone"])
    if "address" in changes:
        site.address = changes["address"]
    if "opening_hours" in changes:
        site.opening_hours = validate_opening_hours(changes["opening_hours"])
    db.session.flush()
    return site


def _check_name(name: str, site_id: int | None) -> None:
    if not name or not name.strip():
        raise Invalid({"name": [_("Please enter a name.")]})
    clash = db.session.scalar(sa.select(Site.id).where(Site.name == name.strip()))
    if clash is not None and clash != site_id:
        raise Invalid({"name": [_("A site with this name exists already.")]})


REASON_MAX = 200


@dataclass
class ClosurePlan:
    """A closure checked and not yet saved: what the page's summary step shows."""

    site: Site
    starts_on: dt.date
    ends_on: dt.date
    reason: str
    # Closures of the site already touching these days.
    overlapping: list[Closure] = field(default_factory=list)

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


def check_closure_dates(starts_on: dt.date, ends_on: dt.date) -> None:
    """The one date rule for closures: both days in the app's years, in order."""
    clock.check_year(starts_on, "starts_on")
    clock.check_year(ends_on, "ends_on")
    if ends_on < starts_on:
        raise Invalid({"ends_on": [_("The last day cannot be before the first day.")]})


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise Invalid({"reason": [_("At most %(max)d characters.", max=REASON_MAX)]})
    return reason


def plan_closure(
    actor: User | None, site: Site, *, starts_on: dt.date, ends_on: dt.date, reason: str = ""
) -> ClosurePlan:
    """Check a closure without saving it (422 on bad dates or reason)."""
    check_closure_dates(starts_on, ends_on)
    reason = _clean_reason(reason)
    overlapping = db.session.scalars(
        sa.select(Closure)
        .where(
            Closure.site_id == site.id, Closure.starts_on <= ends_on, Closure.ends_on >= starts_on
        )
        .order_by(Closure.starts_on)
    ).all()
    return ClosurePlan(site, starts_on, ends_on, reason, list(overlapping))


def add_closure(
    actor: User | None, site: Site, *, starts_on: dt.date, ends_on: dt.date, reason: str = ""
) -> Closure:
    """Close the site from ``starts_on`` to ``ends_on`` (inclusive)."""
    check_closure_dates(starts_on, ends_on)
    closure = Closure(
        site_id=site.id, starts_on=starts_on, ends_on=ends_on, reason=_clean_reason(reason)
    )
    db.session.add(closure)
    db.session.flush()
    return closure


@dataclass
class ClosuresAdded:
    """What a holiday or calendar import did: closures added, and how many were there already."""

    added: list[Closure] = field(default_factory=list)
    existing: int = 0


def add_closures_once(
    actor: User | None, site: Site, wanted: Iterable[tuple[dt.date, dt.date, str]]
) -> ClosuresAdded:
    """Add each ``(starts_on, ends_on, reason)`` unless the site has that closure already.

    Imports run again must add nothing: a closure counts as there when site,
    both days and reason match. The site row is locked first, so two imports
    running at once do not both add the same closure.
    """
    _lock_site(site)
    have = {
        (c.starts_on, c.ends_on, c.reason)
        for c in db.session.execute(
            sa.select(Closure.starts_on, Closure.ends_on, Closure.reason).where(
                Closure.site_id == site.id
            )
        )
    }
    result = ClosuresAdded()
    for starts_on, ends_on, reason in wanted:
        check_closure_dates(starts_on, ends_on)
        key = (starts_on, ends_on, _clean_reason(reason))
        if key in have:
            result.existing += 1
            continue
        have.add(key)
        closure = Closure(site_id=site.id, starts_on=key[0], ends_on=key[1], reason=key[2])
        db.session.add(closure)
        result.added.append(closure)
    db.session.flush()
    return result


def _lock_site(site: Site) -> None:
    """Serialise writers of one site's closures (SQLite's write lock, a row lock on PostgreSQL)."""
    begin_write(db.session)
    if is_postgres(db.session):
        db.session.execute(sa.select(Site.id).where(Site.id == site.id).with_for_update())


def upcoming_closure_counts() -> dict[int, int]:
    """Site id -> closures not yet over (by the site's own today), in one query."""
    rows = db.session.execute(
        sa.select(Closure.site_id, Closure.ends_on, Site.timezone)
        .join(Site, Site.id == Closure.site_id)
        .where(Closure.ends_on >= clock.now().date() - dt.timedelta(days=1))
    )
    counts: dict[int, int] = {}
    for site_id, ends_on, timezone in rows:
        if ends_on >= clock.today(timezone):
            counts[site_id] = counts.get(site_id, 0) + 1
    return counts


def upcoming_and_past_closures(site: Site, today: dt.date) -> tuple[list[Closure], list[Closure]]:
    """The site's closures not yet over (soonest first) and the past ones (latest first)."""
    closures = db.session.scalars(
        sa.select(Closure).where(Closure.site_id == site.id).order_by(Closure.starts_on)
    ).all()
    upcoming = [c for c in closures if c.ends_on >= today]
    past = [c for c in reversed(closures) if c.ends_on < today]
    return upcoming, past


def get_closure(actor: User | None, closure_id: int) -> Closure:
    closure = db.session.get(Closure, closure_id)
    if closure is None:
        raise NotFound(_("No such closure."))
    return closure


def delete_closure(actor: User | None, closure: Closure) -> None:
    """Reopen the days of a closure."""
    db.session.delete(closure)
    db.session.flush()


def terms_of(site_id: int) -> sa.Select[Term]:
    """A site's school terms and years, the latest first."""
    return (sa.select(Term).where(Term.site_id == site_id)
            .order_by(Term.starts_on.desc(), Term.ends_on.desc(), Term.id))


def add_term(actor: User, site: Site, *, name: str, starts_on: dt.date, ends_on: dt.date) -> Term:
    """Name a range of days (``ends_on`` inclusive) for reports: a school term or year."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Please enter a name.")]
    elif db.session.scalar(sa.select(Term.id).where(Term.site_id == site.id, Term.name == name)):
        errors["name"] = [_("This site has a term of this name already.")]
    if ends_on < starts_on:
        errors["ends_on"] = [_("The last day cannot be before the first day.")]
    if errors:
        raise Invalid(errors)
    term = Term(site_id=site.id, name=name, starts_on=starts_on, ends_on=ends_on)
    db.session.add(term)
    db.session.flush()
    return term


def get_term(actor: User, term_id: int) -> Term:
    term = db.session.get(Term, term_id) if is_possible_id(term_id) else None
    if term is None:
        raise NotFound(_("No such term."))
    return term


def delete_term(actor: User, term: Term) -> None:
    """Forget a term (reports of its days stay possible by date)."""
    db.session.delete(term)
    db.session.flush()


def closures_between(site_id: int, first: dt.date, last: dt.date) -> list[sa.Row[Any]]:
    """Closures of a site touching the days ``first`` .. ``last`` (inclusive), as rows."""
    return list(
        db.session.execute(
            sa.select(*Closure.__table__.columns)
            .where(Closure.site_id == site_id, Closure.starts_on <= last, Closure.ends_on >= first)
            .order_by(Closure.starts_on)
        )
    )


def _local_days(site: Site, start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    tz = ZoneInfo(site.timezone)
    first = start.astimezone(tz).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _day_intervals(site: Site, day: dt.date) -> list[Interval]:
    out = []
    for opens, closes in site.opening_hours.get(WEEKDAYS[day.weekday()], []):
        begin = clock.combine(day, dt.time.fromisoformat(opens), site.timezone)
        if closes == "24:00":
            finish = clock.local_day_end(day, site.timezone)
        else:
            finish = clock.combine(day, dt.time.fromisoformat(closes), site.timezone)
        out.append((begin, finish))
    return out


def open_intervals(
    site: Site,
    start: dt.datetime,
    end: dt.datetime,
    *,
    closures: list[Any] | None = None,
    skip_closed_days: bool = True,
) -> list[Interval]:
    """The site's opening times within ``[start, end)``, as UTC intervals.

    Closure days are left out unless ``skip_closed_days`` is False. Pass
    ``closures`` when already loaded, to save the query.
    """
    if end <= start:
        return []
    days = _local_days(site, start, end)
    if skip_closed_days and closures is None:
        closures = closures_between(site.id, days[0], days[-1])
    closed = set()
    for c in (closures or []) if skip_closed_days else []:
        d = max(c.starts_on, days[0])
        while d <= min(c.ends_on, days[-1]):
            closed.add(d)
            d += dt.timedelta(days=1)
    result = []
    for day in days:
        if day in closed:
            continue
        for begin, finish in _day_intervals(site, day):
            lo, hi = max(begin, start), min(finish, end)
            if lo < hi:
                result.append((lo, hi))
    return result


def closed_days(site: Site, start: dt.datetime, end: dt.datetime) -> list[sa.Row[Any]]:
    """Closures of the site overlapping the local days of ``[start, end)``."""
    days = _local_days(site, start, end)
    return closures_between(site.id, days[0], days[-1])


def merge(intervals: list[Interval]) -> list[Interval]:
    """Join touching or overlapping intervals (input sorted by start)."""
    merged: list[Interval] = []
    for begin, finish in intervals:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def within_opening_hours(site: Site, start: dt.datetime, end: dt.datetime) -> bool:
    """True if all of ``[start, end)`` is opening time (closures not considered)."""
    return merge(open_intervals(site, start, end, skip_closed_days=False)) == [(start, end)]


def is_open_at(site: Site, instant: dt.datetime) -> bool:
    """True if ``instant`` falls in opening hours, both ends included.

    Used for pick-up and return of loans: handing back a kit at closing
    time is fine.
    """
    day = instant.astimezone(ZoneInfo(site.timezone)).date()
    for d in (day - dt.timedelta(days=1), day):
        for begin, finish in _day_intervals(site, d):
            if begin <= instant <= finish:
                return True
    return False

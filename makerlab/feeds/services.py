"""Calendar feeds: create, list and revoke them; find the feed a secret opens.

A feed secret is long and random and stored only as its SHA-256, like an
API token, but the two never stand in for each other: a secret opens one
read-only feed and nothing else, and an API token opens no feed.
"""

from __future__ import annotations

import hashlib
import secrets
import string

import sqlalchemy as sa
from flask_babel import gettext as _

from makerlab import clock
from makerlab.auth.models import User
from makerlab.auth.permissions import can, is_teacher
from makerlab.db import is_possible_id
from makerlab.equipment.models import Equipment
from makerlab.errors import Forbidden, Invalid, NotFound
from makerlab.extensions import db
from makerlab.feeds.models import CalendarFeed, FeedKind

# token_urlsafe(32): 43 characters, 256 random bits.
SECRET_BYTES = 32
_SECRET_CHARS = frozenset(string.ascii_letters + string.digits + "-_")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def kinds_for(user: User) -> list[FeedKind]:
    """The feeds ``user`` may have: staff their bookings and units, teachers their school's."""
    if is_teacher(user):
        return [FeedKind.SCHOOL]
    if can(user, "bookings.view"):
        return [FeedKind.MINE, FeedKind.EQUIPMENT]
    return []


def _may_read(user: User, kind: str) -> bool:
    return user.active and kind in kinds_for(user)


def create_feed(
    actor: User, kind: str, equipment_id: int | None = None
) -> tuple[CalendarFeed, str]:
    """A new feed of ``actor``'s and its secret (shown once: only its hash is kept)."""
    if kind not in {k.value for k in FeedKind}:
        raise Invalid({"kind": [_("Choose one of: %(kinds)s.", kinds=", ".join(FeedKind))]})
    if kind not in kinds_for(actor):
        raise Forbidden(_("Your role may not subscribe to this calendar."))
    if kind == FeedKind.EQUIPMENT:
        if equipment_id is None:
            raise Invalid({"equipment_id": [_("Choose a unit.")]})
        if not is_possible_id(equipment_id) or db.session.get(Equipment, equipment_id) is None:
            raise Invalid({"equipment_id": [_("No such unit.")]})
    elif equipment_id is not None:
        raise Invalid({"equipment_id": [_("Only a unit's calendar names a unit.")]})
    secret = secrets.token_urlsafe(SECRET_BYTES)
    feed = CalendarFeed(
        user_id=actor.id,
        kind=kind,
        equipment_id=equipment_id,
        secret_hash=_digest(secret),
        created_at=clock.now(),
    )
    db.session.add(feed)
    db.session.flush()
    return feed, secret


def feeds_of(actor: User) -> sa.Select[CalendarFeed]:
    """``actor``'s feeds that still work, newest first."""
    return (
        sa.select(CalendarFeed)
        .where(CalendarFeed.user_id == actor.id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id.desc())
    )


def get_feed(actor: User, feed_id: int) -> CalendarFeed:
    """One of ``actor``'s working feeds; anyone else's (or a revoked one) is 404."""
    feed = (
        db.session.scalar(feeds_of(actor).where(CalendarFeed.id == feed_id))
        if is_possible_id(feed_id)
        else None
    )
    if feed is None:
        raise NotFound(_("No such calendar feed."))
    return feed


def revoke_feed(actor: User, feed: CalendarFeed) -> None:
    """End a feed at once: its address answers 404 from now on."""
    if feed.user_id != actor.id:
        raise NotFound(_("No such calendar feed."))
    feed.revoked_at = clock.now()
    db.session.flush()


def feed_for_secret(secret: str) -> CalendarFeed | None:
    """The working feed ``secret`` opens: not revoked, its owner active and still entitled."""
    if not 20 <= len(secret) <= 100 or not set(secret) <= _SECRET_CHARS:
        return None
    feed = db.session.scalar(
        sa.select(CalendarFeed)
        .options(sa.orm.joinedload(CalendarFeed.user))
        .where(CalendarFeed.secret_hash == _digest(secret), CalendarFeed.revoked_at.is_(None))
    )
    if feed is None or not _may_read(feed.user, feed.kind):
        return None
    return feed

"""Calendar feeds: subscribed by secret, the public programme, the browser's own, the page.

``/feeds/<secret>.ics`` needs no login: calendar apps cannot log in. Its
secret opens that one feed and nothing else. ``/calendar/...`` serve a
logged-in browser (a download); an API token in their URL opens nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from makerlab.auth.permissions import can
from makerlab.confirmations import Confirmation, ConfirmForm, render_confirmation
from makerlab.equipment import services as equipment_services
from makerlab.errors import Forbidden, Invalid
from makerlab.extensions import db
from makerlab.feeds import documents, services
from makerlab.feeds.forms import FeedForm
from makerlab.feeds.models import CalendarFeed, FeedKind
from makerlab.security import private_page

bp = Blueprint("feeds", __name__)


def feed_url(secret: str) -> str:
    """The feed's address for calendar apps (``PUBLIC_URL`` names the host if set)."""
    path = url_for("feeds.subscribed", secret=secret)
    base = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return base + path if base else url_for("feeds.subscribed", secret=secret, _external=True)


def webcal(url: str) -> str:
    """The same address as ``webcal://``, which opens the calendar app's subscribe dialog."""
    return urlunsplit(urlsplit(url)._replace(scheme="webcal"))


def _calendar(body: bytes, filename: str, *, public: bool = False) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    if public:
        response.headers["Cache-Control"] = "public, max-age=300"
    else:
        response.headers.setdefault("Cache-Control", "private, max-age=300")
    return response


def document_of(feed: CalendarFeed) -> tuple[bytes, str]:
    """The calendar a feed shows, in its owner's language, with a file name."""
    owner = feed.user
    with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if feed.kind == FeedKind.EQUIPMENT:
            unit = equipment_services.get_equipment(owner, feed.equipment_id or 0)
            return documents.unit_calendar(unit), f"equipment-{unit.id}.ics"
        if feed.kind == FeedKind.SCHOOL:
            return documents.school_sessions(owner.school_id or 0), "school.ics"
        return documents.bookings_of(owner.id), "my-bookings.ics"


@bp.route("/feeds/<secret>.ics")
@private_page
def subscribed(secret: str) -> Response:
    """A subscribed feed; 404 once revoked, its owner deactivated or the secret unknown."""
    feed = services.feed_for_secret(secret)
    if feed is None:
        abort(404)
    body, filename = document_of(feed)
    return _calendar(body, filename)


@bp.route("/programme.ics")
def programme() -> Response:
    """The public workshop programme, for anyone's calendar (no names, no secret)."""
    return _calendar(documents.programme(), "programme.ics", public=True)


def _browser_feed(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A logged-in browser's download: 401 without a session (never a token in the URL)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(401)
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorator


@bp.route("/calendar/me.ics")
@_browser_feed("bookings.view")
def my_bookings() -> Response:
    """The bookings the logged-in user made."""
    return _calendar(documents.bookings_of(current_user.id), "my-bookings.ics")


@bp.route("/calendar/equipment/<int:equipment_id>.ics")
@_browser_feed("bookings.view")
def unit(equipment_id: int) -> Response:
    """Bookings and maintenance of one unit."""
    found = equipment_services.get_equipment(current_user, equipment_id)
    return _calendar(documents.unit_calendar(found), f"equipment-{found.id}.ics")


# --- the page ---------------------------------------------------------------------


def feed_label(feed: CalendarFeed, units: dict[int, str]) -> str:
    """What a feed shows, in words."""
    if feed.kind == FeedKind.EQUIPMENT:
        return _("Unit: %(name)s", name=units.get(feed.equipment_id or 0, "?"))
    if feed.kind == FeedKind.SCHOOL:
        return _("Our school's workshops")
    return _("My bookings")


def _units() -> dict[int, str]:
    return {u.id: u.name for u in db.session.scalars(equipment_services.list_equipment_stmt())}


@bp.route("/account/feeds", methods=["GET", "POST"])
@login_required
def manage() -> Any:
    """Create, copy and revoke one's calendar subscriptions; a new address is shown once."""
    kinds = services.kinds_for(current_user)
    units = _units() if FeedKind.EQUIPMENT in kinds else {}
    form = FeedForm()
    form.equipment_id.choices = [(0, "—"), *units.items()]
    created: dict[str, str] | None = None
    status = 200
    if form.validate_on_submit():
        try:
            feed, secret = services.create_feed(
                current_user, form.kind.data or "", form.equipment_id.data or None
            )
            db.session.commit()
        except (Invalid, Forbidden) as error:
            db.session.rollback()
            flash(error.detail if isinstance(error, Forbidden) else _messages(error), "danger")
            status = 422 if isinstance(error, Invalid) else 403
        else:
            url = feed_url(secret)
            created = {"url": url, "webcal": webcal(url), "label": feed_label(feed, units)}
    elif request.method == "POST":
        status = 422
    feeds = db.session.scalars(services.feeds_of(current_user)).all()
    programme_url = url_for("feeds.programme", _external=True)
    return (
        render_template(
            "feeds/manage.html",
            form=form,
            kinds=kinds,
            feeds=[(f, feed_label(f, units)) for f in feeds],
            created=created,
            programme={"url": programme_url, "webcal": webcal(programme_url)},
        ),
        status,
    )


def _messages(error: Invalid) -> str:
    return " ".join(m for messages in error.errors.values() for m in messages)


@bp.route("/account/feeds/<int:feed_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke(feed_id: int) -> Any:
    """Ask, then end a subscription: its address answers 404 from then on."""
    feed = services.get_feed(current_user, feed_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.revoke_feed(current_user, feed)
        db.session.commit()
        flash(_("Calendar feed revoked. Its address no longer works."), "info")
        return redirect(url_for("feeds.manage"))
    label = feed_label(feed, _units())
    return render_confirmation(
        Confirmation(
            title=_("Revoke this calendar feed?"),
            consequences=[
                _("The address of “%(feed)s” stops working at once.", feed=label),
                _(
                    "Calendar apps subscribed to it get no more updates; "
                    "you can create a new address at any time."
                ),
            ],
            button=_("Revoke feed"),
            keep=_("Keep the feed"),
            form=form,
            back_url=url_for("feeds.manage"),
        )
    )

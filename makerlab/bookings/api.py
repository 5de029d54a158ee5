"""JSON routes: bookings, series scopes, check-out and return."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.views import MethodView

from makerlab import clock
from makerlab.api import api_blueprint, current_actor, preview_answer, require, resolve
from makerlab.api.schemas import PreviewArgs, json_page, paginate_rows, with_affected
from makerlab.attention.services import move_and_tell
from makerlab.bookings import loans, services
from makerlab.bookings.models import Booking
from makerlab.bookings.schemas import (
    BookingChanged,
    BookingCreated,
    BookingIn,
    BookingListArgs,
    BookingMoveIn,
    BookingOut,
    BookingPage,
    BookingPatch,
    BookingReturned,
    ReturnIn,
    ScopeArgs,
    booking_items,
)
from makerlab.db import commit_for_response
from makerlab.equipment.models import Equipment
from makerlab.equipment.services import site_of
from makerlab.extensions import db
from makerlab.planning.impact import UnitChange, replan
from makerlab.sites.services import default_timezone

blp = api_blueprint("bookings_api", __name__, "Bookings and kit loans")


class _WithExtras:
    """A booking seen through the response schema, with extra keys next to its fields."""

    def __init__(self, booking: Booking, **extras: Any) -> None:
        self._booking = booking
        self.__dict__.update(extras)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._booking, name)


def _plain(recurrence: dict[str, Any] | None) -> dict[str, Any] | None:
    """The recurrence as given, with ``until`` back as an ISO date."""
    if recurrence is None:
        return None
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in recurrence.items()}


@blp.route("/bookings")
class Bookings(MethodView):
    @require("bookings.view")
    @blp.arguments(BookingListArgs, location="query")
    @blp.response(200, BookingPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Bookings overlapping ``from``..``to`` (dates are site-local midnight, ``to``
        exclusive); filter by ``equipment_id`` and ``status``. ``total`` includes cancelled
        bookings unless ``status`` filters."""
        tz = default_timezone()
        if args.get("equipment_id") is not None:
            unit = db.session.get(Equipment, args["equipment_id"])
            if unit is not None:
                tz = site_of(unit).timezone
        stmt = services.booking_rows_stmt(
            equipment_id=args.get("equipment_id"),
            start=clock.to_instant(args["from_"], tz) if args.get("from_") else None,
            end=clock.to_instant(args["to"], tz, "to") if args.get("to") else None,
            status=args.get("status"),
        )
        rows, total = paginate_rows(stmt, args)
        return json_page(booking_items(rows, clock.now()), total)

    @require("bookings.create")
    @blp.arguments(BookingIn)
    @blp.response(201, BookingCreated)
    def post(self, payload: dict[str, Any]) -> Any:
        """Book a unit; with ``recurrence`` all occurrences or none (409 listing each
        conflict) unless ``skip_conflicts``. Answers the first booking with ``occurrences``
        and ``skipped``. A skipped occurrence is added later as a single booking with the
        series' ``series_id``."""
        outcome = services.create_booking(current_actor(), **payload)
        commit_for_response(db.session)
        return _WithExtras(
            outcome.bookings[0],
            recurrence=_plain(payload.get("recurrence")),
            occurrences=outcome.bookings,
            skipped=outcome.skipped,
        )


@blp.route("/bookings/<int:booking_id>")
class BookingItem(MethodView):
    @require("bookings.view")
    @resolve("booking_id", services.get_booking, "booking")
    @blp.response(200, BookingOut)
    def get(self, booking: Booking) -> Any:
        """One booking."""
        return booking

    @require("bookings.create")
    @resolve("booking_id", services.get_booking, "booking")
    @blp.arguments(ScopeArgs, location="query")
    @blp.arguments(BookingPatch)
    @blp.response(200, BookingChanged)
    def patch(self, query: dict[str, Any], payload: dict[str, Any], booking: Booking) -> Any:
        """Change a booking; ``?scope=following|series`` changes later occurrences too (in
        local wall-clock time). Every rule is checked again."""
        changed = services.update_booking(current_actor(), booking, scope=query["scope"], **payload)
        commit_for_response(db.session)
        this = next(b for b in changed if b.id == booking.id)
        return _WithExtras(this, occurrences=changed)

    @require("bookings.create")
    @resolve("booking_id", services.get_booking, "booking")
    @blp.arguments(ScopeArgs, location="query")
    @blp.response(200, BookingChanged)
    def delete(self, query: dict[str, Any], booking: Booking) -> Any:
        """Cancel a booking (``?scope=this|following|series``); answers it with ``occurrences``,
        every booking cancelled."""
        cancelled = services.cancel_booking(current_actor(), booking, scope=query["scope"])
        commit_for_response(db.session)
        return _WithExtras(booking, occurrences=cancelled)


@blp.route("/bookings/<int:booking_id>/move")
class BookingMove(MethodView):
    @require("bookings.create")
    @resolve("booking_id", services.get_booking, "booking")
    @blp.arguments(BookingMoveIn)
    @blp.response(200, BookingOut)
    def post(self, payload: dict[str, Any], booking: Booking) -> Any:
        """Move one booking (one occurrence; its series stays) to another unit and/or time.
        Every rule of a new booking applies (409 with ``conflicts``, 422 with ``errors``);
        the answer is the same booking (same ``id`` and ``series_id``). A start alone keeps
        the length. A unit reserved for a workshop session moves to another unit of the
        same category at the session's time only. The booker hears of it by e-mail
        (unless they moved it themselves)."""
        move_and_tell(current_actor(), booking, **payload)
        commit_for_response(db.session)
        return booking


@blp.route("/bookings/<int:booking_id>/checkout")
class BookingCheckout(MethodView):
    @require("loans.manage")
    @resolve("booking_id", services.get_booking, "booking")
    @blp.response(200, BookingOut)
    def post(self, booking: Booking) -> Any:
        """Hand a loanable kit over (any time before the booking ends). Units that are not
        loanable are not checked out (409)."""
        loans.check_out(current_actor(), booking)
        commit_for_response(db.session)
        return booking


@blp.route("/bookings/<int:booking_id>/return")
class BookingReturn(MethodView):
    @require("loans.manage")
    @resolve("booking_id", services.get_booking, "booking")
    @blp.arguments(ReturnIn)
    @blp.arguments(PreviewArgs, location="query")
    @blp.response(200, BookingReturned)
    def post(self, payload: dict[str, Any], args: dict[str, Any], booking: Booking) -> Any:
        """Take a kit back; ``"condition": "damaged"`` puts the unit into maintenance and
        e-mails the coordinators, and the unit's future bookings are flagged
        (``affected``) and their bookers told; ``?preview=true`` answers only that."""
        actor = current_actor()
        loans.return_booking(actor, booking, **payload)
        affected: dict[str, list[int]] = {"bookings": [], "sessions": []}
        if booking.return_condition == "damaged":  # missing parts count as damaged too
            change = UnitChange.damaged(booking, payload.get("note") or "")
            affected = replan(change, actor, preview=args["preview"]).affected
        if args["preview"]:
            return preview_answer(affected)
        commit_for_response(db.session)
        return with_affected(booking, affected)

"""JSON routes for workshops, sessions, enrolments and attendance (SPEC rules 8-11)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from makerlab.api import api_blueprint, current_actor, require, resolve
from makerlab.api.schemas import ListArgs, paginate
from makerlab.db import commit_for_response
from makerlab.extensions import db
from makerlab.workshops import services
from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession
from makerlab.workshops.schemas import (
    AttendanceIn,
    EnrolmentIn,
    EnrolmentListArgs,
    EnrolmentOut,
    EnrolmentPage,
    SessionCancelArgs,
    SessionIn,
    SessionListArgs,
    SessionOut,
    SessionPage,
    SessionPatch,
    WorkshopIn,
    WorkshopOut,
    WorkshopPage,
    WorkshopPatch,
)

blp = api_blueprint("workshops_api", __name__, "Workshops, sessions, enrolments and attendance")


@blp.route("/workshops")
class Workshops(MethodView):
    @require("workshops.view")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, WorkshopPage)
    def get(self, args: dict[str, Any]) -> Any:
        """List workshops."""
        return paginate(services.visible_workshops(current_actor()), args)

    @require("workshops.manage")
    @blp.arguments(WorkshopIn)
    @blp.response(201, WorkshopOut)
    def post(self, payload: dict[str, Any]) -> Any:
        """Add a workshop (age range, facilitator, equipment needs per category)."""
        workshop = services.create_workshop(current_actor(), **payload)
        commit_for_response(db.session)
        return workshop


@blp.route("/workshops/<int:workshop_id>")
class WorkshopItem(MethodView):
    @require("workshops.view")
    @resolve("workshop_id", services.get_workshop, "workshop")
    @blp.response(200, WorkshopOut)
    def get(self, workshop: Workshop) -> Any:
        """One workshop."""
        return workshop

    @require("workshops.manage")
    @resolve("workshop_id", services.get_workshop, "workshop")
    @blp.arguments(WorkshopPatch)
    @blp.response(200, WorkshopOut)
    def patch(self, payload: dict[str, Any], workshop: Workshop) -> Any:
        """Change a workshop (new equipment needs apply to sessions planned or moved later)."""
        services.update_workshop(current_actor(), workshop, **payload)
        commit_for_response(db.session)
        return workshop


@blp.route("/workshops/<int:workshop_id>/sessions")
class WorkshopSessions(MethodView):
    @require("workshops.view")
    @resolve("workshop_id", services.get_workshop, "workshop")
    @blp.arguments(SessionListArgs, location="query")
    @blp.response(200, SessionPage)
    def get(self, args: dict[str, Any], workshop: Workshop) -> Any:
        """A workshop's sessions with free seats and waitlist."""
        page = paginate(services.sessions_of(workshop, upcoming_only=args["upcoming"]), args)
        page["items"] = services.session_views(page["items"])
        return page

    @require("sessions.manage")
    @resolve("workshop_id", services.get_workshop, "workshop")
    @blp.arguments(SessionIn)
    @blp.response(201, SessionOut)
    def post(self, payload: dict[str, Any], workshop: Workshop) -> Any:
        """Plan a session; reserves the workshop's equipment needs (all or nothing, else 409)."""
        session = services.create_session(current_actor(), workshop, **payload)
        commit_for_response(db.session)
        return services.session_view(session)


@blp.route("/sessions/<int:session_id>")
class SessionItem(MethodView):
    @require("workshops.view")
    @resolve("session_id", services.get_session, "session")
    @blp.response(200, SessionOut)
    def get(self, session: WorkshopSession) -> Any:
        """One session: seats taken, seats free, waitlist (enrolment ids in order)."""
        return services.session_view(session)

    @require("sessions.manage")
    @resolve("session_id", services.get_session, "session")
    @blp.arguments(SessionPatch)
    @blp.response(200, SessionOut)
    def patch(self, payload: dict[str, Any], session: WorkshopSession) -> Any:
        """Move or resize a session. Moving re-reserves equipment (409 if short); the
        capacity cannot go below the confirmed seats (409); more seats promote the waitlist."""
        services.update_session(current_actor(), session, **payload)
        commit_for_response(db.session)
        return services.session_view(session)

    @require("sessions.manage")
    @resolve("session_id", services.get_session, "session")
    @blp.arguments(SessionCancelArgs, location="query")
    @blp.response(200, SessionOut)
    def delete(self, args: dict[str, Any], session: WorkshopSession) -> Any:
        """Cancel a session: its bookings are cancelled and every enrolled contact is told
        (with ``?reason=``, and a calendar update that removes the session)."""
        services.cancel_session(current_actor(), session, args["reason"])
        commit_for_response(db.session)
        return services.session_view(session)


@blp.route("/sessions/<int:session_id>/enrolments")
class SessionEnrolments(MethodView):
    @require("enrolments.view")
    @resolve("session_id", services.get_session, "session")
    @blp.arguments(EnrolmentListArgs, location="query")
    @blp.response(200, EnrolmentPage)
    def get(self, args: dict[str, Any], session: WorkshopSession) -> Any:
        """Enrolments of a session (teachers: their own school's only)."""
        stmt = services.enrolments_of(current_actor(), session)
        if args.get("status"):
            stmt = stmt.where(Enrolment.status == args["status"])
        return paginate(stmt, args)

    @require("enrolments.create")
    @resolve("session_id", services.get_session, "session")
    @blp.arguments(EnrolmentIn)
    @blp.response(201, EnrolmentOut)
    def post(self, payload: dict[str, Any], session: WorkshopSession) -> Any:
        """Enrol a class or one participant; ``status`` is ``confirmed`` or ``waitlisted``.

        A teacher naming another school's ``school_id`` gets 422 (as for an
        unknown school); teachers enrolling a participant get 403."""
        enrolment = services.enrol(current_actor(), session, **payload)
        commit_for_response(db.session)
        return enrolment


@blp.route("/enrolments/<int:enrolment_id>")
class EnrolmentItem(MethodView):
    @require("enrolments.view")
    @resolve("enrolment_id", services.get_enrolment, "enrolment")
    @blp.response(200, EnrolmentOut)
    def get(self, enrolment: Enrolment) -> Any:
        """One enrolment with its waitlist position."""
        return enrolment

    @require("enrolments.create")
    @resolve("enrolment_id", services.get_enrolment, "enrolment")
    @blp.response(200, EnrolmentOut)
    def delete(self, enrolment: Enrolment) -> Any:
        """Cancel an enrolment; waitlisted enrolments that now fit are confirmed and told."""
        services.cancel_enrolment(current_actor(), enrolment)
        commit_for_response(db.session)
        return enrolment


@blp.route("/enrolments/<int:enrolment_id>/attendance")
class EnrolmentAttendance(MethodView):
    @require("attendance.record")
    @resolve("enrolment_id", services.get_enrolment, "enrolment")
    @blp.arguments(AttendanceIn)
    @blp.response(200, EnrolmentOut)
    def put(self, payload: dict[str, Any], enrolment: Enrolment) -> Any:
        """Record how many came (0..seats; a participant enrolment 0 or 1)."""
        services.record_attendance(current_actor(), enrolment, payload["attended_count"])
        commit_for_response(db.session)
        return enrolment

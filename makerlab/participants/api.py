from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.views import MethodView

from makerlab.api import api_blueprint, current_actor, preview_answer, require, resolve
from makerlab.api.schemas import ListArgs, PreviewArgs, PreviewOut, paginate, with_affected
from makerlab.db import commit_for_response
from makerlab.extensions import db
from makerlab.participants import consent, services
from makerlab.participants.models import ConsentRecord, Induction, Participant
from makerlab.participants.schemas import (
    ConsentChangeOut,
    ConsentChoicesIn,
    ConsentRecordPage,
    ConsentRequestIn,
    ConsentRequestOut,
    ConsentRequestPage,
    ExportOut,
    InductionIn,
    InductionOut,
    InductionPage,
    OwnConsentPage,
    ParticipantChanged,
    ParticipantIn,
    ParticipantListArgs,
    ParticipantOut,
    ParticipantPage,
    ParticipantPatch,
)
from makerlab.planning.impact import ParticipantChange, replan
from makerlab.planning.reactions import PersonBefore, replan_person

blp = api_blueprint("participants_api", __name__, "Participants, consent, inductions and privacy")


@blp.route("/participants")
class Participants(MethodView):
    @require("participants.view")
    @blp.arguments(ParticipantListArgs, location="query")
    @blp.response(200, ParticipantPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Search participants by name and school (teachers: their own school's)."""
        stmt = services.search_participants(current_actor(), args.get("q"), args.get("school_id"))
        return paginate(stmt, args)

    @require("participants.manage")
    @blp.arguments(ParticipantIn)
    @blp.response(201, ParticipantOut)
    def post(self, payload: dict[str, Any]) -> Any:
        """Register a participant."""
        participant = services.create_participant(current_actor(), **payload)
        commit_for_response(db.session)
        return participant


@blp.route("/participants/<int:participant_id>")
class ParticipantItem(MethodView):
    @require("participants.view")
    @resolve("participant_id", services.get_participant, "participant")
    @blp.response(200, ParticipantOut)
    def get(self, participant: Participant) -> Any:
        """One participant."""
        return participant

    @require("participants.manage")
    @resolve("participant_id", services.get_participant, "participant")
    @blp.arguments(ParticipantPatch)
    @blp.arguments(PreviewArgs, location="query")
    @blp.response(200, ParticipantChanged)
    def patch(self, payload: dict[str, Any], args: dict[str, Any], participant: Participant) -> Any:
        """Change a participant; consent changes are kept in the history.

        A withdrawn guardian consent or a new birth date flags the future
        bookings and enrolled sessions they now rule out (``affected``);
        ``?preview=true`` answers only that.
        """
        actor = current_actor()
        before = PersonBefore.of(participant)
        services.update_participant(actor, participant, **payload)
        affected = replan_person(participant, before, actor, preview=args["preview"])
        if args["preview"]:
            return preview_answer(affected)
        commit_for_response(db.session)
        return with_affected(participant, affected)

    @require("participants.erase")
    @resolve("participant_id", services.get_participant, "participant")
    @blp.response(204)
    def delete(self, participant: Participant) -> None:
        """Erase the participant's personal data irreversibly (anonymous counts stay)."""
        services.erase_participant(current_actor(), participant)
        commit_for_response(db.session)


@blp.route("/participants/<int:participant_id>/export")
class ParticipantExport(MethodView):
    @require("participants.manage")
    @resolve("participant_id", services.get_participant, "participant")
    @blp.response(200, ExportOut)
    def get(self, participant: Participant) -> Any:
        """Everything stored about the participant (GDPR access request)."""
        return services.export_participant(current_actor(), participant)


@blp.route("/participants/<int:participant_id>/inductions")
class ParticipantInductions(MethodView):
    @require("participants.view")
    @resolve("participant_id", services.get_participant, "participant")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, InductionPage)
    def get(self, args: dict[str, Any], participant: Participant) -> Any:
        """The participant's safety inductions, newest first."""
        stmt = (
            sa.select(Induction)
            .where(Induction.participant_id == participant.id)
            .order_by(Induction.completed_on.desc(), Induction.id.desc())
        )
        return paginate(stmt, args)

    @require("inductions.record")
    @resolve("participant_id", services.get_participant, "participant")
    @blp.arguments(InductionIn)
    @blp.response(201, InductionOut)
    def post(self, payload: dict[str, Any], participant: Participant) -> Any:
        """Record a safety induction for one equipment category."""
        induction = services.record_induction(current_actor(), participant, **payload)
        commit_for_response(db.session)
        return induction


@blp.route("/participants/<int:participant_id>/inductions/<int:induction_id>")
class ParticipantInductionItem(MethodView):
    @require("inductions.record")
    @resolve("participant_id", services.get_participant, "participant")
    @blp.arguments(PreviewArgs, location="query")
    @blp.response(200, PreviewOut)
    def delete(self, args: dict[str, Any], participant: Participant, induction_id: int) -> Any:
        """Delete an induction recorded by mistake.

        The participant's future bookings of units that needed it are flagged
        and their bookers told; the answer is ``{"affected"}`` (``?preview=true``:
        only that, nothing deleted).
        """
        actor = current_actor()
        induction = services.get_induction(actor, participant, induction_id)
        change = ParticipantChange.induction_deleted(induction, participant)
        services.delete_induction(actor, induction)
        impact = replan(change, actor, preview=args["preview"])
        if args["preview"]:
            return preview_answer(impact.affected)
        commit_for_response(db.session)
        return {"affected": impact.affected}


@blp.route("/participants/<int:participant_id>/consent-requests")
class ParticipantConsentRequests(MethodView):
    @require("participants.view")
    @resolve("participant_id", services.get_participant, "participant")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, ConsentRequestPage)
    def get(self, args: dict[str, Any], participant: Participant) -> Any:
        """Consent links sent or printed for the participant, newest first (never the token)."""
        return paginate(consent.requests_of(participant), args)

    @require("participants.manage")
    @resolve("participant_id", services.get_participant, "participant")
    @blp.arguments(ConsentRequestIn)
    @blp.response(201, ConsentRequestOut)
    def post(self, payload: dict[str, Any], participant: Participant) -> Any:
        """E-mail the guardian a personal link to the consent page (valid CONSENT_LINK_DAYS).

        Older links of the participant stop working. 422 without a guardian e-mail address.
        """
        request = consent.request_consent(current_actor(), participant, **payload)
        commit_for_response(db.session)
        return request


@blp.route("/participants/<int:participant_id>/consents")
class ParticipantConsents(MethodView):
    @require("participants.view")
    @resolve("participant_id", services.get_participant, "participant")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, ConsentRecordPage)
    def get(self, args: dict[str, Any], participant: Participant) -> Any:
        """The consent history: every choice given or withdrawn, newest first."""
        stmt = (
            sa.select(ConsentRecord)
            .where(ConsentRecord.participant_id == participant.id)
            .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
        )
        return paginate(stmt, args)

    @require("participants.manage")
    @resolve("participant_id", services.get_participant, "participant")
    @blp.arguments(ConsentChoicesIn)
    @blp.arguments(PreviewArgs, location="query")
    @blp.response(201, ConsentChangeOut)
    @blp.alt_response(200, schema=PreviewOut, description="?preview=true: nothing saved")
    def post(self, payload: dict[str, Any], args: dict[str, Any], participant: Participant) -> Any:
        """Record choices from a paper form (or told to staff); withdrawals apply at once.

        A withdrawn guardian consent flags the future bookings and enrolled
        sessions it rules out (``affected``); ``?preview=true`` answers only that.
        """
        source = payload.pop("source")
        on = payload.pop("effective_on")
        before = PersonBefore.of(participant)
        records = consent.record_choices(
            current_actor(), participant, payload, source=source, on=on
        )
        affected = replan_person(participant, before, current_actor(), preview=args["preview"])
        if args["preview"]:
            return preview_answer(affected)
        commit_for_response(db.session)
        return {
            "records": records,
            "choices": consent.current_choices(participant),
            "affected": affected,
        }


@blp.route("/participants/own-consent")
class OwnConsent(MethodView):
    @require("participants.view")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, OwnConsentPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Participants reaching OWN_CONSENT_AGE (within 30 days) whose own choices are missing."""
        due = consent.own_consent_due()
        page = due[args["offset"] : args["offset"] + args["limit"]]
        return {
            "items": [
                {
                    "participant_id": d.participant.id,
                    "first_name": d.participant.first_name,
                    "last_name": d.participant.last_name,
                    "birth_date": d.participant.birth_date,
                    "turns_on": d.birthday,
                }
                for d in page
            ],
            "total": len(due),
        }

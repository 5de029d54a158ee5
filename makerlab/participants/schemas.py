from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import fields, validate

from makerlab import clock
from makerlab.api.schemas import Affected, Day, EmailAddress, ListArgs, Schema, page_schema
from makerlab.participants.models import ConsentKind, ConsentSource
from makerlab.participants.services import induction_is_valid


class CentreInstant(fields.DateTime):
    """An instant shown in the centre's time zone, with its offset."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return clock.to_local(value, current_app.config["TIMEZONE"]).isoformat()


class ParticipantIn(Schema):
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    birth_date = Day(load_default=None, allow_none=True)
    school_id = fields.Integer(load_default=None, allow_none=True)
    guardian_name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200)
    )
    guardian_email = EmailAddress(load_default=None, allow_none=True)
    guardian_phone = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=50)
    )
    guardian_consent = fields.Boolean(load_default=False)
    guardian_consent_on = Day(
        load_default=None,
        allow_none=True,
        metadata={"description": "Day consent was given; defaults to today when consent is true."},
    )
    photo_consent = fields.Boolean(
        load_default=False, metadata={"description": "Covers photos and audio recordings."}
    )
    may_go_home_alone = fields.Boolean(load_default=False)
    evaluation_consent = fields.Boolean(
        load_default=False,
        metadata={"description": "The guardian may be contacted for an evaluation."},
    )
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


class ParticipantPatch(Schema):
    first_name = fields.String(validate=validate.Length(min=1, max=100))
    last_name = fields.String(validate=validate.Length(min=1, max=100))
    birth_date = Day(allow_none=True)
    school_id = fields.Integer(allow_none=True)
    guardian_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    guardian_email = EmailAddress(allow_none=True)
    guardian_phone = fields.String(allow_none=True, validate=validate.Length(max=50))
    guardian_consent = fields.Boolean()
    guardian_consent_on = Day(allow_none=True)
    photo_consent = fields.Boolean()
    may_go_home_alone = fields.Boolean()
    evaluation_consent = fields.Boolean()
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))


class ParticipantOut(Schema):
    id = fields.Integer()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    birth_date = Day(allow_none=True)
    birth_year = fields.Integer(allow_none=True)
    school_id = fields.Integer(allow_none=True)
    guardian_name = fields.String(allow_none=True)
    guardian_email = fields.String(allow_none=True)
    guardian_phone = fields.String(allow_none=True)
    guardian_consent = fields.Boolean()
    guardian_consent_on = Day(allow_none=True)
    photo_consent = fields.Boolean()
    may_go_home_alone = fields.Boolean()
    evaluation_consent = fields.Boolean()
    notes = fields.String(allow_none=True)
    erased_at = CentreInstant(allow_none=True)
    created_at = CentreInstant()


ParticipantPage = page_schema(ParticipantOut, "ParticipantPage")


class ParticipantChanged(ParticipantOut):
    affected = Affected()


class ParticipantListArgs(ListArgs):
    q = fields.String(load_default=None, metadata={"description": "part of the first or last name"})
    school_id = fields.Integer(load_default=None)


class InductionIn(Schema):
    category = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "equipment category, e.g. laser_cutter"},
    )
    completed_on = Day(load_default=None, metadata={"description": "defaults to today"})
    valid_until = Day(load_default=None, allow_none=True)


class InductionOut(Schema):
    id = fields.Integer()
    participant_id = fields.Integer()
    category = fields.String()
    completed_on = Day()
    valid_until = Day(allow_none=True)
    valid = fields.Method("_valid")
    recorded_by_id = fields.Integer(allow_none=True)

    def _valid(self, obj: object) -> bool:
        return induction_is_valid(obj)  # type: ignore[arg-type]


InductionPage = page_schema(InductionOut, "InductionPage")


class ExportOut(Schema):
    exported_at = fields.String()
    participant = fields.Dict()
    consents = fields.List(fields.Dict())
    consent_requests = fields.List(fields.Dict())
    inductions = fields.List(fields.Dict())
    bookings = fields.List(fields.Dict())
    enrolments = fields.List(fields.Dict())
    audit = fields.List(fields.Dict())


KINDS = [k.value for k in ConsentKind]


class ConsentRequestIn(Schema):
    language = fields.String(
        load_default="de",
        validate=validate.OneOf(["de", "en"]),
        metadata={"description": "language of the e-mail to the guardian"},
    )


class ConsentRequestOut(Schema):
    id = fields.Integer()
    participant_id = fields.Integer()
    emailed_to = fields.String(allow_none=True, metadata={"description": "null: printed only"})
    created_by_id = fields.Integer(allow_none=True)
    created_at = CentreInstant()
    expires_at = CentreInstant()
    revoked_at = CentreInstant(allow_none=True)
    status = fields.Method(
        "_status", metadata={"description": "open, expired, or replaced (by a newer link)"}
    )

    def _status(self, obj: Any) -> str:
        if obj.revoked_at is not None:
            return "replaced"
        return "open" if obj.expires_at > clock.now() else "expired"


ConsentRequestPage = page_schema(ConsentRequestOut, "ConsentRequestPage")


class ConsentRecordOut(Schema):
    id = fields.Integer()
    participant_id = fields.Integer()
    kind = fields.String(metadata={"description": ", ".join(KINDS)})
    granted = fields.Boolean()
    effective_on = Day()
    source = fields.String(metadata={"description": ", ".join(s.value for s in ConsentSource)})
    recorded_by_id = fields.Integer(allow_none=True)
    request_id = fields.Integer(allow_none=True)
    recorded_at = CentreInstant()


ConsentRecordPage = page_schema(ConsentRecordOut, "ConsentRecordPage")


class ConsentChoicesIn(Schema):
    """Choices given on paper or told to staff; choices left out stay as they are."""

    source = fields.String(
        load_default=ConsentSource.PAPER.value,
        validate=validate.OneOf([ConsentSource.PAPER.value, ConsentSource.STAFF.value]),
    )
    effective_on = Day(load_default=None, metadata={"description": "defaults to today"})
    guardian = fields.Boolean(metadata={"description": "taking part"})
    photo = fields.Boolean(metadata={"description": "photos and audio recordings"})
    home_alone = fields.Boolean(metadata={"description": "may go home alone"})
    evaluation = fields.Boolean(metadata={"description": "may be contacted for evaluation"})


class ConsentChangeOut(Schema):
    records = fields.List(
        fields.Nested(ConsentRecordOut), metadata={"description": "history entries added"}
    )
    choices = fields.Dict(
        keys=fields.String(), values=fields.Boolean(), metadata={"description": "current state"}
    )
    affected = Affected()


class OwnConsentOut(Schema):
    participant_id = fields.Integer()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    birth_date = Day()
    turns_on = Day(metadata={"description": "the day they reach OWN_CONSENT_AGE"})


OwnConsentPage = page_schema(OwnConsentOut, "OwnConsentPage")

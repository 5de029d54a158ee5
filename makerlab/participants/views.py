"""Participant pages: registry, consent, inductions, export and erasure."""

from __future__ import annotations

import json
import math
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from makerlab import dates
from makerlab.auth.permissions import can
from makerlab.categories import label as category_label
from makerlab.confirmations import Confirmation, ConfirmForm, render_confirmation
from makerlab.equipment.services import categories, youngest_allowed
from makerlab.errors import invalid
from makerlab.extensions import db
from makerlab.forms import choices
from makerlab.pages import permission_required, submit
from makerlab.participants import consent, rules, services
from makerlab.participants.consent_views import bp as consent_bp
from makerlab.participants.forms import (
    ConsentRequestForm,
    EraseForm,
    InductionForm,
    ParticipantForm,
    SearchForm,
)
from makerlab.participants.models import Participant
from makerlab.planning.impact import ParticipantChange, find_impact, replan
from makerlab.planning.reactions import PersonBefore, replan_person
from makerlab.planning.summary import flash_text, summarise
from makerlab.schools.services import visible_schools

bp = Blueprint("participants", __name__)
bp.register_blueprint(consent_bp)
PAGE_SIZE = 25


def _school_choices(empty_label: str = "—") -> list[Any]:
    schools = db.session.scalars(visible_schools(current_user))
    return choices([(0, empty_label)] + [(s.id, s.name) for s in schools])


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.route("/participants", methods=["GET", "POST"])
@permission_required("participants.view")
def index() -> Any:
    """Everyone, or a search by name and school (staff only: teachers see no participant data).

    A search is posted and answered at once: the name typed stays out of
    URLs (access logs, browser history) and out of the session cookie,
    which is signed but readable. Its pages are posted the same way.
    """
    form = SearchForm(formdata=request.form if request.method == "POST" else None)
    form.school_id.choices = _school_choices(_("All schools"))
    q, school_id, page = "", 0, _page_number()
    if request.method == "POST" and form.validate_on_submit():
        q = (form.q.data or "").strip()[:100]
        school_id = form.school_id.data or 0
        page = max(1, request.form.get("page", 1, type=int) or 1)
    stmt = services.search_participants(current_user, q, school_id or None)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    people = db.session.scalars(
        stmt.options(sa.orm.joinedload(Participant.school))
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    response = make_response(
        render_template(
            "participants/index.html",
            people=people,
            form=form,
            searching=bool(q or school_id),
            total=total or 0,
            page=page,
            pages=max(1, math.ceil((total or 0) / PAGE_SIZE)),
            today=services.today(),
            own_consent_due=len(consent.own_consent_due()),
        )
    )
    # The answer to a search names children: not for the back-forward cache or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _form_values(form: ParticipantForm) -> dict[str, Any]:
    return {
        "first_name": form.first_name.data or "",
        "last_name": form.last_name.data or "",
        "birth_date": form.birth_date.data,
        "school_id": form.school_id.data or None,
        "guardian_name": form.guardian_name.data,
        "guardian_email": form.guardian_email.data,
        "guardian_phone": form.guardian_phone.data,
        "guardian_consent": bool(form.guardian_consent.data),
        "guardian_consent_on": form.guardian_consent_on.data,
        "photo_consent": bool(form.photo_consent.data),
        "may_go_home_alone": bool(form.may_go_home_alone.data),
        "evaluation_consent": bool(form.evaluation_consent.data),
        "notes": form.notes.data,
    }


@bp.route("/participants/new", methods=["GET", "POST"])
@permission_required("participants.manage")
def new() -> Any:
    form = ParticipantForm()
    form.school_id.choices = _school_choices()
    sent = submit(form, lambda: services.create_participant(current_user, **_form_values(form)))
    if sent.done:
        flash(_("Participant registered."), "success")
        return redirect(url_for("participants.detail", participant_id=sent.value.id))
    return render_template("participants/form.html", form=form, participant=None), sent.status


@bp.route("/participants/<int:participant_id>")
@permission_required("participants.view")
def detail(participant_id: int) -> Any:
    participant = services.get_participant(current_user, participant_id)
    inductions = services.inductions_of(participant)
    return render_template(
        "participants/detail.html",
        p=participant,
        consents=consent.history(participant),
        link=db.session.scalar(consent.open_links(participant).limit(1)),
        request_form=ConsentRequestForm(),
        inductions=inductions,
        valid_ids={i.id for i in inductions if services.induction_is_valid(i)},
        machines=services.machine_permissions(participant),
        bookings=services.bookings_of(participant),
        enrolments=services.enrolments_of(participant),
        last_activity=services.last_activity(participant),
        today=services.today(),
        can_manage=can(current_user, "participants.manage"),
    )


def _erased_redirect(participant: Participant) -> Any:
    flash(_("This participant's data has been erased."), "warning")
    return redirect(url_for("participants.detail", participant_id=participant.id))


@bp.route("/participants/<int:participant_id>/edit", methods=["GET", "POST"])
@permission_required("participants.manage")
def edit(participant_id: int) -> Any:
    participant = services.get_participant(current_user, participant_id)
    if participant.erased_at is not None:
        return _erased_redirect(participant)
    form = ParticipantForm(obj=participant)
    form.school_id.choices = _school_choices()
    if request.method == "GET":
        form.school_id.data = participant.school_id or 0
    before = PersonBefore.of(participant)

    def save() -> dict[str, list[int]]:
        services.update_participant(current_user, participant, **_form_values(form))
        return replan_person(participant, before, current_user)

    sent = submit(form, save)
    if sent.done:
        flash(_("Participant saved."), "success")
        if sent.value["bookings"] or sent.value["sessions"]:
            flash(flash_text(sent.value), "warning")
        return redirect(url_for("participants.detail", participant_id=participant.id))
    page = render_template("participants/form.html", form=form, participant=participant)
    return page, sent.status


@bp.route("/participants/<int:participant_id>/inductions/new", methods=["GET", "POST"])
@permission_required("inductions.record")
def new_induction(participant_id: int) -> Any:
    participant = services.get_participant(current_user, participant_id)
    if participant.erased_at is not None:
        return _erased_redirect(participant)
    form = InductionForm()
    form.category.choices = choices((c, category_label(c)) for c in categories())
    if request.method == "GET":
        form.completed_on.data = services.today()
    sent = submit(
        form,
        lambda: services.record_induction(
            current_user,
            participant,
            category=form.category.data or "",
            completed_on=form.completed_on.data,
            valid_until=form.valid_until.data,
        ),
    )
    youngest = youngest_allowed()
    if sent.done:
        flash(_("Induction recorded."), "success")
        category = form.category.data or ""
        for warning in rules.induction_warnings(
            participant, services.today(), {category: youngest.get(category)}
        ):
            flash(warning, "warning")
        return redirect(url_for("participants.detail", participant_id=participant.id))
    if form.category.data is None and form.category.choices:
        form.category.data = form.category.choices[0].value  # the one the browser shows first
    warnings = rules.induction_warnings_by_category(participant, services.today(), youngest)
    page = render_template(
        "participants/induction_form.html", form=form, p=participant, warnings=warnings
    )
    return page, sent.status


@bp.route(
    "/participants/<int:participant_id>/inductions/<int:induction_id>/delete",
    methods=["GET", "POST"],
)
@permission_required("inductions.record")
def delete_induction(participant_id: int, induction_id: int) -> Any:
    """Ask first, saying which future bookings then need attention; then delete the induction."""
    participant = services.get_participant(current_user, participant_id)
    induction = services.get_induction(current_user, participant, induction_id)
    change = ParticipantChange.induction_deleted(induction, participant)
    form = ConfirmForm()
    back = url_for("participants.detail", participant_id=participant.id, _anchor="inductions")
    what = _(
        "The induction for %(category)s of %(name)s, completed on %(day)s, is deleted.",
        category=category_label(induction.category),
        name=participant.display_name,
        day=dates.day(induction.completed_on),
    )

    def delete() -> dict[str, list[int]]:
        services.delete_induction(current_user, induction)
        return replan(change, current_user).affected

    sent = submit(form, delete)
    if sent.done:
        flash(_("Induction deleted."), "success")
        if sent.value["bookings"]:
            flash(flash_text(sent.value), "warning")
        return redirect(back)
    summary = summarise(find_impact(change))
    consequences = [what, summary.count_line]
    if not summary.empty:
        consequences.append(_("They are marked “needs attention” and their bookers are told."))
    return render_confirmation(
        Confirmation(
            title=_("Delete this induction?"),
            consequences=consequences,
            button=_("Delete induction"),
            form=form,
            back_url=back,
        ),
        sent.status,
    )


@bp.route("/participants/<int:participant_id>/export")
@permission_required("participants.manage")
def export(participant_id: int) -> Any:
    """Download everything stored about the participant as JSON."""
    participant = services.get_participant(current_user, participant_id)
    data = services.export_participant(current_user, participant)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    return Response(
        body,
        mimetype="application/json",
        headers={
            # The file name carries the number only, never the child's name.
            "Content-Disposition": f'attachment; filename="participant-{participant.id}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/participants/<int:participant_id>/erase", methods=["GET", "POST"])
@permission_required("participants.erase")
def erase(participant_id: int) -> Any:
    """Ask first (with the participant number typed), saying what stays; then erase for good."""
    participant = services.get_participant(current_user, participant_id)
    if participant.erased_at is not None:
        return _erased_redirect(participant)
    form = EraseForm()
    form.confirm.label.text = _("Type %(id)d to confirm", id=participant.id)

    def erase_if_confirmed() -> None:
        if (form.confirm.data or "").strip().lstrip("#") != str(participant.id):
            raise invalid("confirm", _("Please type the number %(id)d exactly.", id=participant.id))
        services.erase_participant(current_user, participant)

    sent = submit(form, erase_if_confirmed)
    if sent.done:
        flash(_("The participant's personal data has been erased."), "success")
        return redirect(url_for("participants.index"))
    summary = services.erasure_summary(participant)
    return render_confirmation(_erase_question(participant, summary, form), sent.status)


def _erase_question(
    participant: Participant, summary: services.ErasureSummary, form: EraseForm
) -> Confirmation:
    """What erasing removes and what stays (the numbers from ``erasure_summary``)."""
    kept = [
        ngettext("%(num)d booking", "%(num)d bookings", summary.bookings),
        ngettext("%(num)d workshop place", "%(num)d workshop places", summary.enrolments),
        ngettext("%(num)d induction", "%(num)d inductions", summary.inductions),
    ]
    consequences = [
        _(
            "Names, date of birth (only the year is kept), guardian details and notes of "
            "%(name)s are removed for good, also from the change history and from texts "
            "that mention the name.",
            name=participant.display_name,
        ),
        _(
            "%(kept)s stay as anonymous figures, so past reports do not change.",
            kept=", ".join(kept),
        ),
        ngettext(
            "%(num)d consent entry stays, without a name.",
            "%(num)d consent entries stay, without a name.",
            summary.consent_records,
        ),
    ]
    if summary.open_links:
        consequences.append(
            ngettext(
                "%(num)d open consent link stops working.",
                "%(num)d open consent links stop working.",
                summary.open_links,
            )
        )
    consequences.append(_("This cannot be undone."))
    export = url_for("participants.export", participant_id=participant.id)
    return Confirmation(
        title=_("Erase %(name)s?", name=participant.display_name),
        consequences=consequences,
        button=_("Erase irreversibly"),
        keep=_("Keep the data"),
        form=form,
        back_url=url_for("participants.detail", participant_id=participant.id),
        links=[(export, _("If the family asked for a copy, export the data (JSON) first"))],
    )


@bp.route("/participants/inductions/expiring")
@permission_required("participants.manage")
def expiring() -> Any:
    """Inductions that run out within the next 30 days and have not been renewed."""
    rows = services.expiring_inductions(current_user)
    return render_template(
        "participants/expiring.html",
        rows=rows,
        days=services.EXPIRY_WINDOW_DAYS,
        today=services.today(),
    )

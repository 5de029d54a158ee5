"""Consent pages: the guardian's public page, and the staff side (requests, paper form, 16+).

Nested in the participants blueprint (endpoints ``participants.consent.*``).
The public page shows the child's first name and the centre only; a wrong,
expired or replaced link gets the same 404 page, whatever the reason.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from weasyprint import HTML

from makerlab import clock
from makerlab.db import write_in_safe_request
from makerlab.extensions import csrf, db
from makerlab.pages import permission_required, submit
from makerlab.participants import consent, services
from makerlab.participants.forms import (
    ConsentRequestForm,
    GuardianChoicesForm,
    RecordConsentForm,
)
from makerlab.participants.models import ConsentSource, Participant
from makerlab.security import limiter, private_page

bp = Blueprint("consent", __name__)


def consent_limit() -> str:
    """Requests per client address to the public consent page."""
    return str(current_app.config["CONSENT_RATE_LIMIT"])


# ---------------------------------------------------------------- the guardian's page


@bp.route("/consent/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own CSRF token; no referrer is sent from this page
@private_page
@limiter.limit(consent_limit)
def guardian_page(token: str) -> Any:
    """The guardian sees what is recorded and gives or withdraws each choice."""
    language = request.args.get("lang")
    if language is not None:
        if language in current_app.config["LANGUAGES"]:
            session["lang"] = language
        return redirect(url_for(".guardian_page", token=token))
    link = consent.find_open_request(token)
    if link is None:
        return render_template("consent/unknown.html", contact=consent.consent_contact()), 404
    participant = link.participant
    form = GuardianChoicesForm(data=consent.current_choices(participant))
    status = 200
    if request.method == "POST" and not form.validate():
        # Only the CSRF token can fail: an old page, or a form posted from elsewhere.
        flash(_("The page had expired. Please make your choices again and save."), "warning")
        form = GuardianChoicesForm(formdata=None, data=consent.current_choices(participant))
        status = 400
    elif request.method == "POST":
        submitted = {kind: bool(getattr(form, kind).data) for kind in consent.CHOICE_FIELDS}
        consent.record_choices(
            None,
            participant,
            consent.guardian_answers(participant, submitted),
            source=ConsentSource.GUARDIAN_LINK,
            link=link,
        )
        db.session.commit()
        flash(_("Thank you. Your choices are saved."), "success")
        return redirect(url_for(".guardian_page", token=token), 303)
    return render_template(
        "consent/guardian.html",
        form=form,
        first_name=participant.first_name,
        choices=consent.current_choices(participant),
        recorded=consent.last_records(participant),
        expires_on=clock.to_local(link.expires_at, current_app.config["TIMEZONE"]).date(),
        contact=consent.consent_contact(),
        token=token,
    ), status


# ---------------------------------------------------------------- staff


def _detail(participant: Participant) -> Any:
    return redirect(url_for("participants.detail", participant_id=participant.id))


@bp.route("/participants/<int:participant_id>/consent-requests", methods=["POST"])
@permission_required("participants.manage")
def send_request(participant_id: int) -> Any:
    """E-mail the guardian a personal link to the consent page."""
    participant = services.get_participant(current_user, participant_id)
    form = ConsentRequestForm()
    sent = submit(
        form,
        lambda: consent.request_consent(
            current_user, participant, language=form.language.data or "de"
        ),
    )
    if sent.done:
        flash(_("Consent request sent to %(email)s.", email=sent.value.emailed_to), "success")
    else:
        sent.flash()
    return _detail(participant)


def qr_svg_data_uri(url: str) -> str:
    """A QR code of ``url`` as an SVG data URI (scales sharply on paper)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=4))


@bp.route("/participants/<int:participant_id>/consent-form.pdf")
@permission_required("participants.manage")
def form_pdf(participant_id: int) -> Response:
    """The consent form on A4 paper, with a QR code of the guardian's link.

    Printing needs a working link: if none lasts long enough, this request
    issues one (the only GET that writes; see ``write_in_safe_request``).
    """
    participant = services.get_participant(current_user, participant_id)
    if participant.erased_at is None and consent.needs_new_paper_link(participant):
        write_in_safe_request(db.session)
        participant = services.get_participant(current_user, participant_id)
    link, token, issued = consent.paper_link(current_user, participant)
    if issued:
        db.session.commit()
    language = request.args.get("lang")
    if language not in current_app.config["LANGUAGES"]:
        language = None
    url = consent.link_url(token)
    with force_locale(language) if language else nullcontext():
        html = render_template(
            "participants/consent_form_pdf.html",
            p=participant,
            url=url,
            qr=qr_svg_data_uri(url),
            expires_on=clock.to_local(link.expires_at, current_app.config["TIMEZONE"]).date(),
            contact=consent.consent_contact(),
        )
    pdf = HTML(string=html, base_url=current_app.root_path).write_pdf()
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            # The number only, never the child's name.
            "Content-Disposition": f'inline; filename="consent-form-{participant.id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/participants/<int:participant_id>/consent/record", methods=["GET", "POST"])
@permission_required("participants.manage")
def record(participant_id: int) -> Any:
    """Record a paper form the family brought back, or choices told to staff in person."""
    participant = services.get_participant(current_user, participant_id)
    if participant.erased_at is not None:
        flash(_("This participant's data has been erased."), "warning")
        return _detail(participant)
    form = RecordConsentForm()
    if request.method == "GET":
        form.given_on.data = consent.today()

    def save() -> list[Any]:
        answers = {
            kind: getattr(form, kind).data == "yes"
            for kind in consent.CHOICE_FIELDS
            if getattr(form, kind).data in ("yes", "no")
        }
        return consent.record_choices(
            current_user,
            participant,
            answers,
            source=form.source.data or ConsentSource.PAPER,
            on=form.given_on.data,
        )

    sent = submit(form, save, fields={"effective_on": "given_on"})
    if sent.done:
        if sent.value:
            flash(_("The choices are recorded."), "success")
        else:
            flash(_("No question was answered: nothing recorded."), "info")
        return _detail(participant)
    page = render_template(
        "participants/consent_record.html",
        form=form,
        p=participant,
        choices=consent.current_choices(participant),
    )
    return page, sent.status


@bp.route("/participants/own-consent")
@permission_required("participants.view")
def own_consent() -> Any:
    """Young people who reach the age of their own consent: staff ask them themselves."""
    return render_template(
        "participants/own_consent.html",
        rows=consent.own_consent_due(),
        age=int(current_app.config["OWN_CONSENT_AGE"]),
        today=consent.today(),
    )

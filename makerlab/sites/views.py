"""Sites in the browser (coordinators and admins): opening hours, closures, holidays, breaks.

Adding a closure takes two steps: :func:`check_closure` shows what will be
saved (``sites/closure_check.html``), :func:`add_closure` saves it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from makerlab import clock, dates
from makerlab.confirmations import Confirmation, render_confirmation
from makerlab.forms import choices
from makerlab.pages import permission_required, submit
from makerlab.planning.confirm import CONFIRM_FIELD, replan_confirmed, unconfirmed_summary
from makerlab.planning.hits import Impact
from makerlab.planning.impact import (
    ClosureChange,
    find_impact,
    opening_hours_change,
    reopen,
    replan,
    replan_closures,
)
from makerlab.planning.summary import Summary, flash_text, summarise
from makerlab.sites import closure_imports, services
from makerlab.sites.forms import (
    CalendarFileForm,
    ClosureForm,
    DeleteForm,
    HolidaysForm,
    NewSiteForm,
    SiteForm,
)
from makerlab.sites.models import Closure, Site

bp = Blueprint("sites", __name__)

# Several forms share the site page; prefixes keep their fields apart.
CLOSURE, HOLIDAYS, ICS = "closure", "holidays", "ics"
IGNORED_WHY = {
    "timed": _l("not an all-day event"),
    "recurring": _l("repeating events are not imported"),
    "cancelled": _l("cancelled"),
    "out_of_range": _l("outside the years the app accepts"),
    "broken": _l("no readable start date"),
}


@bp.route("/sites", methods=["GET", "POST"])
@permission_required("sites.manage")
def index() -> Any:
    """Every site, and a form to add one."""
    form = NewSiteForm()
    sent = submit(
        form,
        lambda: services.create_site(
            current_user,
            name=form.name.data or "",
            timezone=form.timezone.data or "",
            address=form.address.data or "",
        ),
    )
    if sent.done:
        flash(
            _("Site added. Set its opening hours now: until then it counts as closed."),
            "success",
        )
        return redirect(url_for("sites.detail", site_id=sent.value.id))
    page = render_template(
        "sites/index.html",
        sites=services.list_sites(),
        upcoming=services.upcoming_closure_counts(),
        form=form,
    )
    return page, sent.status


@bp.route("/sites/<int:site_id>", methods=["GET", "POST"])
@permission_required("sites.manage")
def detail(site_id: int) -> Any:
    """Name, address, time zone and the weekly opening hours; closures below."""
    site = services.get_site(current_user, site_id)
    form = SiteForm.for_site(site)
    before = dict(site.opening_hours or {})
    confirmed = request.form.get(CONFIRM_FIELD) == "1"

    def save() -> Impact:
        services.update_site(
            current_user,
            site,
            name=form.name.data or "",
            address=form.address.data or "",
            timezone=form.timezone.data or "",
            opening_hours=form.opening_hours(),
        )
        return replan_confirmed(opening_hours_change(site, before), current_user, confirmed)

    sent = submit(form, save)
    if sent.done:
        flash(_("Site saved."), "success")
        if not sent.value.empty:
            flash(flash_text(sent.value.affected), "warning")
        return redirect(url_for("sites.detail", site_id=site.id))
    if sent.error is not None:
        site = services.get_site(current_user, site_id)  # as before the refusal
    impact = unconfirmed_summary(sent.error)
    return render_site(site, site_form=form, status=200 if impact else sent.status, impact=impact)


def render_site(
    site: Site,
    *,
    site_form: SiteForm | None = None,
    closure_form: ClosureForm | None = None,
    holidays_form: HolidaysForm | None = None,
    file_form: CalendarFileForm | None = None,
    status: int = 200,
    impact: Summary | None = None,
) -> Any:
    """The site page with its forms; a form given here shows its input and errors."""
    if closure_form is None:
        # "Change" on the summary step comes back with the checked values in the query.
        closure_form = ClosureForm(prefix=CLOSURE, formdata=request.args or None)
    if holidays_form is None:
        holidays_form = HolidaysForm(prefix=HOLIDAYS, formdata=None)
        holidays_form.year.data = clock.today(site.timezone).year + 1
        holidays_form.state.data = closure_imports.default_state()
    holidays_form.state.choices = choices(  # type: ignore[assignment]
        (code, f"{name} ({code})") for code, name in closure_imports.STATES.items()
    )
    upcoming, past = services.upcoming_and_past_closures(site, clock.today(site.timezone))
    return (
        render_template(
            "sites/detail.html",
            site=site,
            form=site_form or SiteForm.for_site(site),
            closure_form=closure_form,
            holidays_form=holidays_form,
            file_form=file_form or CalendarFileForm(prefix=ICS, formdata=None),
            upcoming=upcoming,
            past=past,
            max_kb=closure_imports.ICS_MAX_BYTES // 1024,
            impact=impact,
        ),
        status,
    )


@bp.route("/sites/<int:site_id>/closures/check", methods=["POST"])
@permission_required("sites.manage")
def check_closure(site_id: int) -> Any:
    """Step 1 of adding a closure: the summary of what will be saved, nothing saved yet."""
    site = services.get_site(current_user, site_id)
    form = ClosureForm(prefix=CLOSURE)
    checked = submit(
        form,
        lambda: services.plan_closure(
            current_user,
            site,
            starts_on=form.starts_on.data,
            ends_on=form.last_day(),
            reason=form.reason.data or "",
        ),
    )
    if checked.done:
        plan = checked.value
        impact = find_impact(ClosureChange(site, plan.starts_on, plan.ends_on, plan.reason))
        return render_template(
            "sites/closure_check.html",
            site=site,
            plan=plan,
            form=form,
            prefix=CLOSURE,
            impact=summarise(impact),
        )
    return render_site(site, closure_form=form, status=checked.status)


@bp.route("/sites/<int:site_id>/closures", methods=["POST"])
@permission_required("sites.manage")
def add_closure(site_id: int) -> Any:
    """Step 2: save the closure that was checked."""
    site = services.get_site(current_user, site_id)
    form = ClosureForm(prefix=CLOSURE)

    def save() -> tuple[Closure, dict[str, list[int]]]:
        closure = services.add_closure(
            current_user,
            site,
            starts_on=form.starts_on.data,
            ends_on=form.last_day(),
            reason=form.reason.data or "",
        )
        return closure, replan(ClosureChange.of(closure, site), current_user).affected

    sent = submit(form, save)
    if sent.done:
        closure, affected = sent.value
        flash(_("Closure saved: %(days)s.", days=_days(closure)), "success")
        if affected["bookings"] or affected["sessions"]:
            flash(flash_text(affected), "warning")
        return redirect(url_for("sites.detail", site_id=site.id, _anchor="closures"))
    site = services.get_site(current_user, site_id)  # as before the refusal
    return render_site(site, closure_form=form, status=sent.status)


@bp.route("/sites/<int:site_id>/closures/<int:closure_id>/delete", methods=["GET", "POST"])
@permission_required("sites.manage")
def delete_closure(site_id: int, closure_id: int) -> Any:
    """Ask first, then reopen the days of a closure."""
    site = services.get_site(current_user, site_id)
    closure = _closure_of(site, closure_id)
    form = DeleteForm()
    days = _days(closure)
    def reopen_days() -> None:
        reopen(closure, site)  # what the closure flagged goes with it
        services.delete_closure(current_user, closure)

    sent = submit(form, reopen_days)
    if sent.done:
        flash(_("Closure removed: %(days)s.", days=days), "success")
        return redirect(url_for("sites.detail", site_id=site.id, _anchor="closures"))
    length = (closure.ends_on - closure.starts_on).days + 1
    what = ngettext("%(days)s (%(num)d day)", "%(days)s (%(num)d days)", length, days=days)
    return render_confirmation(
        Confirmation(
            title=_("Delete this closure?"),
            consequences=[
                what + (f" · {closure.reason}" if closure.reason else ""),
                _(
                    "%(site)s is then open on these days again, by its opening hours, "
                    "and units can be booked.",
                    site=site.name,
                ),
            ],
            button=_("Delete closure"),
            form=form,
            back_url=url_for("sites.detail", site_id=site.id, _anchor="closures"),
        ),
        sent.status,
    )


@bp.route("/sites/<int:site_id>/holidays", methods=["POST"])
@permission_required("sites.manage")
def add_holidays(site_id: int) -> Any:
    """Close the site on a German state's public holidays of one year."""
    site = services.get_site(current_user, site_id)
    form = HolidaysForm(prefix=HOLIDAYS)
    form.state.choices = choices((code, code) for code in closure_imports.STATES)  # type: ignore[assignment]
    sent = submit(
        form,
        lambda: _replanned(
            site,
            closure_imports.add_public_holidays(
                current_user, site, year=form.year.data or 0, state=form.state.data
            ),
        ),
    )
    if sent.done:
        result, affected = sent.value
        flash(_added_message(len(result.added), result.existing), "success")
        _flash_affected(affected)
        return redirect(url_for("sites.detail", site_id=site.id, _anchor="closures"))
    site = services.get_site(current_user, site_id)  # as before the refusal
    return render_site(site, holidays_form=form, status=sent.status)


@bp.route("/sites/<int:site_id>/closures/import", methods=["POST"])
@permission_required("sites.manage")
def import_closures(site_id: int) -> Any:
    """Close the site on the all-day events of an uploaded iCalendar file."""
    site = services.get_site(current_user, site_id)
    form = CalendarFileForm(prefix=ICS)
    sent = submit(
        form,
        lambda: _replanned(
            site,
            closure_imports.import_closures_ics(
                current_user, site, form.file.data.read(closure_imports.ICS_MAX_BYTES + 1)
            ),
        ),
    )
    if sent.done:
        result, affected = sent.value
        flash(_added_message(len(result.added), result.existing), "success")
        _flash_affected(affected)
        if result.ignored:
            flash(_ignored_message(result.ignored), "warning")
        return redirect(url_for("sites.detail", site_id=site.id, _anchor="closures"))
    site = services.get_site(current_user, site_id)  # as before the refusal
    return render_site(site, file_form=form, status=sent.status)


def _replanned(site: Site, result: Any) -> tuple[Any, dict[str, list[int]]]:
    """An import's result and what the closures it added hit (now flagged, people told)."""
    return result, replan_closures(result.added, site, current_user)


def _flash_affected(affected: dict[str, list[int]]) -> None:
    if affected["bookings"] or affected["sessions"]:
        flash(flash_text(affected), "warning")


def _closure_of(site: Site, closure_id: int) -> Closure:
    closure = services.get_closure(current_user, closure_id)
    if closure.site_id != site.id:
        abort(404)
    return closure


def _days(closure: Closure) -> str:
    return dates.day_range(closure.starts_on, closure.ends_on)


def _added_message(added: int, existing: int) -> str:
    return str(
        ngettext(
            "%(num)d closure added, %(existing)d already there.",
            "%(num)d closures added, %(existing)d already there.",
            added,
            existing=existing,
        )
    )


def _ignored_message(ignored: list[closure_imports.IgnoredEvent]) -> str:
    shown = ", ".join(f"{item.summary} ({IGNORED_WHY[item.why]})" for item in ignored[:5])
    more = len(ignored) - 5
    text = ngettext(
        "%(num)d event was not imported: %(events)s",
        "%(num)d events were not imported: %(events)s",
        len(ignored),
        events=shown,
    )
    if more > 0:
        text += " " + ngettext("and %(num)d more.", "and %(num)d more.", more)
    return str(text)

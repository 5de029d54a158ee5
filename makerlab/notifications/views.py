"""The coordinators' outbox page: what was sent, what failed, re-send."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from makerlab.api.schemas import paginate
from makerlab.enums import NotificationStatus
from makerlab.notifications import services
from makerlab.notifications.forms import ResendForm
from makerlab.pages import permission_required, submit

bp = Blueprint("notifications", __name__)

PER_PAGE = 50


@bp.route("/outbox")
@bp.route("/notifications")
@permission_required("notifications.view")
def outbox() -> Any:
    status = request.args.get("status", "")
    if status not in {s.value for s in NotificationStatus}:
        status = ""
    page = request.args.get("page", 1, type=int) or 1
    page = max(page, 1)
    found = paginate(services.list_notifications(status or None),
                     {"limit": PER_PAGE, "offset": (page - 1) * PER_PAGE})
    notes, total = found["items"], found["total"]
    pages = max(1, -(-total // PER_PAGE))
    return render_template(
        "notifications/outbox.html",
        notes=notes,
        status=status,
        statuses=[s.value for s in NotificationStatus],
        counts=services.status_counts(),
        page=page,
        pages=pages,
        total=total,
        form=ResendForm(),
    )


@bp.route("/outbox/<int:notification_id>/resend", methods=["POST"])
@permission_required("notifications.view")
def resend(notification_id: int) -> Any:
    form = ResendForm()
    if not form.validate_on_submit():
        abort(400)
    note = services.get_notification(current_user, notification_id)
    sent = submit(None, lambda: services.resend(current_user, note))
    if sent.done:
        flash(_("The message is queued again and will be sent within a minute."), "success")
    else:
        sent.flash("warning")
    return redirect(url_for("notifications.outbox", status=request.args.get("status") or None))

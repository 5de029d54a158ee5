from __future__ import annotations

from typing import Any

from flask.views import MethodView

from makerlab.api import api_blueprint, current_actor, require, resolve
from makerlab.api.schemas import paginate
from makerlab.db import commit_for_response
from makerlab.extensions import db
from makerlab.notifications import services
from makerlab.notifications.models import Notification
from makerlab.notifications.schemas import NotificationListArgs, NotificationOut, NotificationPage

blp = api_blueprint("notifications_api", __name__, "E-mail outbox")


@blp.route("/notifications")
class Notifications(MethodView):
    @require("notifications.view")
    @blp.arguments(NotificationListArgs, location="query")
    @blp.response(200, NotificationPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The outbox, newest first; ``?status=pending|sent|failed``."""
        return paginate(services.list_notifications(args.get("status")), args)


@blp.route("/notifications/<int:notification_id>")
class NotificationItem(MethodView):
    @require("notifications.view")
    @resolve("notification_id", services.get_notification, "note")
    @blp.response(200, NotificationOut)
    def get(self, note: Notification) -> Any:
        """One outbox entry."""
        return note


@blp.route("/notifications/<int:notification_id>/resend")
class NotificationResend(MethodView):
    @require("notifications.view")
    @resolve("notification_id", services.get_notification, "note")
    @blp.response(200, NotificationOut)
    def post(self, note: Notification) -> Any:
        """Queue a failed message again (409 unless it failed)."""
        services.resend(current_actor(), note)
        commit_for_response(db.session)
        return note

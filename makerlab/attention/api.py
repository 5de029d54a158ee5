"""JSON route: what needs attention, with suggestions."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from makerlab.api import api_blueprint, require
from makerlab.attention import services
from makerlab.attention.schemas import AttentionArgs, AttentionPage

blp = api_blueprint("attention_api", __name__, "What needs attention after a change")


@blp.route("/attention")
class Attention(MethodView):
    @require("bookings.view")
    @blp.arguments(AttentionArgs, location="query")
    @blp.response(200, AttentionPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Future bookings and workshop sessions a change (closure, maintenance, damaged
        return, opening hours, consent, induction, age) made impossible, soonest first, each
        with its ``reasons`` and up to three ``suggestions``. A session's reserved units are
        listed with the session, not on their own. Staff only."""
        items = services.attention_items(site_id=args.get("site_id"))
        page = items[args["offset"] : args["offset"] + args["limit"]]
        return {"items": services.add_suggestions(page), "total": len(items)}

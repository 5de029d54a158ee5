"""``/api/v1/feeds``: one's calendar subscriptions (any logged-in role, each their own)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from makerlab.api import api_blueprint, current_actor, resolve
from makerlab.api.schemas import ListArgs, paginate
from makerlab.db import commit_for_response
from makerlab.extensions import db
from makerlab.feeds import services
from makerlab.feeds.models import CalendarFeed
from makerlab.feeds.schemas import FeedIn, FeedOut, FeedPage
from makerlab.feeds.views import feed_url, webcal

blp = api_blueprint("feeds_api", __name__, "Calendar feeds with their own secrets")


@blp.route("/feeds")
class Feeds(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, FeedPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The caller's working feeds (their addresses were shown once, when created)."""
        return paginate(services.feeds_of(current_actor()), args)

    @blp.arguments(FeedIn)
    @blp.response(201, FeedOut)
    def post(self, payload: dict[str, Any]) -> Any:
        """A new feed: ``mine`` and ``equipment`` (staff), ``school`` (teachers); ``url`` once."""
        feed, secret = services.create_feed(
            current_actor(), payload["kind"], payload.get("equipment_id")
        )
        url = feed_url(secret)
        commit_for_response(db.session)
        return {
            "id": feed.id,
            "kind": feed.kind,
            "equipment_id": feed.equipment_id,
            "created_at": feed.created_at,
            "url": url,
            "webcal_url": webcal(url),
        }


@blp.route("/feeds/<int:feed_id>")
class FeedItem(MethodView):
    @resolve("feed_id", services.get_feed, "feed")
    @blp.response(204)
    def delete(self, feed: CalendarFeed) -> None:
        """Revoke a feed: its address answers 404 from now on."""
        services.revoke_feed(current_actor(), feed)
        db.session.commit()

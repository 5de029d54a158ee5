from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.views import MethodView

from makerlab.api import api_blueprint, current_actor, preview_answer, require, resolve
from makerlab.api.schemas import ListArgs, PreviewArgs, PreviewOut, paginate, with_affected
from makerlab.db import commit_for_response
from makerlab.extensions import db
from makerlab.planning.impact import ClosureChange, opening_hours_change, reopen, replan
from makerlab.sites import services
from makerlab.sites.models import Closure, Site, Term
from makerlab.sites.schemas import (
    ClosureCreated,
    ClosureIn,
    ClosurePage,
    SiteChanged,
    SiteIn,
    SiteOut,
    SitePage,
    SitePatch,
    TermIn,
    TermOut,
    TermPage,
)

blp = api_blueprint("sites_api", __name__, "Sites, opening hours, closures and terms")


@blp.route("/sites")
class Sites(MethodView):
    @require("sites.view")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, SitePage)
    def get(self, args: dict[str, Any]) -> Any:
        """List sites."""
        return paginate(sa.select(Site).order_by(Site.id), args)

    @require("sites.manage")
    @blp.arguments(SiteIn)
    @blp.response(201, SiteOut)
    def post(self, payload: dict[str, Any]) -> Any:
        """Add a site."""
        site = services.create_site(current_actor(), **payload)
        commit_for_response(db.session)
        return site


@blp.route("/sites/<int:site_id>")
class SiteItem(MethodView):
    @require("sites.view")
    @resolve("site_id", services.get_site, "site")
    @blp.response(200, SiteOut)
    def get(self, site: Site) -> Any:
        """One site with its opening hours."""
        return site

    @require("sites.manage")
    @resolve("site_id", services.get_site, "site")
    @blp.arguments(SitePatch)
    @blp.arguments(PreviewArgs, location="query")
    @blp.response(200, SiteChanged)
    def patch(self, payload: dict[str, Any], args: dict[str, Any], site: Site) -> Any:
        """Change a site (name, time zone, address, opening hours).

        New opening hours flag the future bookings and sessions they leave
        outside (``affected``); ``?preview=true`` answers only that.
        """
        actor = current_actor()
        before = dict(site.opening_hours or {})
        services.update_site(actor, site, **payload)
        impact = replan(opening_hours_change(site, before), actor, preview=args["preview"])
        if args["preview"]:
            return preview_answer(impact.affected)
        commit_for_response(db.session)
        return with_affected(site, impact.affected)


@blp.route("/sites/<int:site_id>/closures")
class SiteClosures(MethodView):
    @require("sites.view")
    @resolve("site_id", services.get_site, "site")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, ClosurePage)
    def get(self, args: dict[str, Any], site: Site) -> Any:
        """Closures of a site (holidays, school breaks, repairs)."""
        stmt = sa.select(Closure).where(Closure.site_id == site.id).order_by(Closure.starts_on)
        return paginate(stmt, args)

    @require("sites.manage")
    @resolve("site_id", services.get_site, "site")
    @blp.arguments(ClosureIn)
    @blp.arguments(PreviewArgs, location="query")
    @blp.response(201, ClosureCreated)
    @blp.alt_response(200, schema=PreviewOut, description="?preview=true: nothing saved")
    def post(self, payload: dict[str, Any], args: dict[str, Any], site: Site) -> Any:
        """Close the site for a day or a range of days (``ends_on`` inclusive).

        Future bookings and sessions on those days get ``attention`` and their
        people are told; ``affected`` lists them (``?preview=true``: only that).
        """
        actor = current_actor()
        closure = services.add_closure(actor, site, **payload)
        impact = replan(ClosureChange.of(closure, site), actor, preview=args["preview"])
        if args["preview"]:
            return preview_answer(impact.affected)
        commit_for_response(db.session)
        return with_affected(closure, impact.affected)


@blp.route("/closures/<int:closure_id>")
class ClosureItem(MethodView):
    @require("sites.manage")
    @resolve("closure_id", services.get_closure, "closure")
    @blp.response(204)
    def delete(self, closure: Closure) -> None:
        """Remove a closure: what it put on bookings and sessions goes with it."""
        reopen(closure, closure.site)
        services.delete_closure(current_actor(), closure)
        commit_for_response(db.session)


@blp.route("/sites/<int:site_id>/terms")
class SiteTerms(MethodView):
    @require("sites.view")
    @resolve("site_id", services.get_site, "site")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, TermPage)
    def get(self, args: dict[str, Any], site: Site) -> Any:
        """School terms and years of a site (named ranges of days for reports), latest first."""
        return paginate(services.terms_of(site.id), args)

    @require("sites.manage")
    @resolve("site_id", services.get_site, "site")
    @blp.arguments(TermIn)
    @blp.response(201, TermOut)
    def post(self, payload: dict[str, Any], site: Site) -> Any:
        """Name a range of days (``ends_on`` inclusive); the report page offers it as a shortcut."""
        term = services.add_term(current_actor(), site, **payload)
        commit_for_response(db.session)
        return term


@blp.route("/terms/<int:term_id>")
class TermItem(MethodView):
    @require("sites.manage")
    @resolve("term_id", services.get_term, "term")
    @blp.response(204)
    def delete(self, term: Term) -> None:
        """Remove a term."""
        services.delete_term(current_actor(), term)
        commit_for_response(db.session)

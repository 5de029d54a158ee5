from __future__ import annotations

from typing import Any

from flask.views import MethodView

from makerlab.api import api_blueprint, current_actor, require, resolve
from makerlab.api.schemas import paginate
from makerlab.db import commit_for_response
from makerlab.extensions import db
from makerlab.schools import services
from makerlab.schools.models import School
from makerlab.schools.schemas import SchoolIn, SchoolListArgs, SchoolOut, SchoolPage, SchoolPatch

blp = api_blueprint("schools_api", __name__, "Partner schools")


@blp.route("/schools")
class Schools(MethodView):
    @require("schools.view")
    @blp.arguments(SchoolListArgs, location="query")
    @blp.response(200, SchoolPage)
    def get(self, args: dict[str, Any]) -> Any:
        """List partner schools (teachers: their own)."""
        stmt = services.visible_schools(current_actor())
        if args.get("q"):
            stmt = stmt.where(School.name.ilike(f"%{args['q']}%"))
        return paginate(stmt, args)

    @require("schools.manage")
    @blp.arguments(SchoolIn)
    @blp.response(201, SchoolOut)
    def post(self, payload: dict[str, Any]) -> Any:
        """Add a partner school."""
        school = services.create_school(current_actor(), **payload)
        commit_for_response(db.session)
        return school


@blp.route("/schools/<int:school_id>")
class SchoolItem(MethodView):
    @require("schools.view")
    @resolve("school_id", services.get_school, "school")
    @blp.response(200, SchoolOut)
    def get(self, school: School) -> Any:
        """One school."""
        return school

    @require("schools.manage")
    @resolve("school_id", services.get_school, "school")
    @blp.arguments(SchoolPatch)
    @blp.response(200, SchoolOut)
    def patch(self, payload: dict[str, Any], school: School) -> Any:
        """Change a school."""
        services.update_school(current_actor(), school, **payload)
        commit_for_response(db.session)
        return school

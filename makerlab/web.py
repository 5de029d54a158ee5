"""Browser-facing frame: locale, login loading, filters, dashboard, error pages."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from makerlab import categories, clock, dates
from makerlab.attention.services import add_suggestions, attention_items
from makerlab.audit import set_actor
from makerlab.auth.forms import ROLE_LABELS
from makerlab.auth.models import User
from makerlab.auth.permissions import can
from makerlab.auth.services import set_locale
from makerlab.bookings.forms import MoveForm
from makerlab.bookings.models import current_at
from makerlab.bookings.services import list_bookings_stmt
from makerlab.domains import domain_modules
from makerlab.enums import Role
from makerlab.equipment.models import Equipment
from makerlab.extensions import db, login_manager
from makerlab.labels import attention_label, kit_lines, status_label, tag
from makerlab.pages import safe_next
from makerlab.planning.hits import detail_of
from makerlab.today.services import today_at_the_lab
from makerlab.workshops.models import Enrolment, WorkshopSession
from makerlab.workshops.services import upcoming_sessions

bp = Blueprint("main", __name__)

# Items of the "Needs attention" panel on the dashboard; the rest on /attention. Few, so
# that today's figures and bookings stay near the top on a phone.
ATTENTION_ON_DASHBOARD = 3
# Items of the "Today" block at the top of a staff dashboard; the rest on /today.
TODAY_ON_DASHBOARD = 6

# Navigation: (endpoint, label, permission). Entries whose endpoint is not
# registered yet are skipped, so a domain's pages appear once it adds them.
NAV_ITEMS: list[tuple[str, Any, str | None]] = [
    ("main.index", _l("Overview"), None),
    ("today.index", _l("Today"), "bookings.view"),
    ("bookings.calendar", _l("Calendar"), "bookings.view"),
    ("bookings.find_free", _l("Find a free unit"), "bookings.create"),
    ("bookings.mine", _l("My bookings"), "bookings.view"),
    ("bookings.loans", _l("Out right now"), "loans.manage"),
    ("equipment.index", _l("Equipment"), "equipment.view"),
    ("workshops.index", _l("Workshops"), "workshops.view"),
    ("participants.index", _l("Participants"), "participants.view"),
    ("reports.period", _l("Reports"), "reports.view"),
]
# Less frequent pages, in the account menu.
MENU_ITEMS: list[tuple[str, Any, str | None]] = [
    ("sites.index", _l("Sites and closures"), "sites.manage"),
    ("schools.index", _l("Schools"), "schools.manage"),
    ("notifications.outbox", _l("Outbox"), "notifications.view"),
    ("audit.index", _l("Audit log"), "audit.view"),
    ("auth.users", _l("Accounts"), "users.manage"),
    ("auth.tokens", _l("API tokens"), None),
    ("feeds.manage", _l("Calendar subscriptions"), None),
    ("auth.change_password", _l("Change password"), None),
]

# Shortcuts on the dashboard, shown to whoever may use them.
QUICK_ACTIONS: list[tuple[str, Any, str | None]] = [
    ("bookings.new", _l("Book a unit"), "bookings.create"),
    ("bookings.find_free", _l("Find a free unit"), "bookings.create"),
    ("bookings.loans", _l("Hand out or take back kits"), "loans.manage"),
    ("desk.index", _l("Scan a kit at the desk"), "loans.manage"),
    ("participants.new", _l("Register a participant"), "participants.manage"),
    ("workshops.new_workshop", _l("Plan a workshop"), "workshops.manage"),
    ("reports.weekly", _l("Weekly report"), "reports.view"),
    ("workshops.index", _l("Enrol a class"), "enrolments.create"),
]


def _visible(items: list[tuple[str, Any, str | None]]) -> list[dict[str, Any]]:
    """The entries whose page exists and which the current user may open."""
    if not current_user.is_authenticated:
        return []
    shown = []
    for endpoint, label, permission in items:
        if endpoint not in current_app.view_functions:
            continue
        if permission is not None and not can(current_user, permission):
            continue
        shown.append(
            {"url": url_for(endpoint), "label": label, "active": request.endpoint == endpoint}
        )
    return shown


def nav_items() -> list[dict[str, Any]]:
    return _visible(NAV_ITEMS)


def menu_items() -> list[dict[str, Any]]:
    return _visible(MENU_ITEMS)


def quick_actions() -> list[dict[str, Any]]:
    actions = _visible(QUICK_ACTIONS)
    if current_user.role != Role.TEACHER:  # staff enrol from the session page
        actions = [a for a in actions if a["url"] != url_for("workshops.index")]
    return actions


def role_label(role: str) -> Any:
    return ROLE_LABELS.get(role, role)  # type: ignore[call-overload]


def select_locale() -> str:
    """User setting, then the language chosen this session, then the browser."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return str(user_locale)
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    best = request.accept_languages.best_match(languages)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return str(current_app.config["TIMEZONE"])


def site_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


# What each error page says, in the reader's language (Werkzeug's texts are English).
@login_manager.user_loader
def _load_user(user_id: str) -> Any:
    # "id:session_version" (User.get_id): a cookie from before a logout,
    # password change or deactivation carries an old version and is refused.
    user_pk, _sep, version = user_id.partition(":")
    if not (user_pk.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_pk))
    if user is not None and user.active and user.session_version == int(version):
        set_actor(db.session, user)
        return user
    return None


def _to_local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(site_tz())


@bp.route("/")
def index() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("dashboard.html", **_dashboard_data())


def _dashboard_data() -> dict[str, Any]:
    """Figures for the role's dashboard, in a fixed number of queries."""
    now = clock.now()
    data: dict[str, Any] = {"now": now}
    if current_user.role in (Role.ADMIN, Role.COORDINATOR, Role.YOUTH_WORKER):
        mine = list_bookings_stmt(booked_by_id=current_user.id)
        data["my_bookings"] = db.session.scalars(
            mine.where(current_at(now)).limit(8)
        ).all()
        today = today_at_the_lab(current_app.config["TIMEZONE"])
        # Overdue kits first, then what is due back today, then today's sessions and bookings.
        today_items = (
            [("overdue", row) for row in today.overdue]
            + [("due", row) for row in today.due_today]
            + [("session", view) for view in today.sessions]
            + [("booking", row) for row in today.bookings]
        )
        data["today"] = today
        data["today_items"] = today_items[:TODAY_ON_DASHBOARD]
        data["today_total"] = len(today_items)
        data["out_now"] = len(today.overdue) + len(today.due_today) + len(today.out_longer)
        data["overdue"] = len(today.overdue)
        data["units_in_maintenance"] = db.session.scalar(
            sa.select(sa.func.count()).where(Equipment.status == "maintenance")
        )
        data.update(attention_panel(limit=ATTENTION_ON_DASHBOARD, back_url=url_for("main.index")))
    data["upcoming_sessions"] = upcoming_sessions(limit=6)
    if current_user.role == Role.TEACHER:
        data["school_enrolments"] = db.session.scalars(
            sa.select(Enrolment)
            .options(sa.orm.joinedload(Enrolment.session).joinedload(WorkshopSession.workshop))
            .join(WorkshopSession, WorkshopSession.id == Enrolment.session_id)
            .where(Enrolment.school_id == current_user.school_id, WorkshopSession.ends_at > now)
            .order_by(WorkshopSession.starts_at)
        ).all()
    return data


def attention_panel(*, limit: int | None, back_url: str) -> dict[str, Any]:
    """What ``_attention_panel.html`` shows: all sites; a youth worker's own bookings first."""
    mine_first = current_user.id if current_user.role == Role.YOUTH_WORKER else None
    items = attention_items(mine_first=mine_first)
    shown = items[:limit] if limit is not None else items
    return {
        "attention": add_suggestions(shown),
        "attention_total": len(items),
        "move_form": MoveForm(),
        "back_url": back_url,
    }


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str) -> Any:
    """Switch the interface language (remembered on the account when logged in)."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    if current_user.is_authenticated:
        set_locale(current_user, code)
        db.session.commit()
    return redirect(safe_next(request.form.get("next")))


@bp.route("/healthz")
def healthz() -> Response:
    """Liveness and database check for load balancers."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return Response('{"status": "database unavailable"}', 503, mimetype="application/json")
    return Response('{"status": "ok"}', 200, mimetype="application/json")


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = ""
    app.register_blueprint(bp)
    for module in domain_modules("views"):
        app.register_blueprint(module.bp)
    # One set of date formats (makerlab/dates.py): |localtime "Do., 10. Dez. 2026, 14:00",
    # |day "Do., 10. Dez. 2026" (or a named style), |hm "14:00", time_span(start, end).
    app.jinja_env.filters["localtime"] = dates.moment
    app.jinja_env.filters["day"] = dates.day
    app.jinja_env.filters["day_label"] = lambda day, style="day_short": dates.day(day, style)
    app.jinja_env.filters["week_label"] = dates.week
    app.jinja_env.filters["week_in_text"] = dates.week_in_text
    app.jinja_env.filters["zone_name"] = dates.zone_name
    app.jinja_env.filters["hm"] = lambda instant, tz=None: dates.time(instant, tz=tz)
    app.jinja_env.globals["time_span"] = dates.span
    app.jinja_env.globals["format_day"] = dates.day
    app.jinja_env.globals["day_pattern"] = dates.day_pattern  # for static/day-hint.js
    app.jinja_env.filters["to_local"] = _to_local
    app.jinja_env.filters["kit_lines"] = kit_lines
    app.jinja_env.filters["tag"] = tag
    app.jinja_env.globals["can"] = lambda permission: can(current_user, permission)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["attention_detail"] = detail_of
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["menu_items"] = menu_items
    app.jinja_env.globals["quick_actions"] = quick_actions
    app.jinja_env.globals["view_names"] = lambda: current_app.view_functions
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.globals["attention_label"] = attention_label
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["category_label"] = categories.label

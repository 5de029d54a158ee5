"""The "Needs attention" panel on staff dashboards: reasons in words, one-click moves."""

from __future__ import annotations

import re
from typing import Any

from makerlab.bookings.models import Booking
from makerlab.db import recorded_statements
from makerlab.extensions import db
from makerlab.web import ATTENTION_ON_DASHBOARD
from tests.attention.conftest import DAMAGED, closure_on
from tests.conftest import at

EN = {"Accept-Language": "en"}


def panel(html: str) -> str:
    found = re.search(r'<section[^>]*id="attention".*?</section>', html, re.S)
    return found.group(0) if found else ""


def move_forms(html: str) -> list[dict[str, str]]:
    """The hidden fields of each "move here" form, in page order."""
    forms = re.findall(
        r'<form method="post" action="(/bookings/\d+/move)">(.*?)</form>', html, re.S
    )
    return [
        {"action": action, **dict(re.findall(r'name="(\w+)" value="([^"]*)"', body))}
        for action, body in forms
    ]


def test_coordinator_moves_a_damaged_kits_reservation_with_one_click(
    frozen: Any, client: Any, login_as: Any, make_user: Any, make_unit: Any, make_booking: Any
) -> None:
    worker = make_user("youth_worker", name="Jonas Weber")
    kit = make_unit(name="Podcast-Koffer 1", category="podcast_kit", loanable=True)
    spare = make_unit(name="Podcast-Koffer 2", category="podcast_kit", loanable=True)
    broken = make_booking(
        kit,
        "2027-01-06",
        "10:00",
        "12:00",
        attention=[DAMAGED],
        booked_by_id=worker.id,
        purpose="Hörspiel 7b",
    )
    kit.status = "maintenance"
    db.session.commit()
    login_as("coordinator")

    html = panel(client.get("/", headers=EN).get_data(as_text=True))

    assert "Needs attention" in html and "Podcast-Koffer 1" in html
    assert "Jonas Weber" in html and "Hörspiel 7b" in html
    assert "The unit is not available" in html and "unit_unavailable" not in html
    assert DAMAGED["detail"] in html
    assert "Pick another time" in html and "Cancel booking…" in html
    forms = move_forms(html)
    assert len(forms) == 1 and forms[0]["equipment_id"] == str(spare.id)

    form = forms[0]
    response = client.post(
        form["action"], data={k: v for k, v in form.items() if k != "action"}, headers=EN
    )

    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    db.session.expire_all()
    moved = db.session.get(Booking, broken.id)
    assert moved is not None and moved.equipment_id == spare.id
    assert (moved.starts_at, moved.ends_at) == (
        at("2027-01-06", "10:00"),
        at("2027-01-06", "12:00"),
    )
    assert moved.attention == []
    after = client.get("/", headers=EN).get_data(as_text=True)
    assert "Moved: Podcast-Koffer 2" in after
    assert panel(after) == ""


def test_a_refused_move_says_why_and_changes_nothing(
    frozen: Any, client: Any, login_as: Any, make_unit: Any, make_booking: Any
) -> None:
    kit, spare = make_unit(category="podcast_kit"), make_unit(category="podcast_kit")
    broken = make_booking(kit, "2027-01-06", "10:00", "12:00", attention=[DAMAGED])
    login_as("youth_worker")
    form = move_forms(panel(client.get("/").get_data(as_text=True)))[0]
    make_booking(spare, "2027-01-06", "11:00", "12:00")  # taken meanwhile

    response = client.post(
        form["action"], data={k: v for k, v in form.items() if k != "action"}, headers=EN
    )

    assert response.status_code == 302
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert "already booked" in page
    db.session.expire_all()
    kept = db.session.get(Booking, broken.id)
    assert kept is not None and kept.equipment_id == kit.id and kept.attention == [DAMAGED]


def test_youth_workers_see_their_own_bookings_first_teachers_see_no_panel(
    frozen: Any,
    client: Any,
    login_as: Any,
    make_user: Any,
    make_unit: Any,
    make_booking: Any,
    make_session: Any,
    make_school: Any,
) -> None:
    colleague = make_user("youth_worker")
    make_booking(
        make_unit(name="Früher"),
        "2027-01-05",
        "10:00",
        "12:00",
        attention=[DAMAGED],
        booked_by_id=colleague.id,
    )
    make_session("2027-01-06", attention=[closure_on("2027-01-06")])
    me = login_as("youth_worker")
    make_booking(
        make_unit(name="Meiner"),
        "2027-01-07",
        "10:00",
        "12:00",
        attention=[DAMAGED],
        booked_by_id=me.id,
    )

    html = panel(client.get("/").get_data(as_text=True))

    assert html.index("Meiner") < html.index("Früher") < html.index("Podcast-Werkstatt")
    # A session is changed by those who manage sessions: no buttons for a youth worker.
    session_item = html.split("Podcast-Werkstatt")[1].split("</li>\n  \n")[0]
    assert "Cancel with a reason" not in session_item
    client.post("/logout")
    login_as("teacher", school_id=make_school().id)
    assert panel(client.get("/").get_data(as_text=True)) == ""


def test_reasons_in_german_and_the_whole_list_page(
    frozen: Any, client: Any, login_as: Any, make_unit: Any, make_booking: Any
) -> None:
    for n in range(12):
        make_booking(
            make_unit(),
            f"2027-01-{5 + n % 5:02d}",
            f"{8 + n:02d}:00",
            f"{9 + n:02d}:00",
            attention=[closure_on("2027-01-05")],
        )
    login_as("coordinator")

    dashboard = panel(client.get("/").get_data(as_text=True))
    assert "Braucht Aufmerksamkeit" in dashboard
    assert "closure" not in re.sub(r"<[^>]+>", "", dashboard)
    assert dashboard.count('data-attention="booking-') == ATTENTION_ON_DASHBOARD
    assert 'href="/attention"' in dashboard

    whole = client.get("/attention")
    assert whole.status_code == 200
    assert whole.get_data(as_text=True).count('data-attention="booking-') == 12


def test_dashboard_statements_do_not_grow_with_the_items(
    frozen: Any, client: Any, login_as: Any, make_unit: Any, make_booking: Any, make_session: Any
) -> None:
    login_as("coordinator")

    def flag(day: str) -> None:
        kit = make_unit(category="podcast_kit", loanable=True)
        make_unit(category="podcast_kit", loanable=True)
        make_booking(kit, day, "10:00", "12:00", attention=[DAMAGED])
        make_session(day, attention=[closure_on(day)])

    def statements() -> int:
        with recorded_statements(db.engine) as seen:
            assert client.get("/").status_code == 200
        return len(seen)

    flag("2027-01-06")
    one = statements()
    for day in ("2027-01-07", "2027-01-08", "2027-01-11"):
        flag(day)
    assert statements() == one

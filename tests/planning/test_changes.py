"""Every other kind of change: preview saves nothing; saving flags the right plans; mail once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from makerlab import clock
from makerlab.bookings.models import Booking
from makerlab.enums import EnrolmentStatus
from makerlab.equipment.models import Equipment, MaintenanceBlock
from makerlab.extensions import db
from makerlab.notifications import jobs
from makerlab.notifications.models import Notification
from makerlab.participants.models import Induction
from makerlab.workshops.models import Enrolment, WorkshopSession
from tests.conftest import at, local
from tests.notifications.helpers import SmtpServer
from tests.planning.conftest import NOW, Plans, add_session, make_booking

API = "/api/v1"


def _reasons(model: Any, row_id: int) -> list[str]:
    db.session.expire_all()
    return [item["reason"] for item in db.session.get(model, row_id).attention]


def _outbox() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) or 0


def test_maintenance_block_preview_then_save(
    plans: Plans, api_as: Any, job_app: Flask, smtp: SmtpServer
) -> None:
    api = api_as("coordinator")
    url = f"{API}/equipment/{plans.printer.id}/maintenance"
    block = {"starts_at": local("2026-12-28", "00:00"), "ends_at": local("2026-12-31", "00:00"),
             "reason": "Düse tauschen"}
    preview = api.post(url + "?preview=true", json=block)
    assert preview.status_code == 200, preview.get_json()
    wanted = {"bookings": [plans.hit[1].id, plans.hit[2].id], "sessions": []}
    assert preview.get_json() == {"affected": wanted}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MaintenanceBlock)) == 0
    assert _outbox() == 0

    saved = api.post(url, json=block)
    assert saved.status_code == 201 and saved.get_json()["affected"] == wanted
    assert _reasons(Booking, plans.hit[1].id) == ["maintenance"]
    assert _reasons(Booking, plans.hit[0].id) == []  # 24 December, before the block
    assert _reasons(Booking, plans.hit[3].id) == []  # another unit
    assert jobs.deliver_outbox()["sent"] == 1
    [mail] = smtp.sink.wait_for(1)
    assert "Düse tauschen" in mail.get_body(("plain",)).get_content()


def test_unit_retired_flags_its_future_bookings_only(
    plans: Plans, api_as: Any, job_app: Flask, smtp: SmtpServer
) -> None:
    api = api_as("coordinator")
    url = f"{API}/equipment/{plans.kit.id}"
    preview = api.patch(url + "?preview=true", json={"status": "retired"})
    assert preview.get_json() == {
        "affected": {"bookings": [plans.hit[3].id, plans.hit[4].id], "sessions": []}
    }
    db.session.expire_all()
    assert db.session.get(Equipment, plans.kit.id).status == "available"

    saved = api.patch(url, json={"status": "retired"})
    assert saved.status_code == 200
    assert saved.get_json()["affected"]["bookings"] == [plans.hit[3].id, plans.hit[4].id]
    assert _reasons(Booking, plans.hit[4].id) == ["unit_unavailable"]
    again = api.patch(url, json={"status": "retired", "notes": "Akku defekt"})
    assert again.get_json()["affected"] == {"bookings": [], "sessions": []}  # out already
    assert jobs.deliver_outbox()["sent"] == 1
    # Back in service: the bookings hold again, nothing is left to attend to.
    back = api.patch(url, json={"status": "available"})
    assert back.status_code == 200
    assert _reasons(Booking, plans.hit[4].id) == []
    assert jobs.deliver_outbox()["sent"] == 0


def test_damaged_return_flags_the_kits_next_reservations(
    plans: Plans, api_as: Any, job_app: Flask, smtp: SmtpServer, make_user: Callable[..., Any]
) -> None:
    borrower = make_user("youth_worker", email="lea@passage13.example")
    out = make_booking(borrower, NOW - dt.timedelta(hours=3), equipment=plans.kit,
                       status="checked_out", checked_out_at=NOW - dt.timedelta(hours=3))
    workshop_kit = make_booking(plans.booker, at("2026-12-10", "09:00"), equipment=plans.kit,
                                session_id=add_session("2026-12-10", "Podcast AG").id)
    api = api_as("coordinator")
    answer = api.post(f"{API}/bookings/{out.id}/return",
                      json={"condition": "damaged", "note": "Mikrofon gebrochen"})
    assert answer.status_code == 200, answer.get_json()
    hit = [workshop_kit.id, plans.hit[3].id, plans.hit[4].id]
    assert answer.get_json()["affected"] == {"bookings": sorted(hit), "sessions": []}
    assert _reasons(Booking, workshop_kit.id) == ["unit_unavailable"]
    assert _reasons(Booking, out.id) == []
    jobs.deliver_outbox()
    to = [str(m["To"]) for m in smtp.sink.messages]
    assert to.count("kai@passage13.example") == 1  # one mail for all three, not three


def test_missing_parts_replan_like_a_damaged_return(
    plans: Plans, api_as: Any, job_app: Flask, smtp: SmtpServer, make_user: Callable[..., Any]
) -> None:
    """A kit back "ok" but without a microphone is a damaged return: its next bookings are hit."""
    plans.kit.contents = [{"item": "Mikrofon", "count": 2}, {"item": "Kabel", "count": 1}]
    borrower = make_user("youth_worker", email="lea@passage13.example")
    out = make_booking(borrower, NOW - dt.timedelta(hours=3), equipment=plans.kit,
                       status="checked_out", checked_out_at=NOW - dt.timedelta(hours=3))
    db.session.commit()
    answer = api_as("coordinator").post(
        f"{API}/bookings/{out.id}/return",
        json={"condition": "ok", "missing": [{"item": "Mikrofon", "count": 1}]},
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["return_condition"] == "damaged"
    assert body["affected"] == {"bookings": [plans.hit[3].id, plans.hit[4].id], "sessions": []}
    assert _reasons(Booking, plans.hit[4].id) == ["unit_unavailable"]


def test_new_opening_hours_flag_what_they_leave_outside(
    plans: Plans, api_as: Any, job_app: Flask, smtp: SmtpServer
) -> None:
    api = api_as("coordinator")
    site = api.get(f"{API}/sites/1").get_json()
    hours = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    api.patch(f"{API}/sites/1", json={"opening_hours": hours})
    db.session.expire_all()
    later = {**hours, "mon": [["13:00", "18:00"]]}  # Monday mornings closed from now on
    preview = api.patch(f"{API}/sites/1?preview=true", json={"opening_hours": later})
    # 28 December is a Monday: the printer at 10:00 and the class at 09:00.
    assert preview.get_json() == {
        "affected": {"bookings": [plans.hit[1].id], "sessions": [plans.session.id]}
    }
    assert api.get(f"{API}/sites/1").get_json()["opening_hours"]["mon"] == [["09:00", "18:00"]]
    saved = api.patch(f"{API}/sites/1", json={"opening_hours": later})
    assert saved.get_json()["affected"] == preview.get_json()["affected"]
    assert _reasons(WorkshopSession, plans.session.id) == ["opening_hours"]
    assert _reasons(Booking, plans.elsewhere.id) == []  # another site
    assert jobs.deliver_outbox()["sent"] == 2
    assert site["id"] == 1


def test_consent_withdrawn_flags_the_childs_plans_and_tells_once(
    plans: Plans, api_as: Any, job_app: Flask, smtp: SmtpServer,
    make_participant: Callable[..., Any],
) -> None:
    child = make_participant()
    booking = plans.hit[0]
    booking.participants = [child]
    db.session.add(Enrolment(session_id=plans.later_session.id, participant_id=child.id, seats=1,
                             status=EnrolmentStatus.CONFIRMED.value))
    db.session.commit()
    clock.set_frozen(NOW)
    api = api_as("coordinator")
    url = f"{API}/participants/{child.id}/consents"
    preview = api.post(url + "?preview=true", json={"guardian": False})
    wanted = {"bookings": [booking.id], "sessions": [plans.later_session.id]}
    assert preview.status_code == 200 and preview.get_json() == {"affected": wanted}
    assert _reasons(Booking, booking.id) == [] and _outbox() == 0

    saved = api.post(url, json={"guardian": False})
    assert saved.status_code == 201 and saved.get_json()["affected"] == wanted
    assert _reasons(Booking, booking.id) == ["consent"]
    session_attention = api.get(f"{API}/sessions/{plans.later_session.id}").get_json()["attention"]
    assert [a["reason"] for a in session_attention] == ["consent"]
    assert child.first_name not in session_attention[0]["detail"]  # teachers see sessions
    jobs.deliver_outbox()
    to = sorted(str(m["To"]) for m in smtp.sink.messages)
    # The booker, and the child's guardian (not the class contact of the other enrolment).
    assert to == ["ines1@familie.example", "kai@passage13.example"]


def test_birth_date_against_an_age_rule(
    plans: Plans, api_as: Any, job_app: Flask, make_participant: Callable[..., Any]
) -> None:
    plans.printer.min_age = 12
    child = make_participant(birth_date=dt.date(2013, 5, 17))
    plans.hit[2].participants = [child]
    db.session.commit()
    clock.set_frozen(NOW)
    api = api_as("coordinator")
    url = f"{API}/participants/{child.id}"
    preview = api.patch(url + "?preview=true", json={"birth_date": "2015-02-01"})
    assert preview.get_json() == {"affected": {"bookings": [plans.hit[2].id], "sessions": []}}
    saved = api.patch(url, json={"birth_date": "2015-02-01"})
    assert saved.status_code == 200 and saved.get_json()["affected"]["bookings"] == [
        plans.hit[2].id
    ]
    assert _reasons(Booking, plans.hit[2].id) == ["age"]
    assert api.patch(url, json={"notes": "mag Löten"}).get_json()["affected"] == {
        "bookings": [], "sessions": []
    }


def test_daily_induction_job_flags_once_and_tells_once(
    plans: Plans, job_app: Flask, smtp: SmtpServer, make_participant: Callable[..., Any],
    make_unit: Callable[..., Any],
) -> None:
    laser = make_unit(name="Laser", category="laser_cutter", requires_induction=True)
    child = make_participant()
    db.session.add(Induction(participant_id=child.id, category="laser_cutter",
                             completed_on=dt.date(2025, 12, 1), valid_until=dt.date(2026, 12, 20)))
    fine = make_booking(plans.booker, at("2026-12-18", "10:00"), equipment=laser)
    lapsed = make_booking(plans.booker, at("2027-01-05", "10:00"), equipment=laser)
    past = make_booking(plans.booker, at("2026-11-20", "10:00"), equipment=laser)
    for booking in (fine, lapsed, past):
        booking.participants = [child]
    db.session.commit()
    clock.set_frozen(NOW)
    assert jobs.induction_attention() == 1
    assert _reasons(Booking, lapsed.id) == ["induction"]
    assert _reasons(Booking, fine.id) == [] and _reasons(Booking, past.id) == []
    assert jobs.induction_attention() == 1  # still hit: found again, but
    assert len(db.session.get(Booking, lapsed.id).attention) == 1  # recorded once
    assert [str(m["To"]) for m in smtp.sink.wait_for(1)] == ["kai@passage13.example"]
    clock.set_frozen(NOW + dt.timedelta(days=1))
    jobs.induction_attention()  # the next day
    assert len(smtp.sink.messages) == 1


def test_deleting_an_induction_asks_and_flags(
    plans: Plans, api_as: Any, client: Any, login_as: Any, job_app: Flask,
    make_participant: Callable[..., Any], make_unit: Callable[..., Any],
) -> None:
    laser = make_unit(name="Laser", category="laser_cutter", requires_induction=True)
    child = make_participant()
    induction = Induction(participant_id=child.id, category="laser_cutter",
                          completed_on=dt.date(2025, 12, 1))
    db.session.add(induction)
    booking = make_booking(plans.booker, at("2027-01-05", "10:00"), equipment=laser)
    booking.participants = [child]
    db.session.commit()
    clock.set_frozen(NOW)
    induction_id = induction.id
    url = f"{API}/participants/{child.id}/inductions/{induction_id}"
    api = api_as("youth_worker")
    preview = api.delete(url + "?preview=true")
    assert preview.status_code == 200
    assert preview.get_json() == {"affected": {"bookings": [booking.id], "sessions": []}}
    assert db.session.get(Induction, induction_id) is not None

    login_as("coordinator", locale="en")
    page = f"/participants/{child.id}/inductions/{induction_id}/delete"
    question = client.get(page).get_data(as_text=True)
    assert "1 booking is hit" in question and "Delete induction" in question
    assert client.post(page).status_code == 302
    db.session.expire_all()
    assert db.session.get(Induction, induction_id) is None
    assert _reasons(Booking, booking.id) == ["induction"]
    assert api.delete(url).status_code == 404
    assert [n.kind for n in db.session.scalars(sa.select(Notification))] == ["attention_bookings"]

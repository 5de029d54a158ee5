"""A closure over existing plans: preview, attention, one e-mail per person (API and CLI)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask

from makerlab.bookings.models import Booking
from makerlab.extensions import db
from makerlab.notifications import jobs
from makerlab.notifications.models import Notification
from makerlab.sites.models import Closure
from makerlab.workshops.models import WorkshopSession
from tests.notifications.helpers import SmtpServer
from tests.planning.conftest import CONTACT, Plans

CHRISTMAS = {"starts_on": "2026-12-24", "ends_on": "2027-01-01", "reason": "Weihnachtsferien"}


def _attention(model: Any, row_id: int) -> list[dict[str, str]]:
    db.session.expire_all()
    return db.session.get(model, row_id).attention


def test_preview_names_what_is_hit_and_saves_nothing(plans: Plans, api_as: Any) -> None:
    api = api_as("coordinator")
    answer = api.post("/api/v1/sites/1/closures?preview=true", json=CHRISTMAS)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "affected": {
            "bookings": sorted(b.id for b in plans.hit),
            "sessions": [plans.session.id],
        }
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    assert all(_attention(Booking, b.id) == [] for b in plans.hit)
    assert _attention(WorkshopSession, plans.session.id) == []


def test_saved_closure_flags_future_plans_and_tells_each_person_once(
    plans: Plans, api_as: Any, job_app: Flask, smtp: SmtpServer
) -> None:
    api = api_as("coordinator")
    answer = api.post("/api/v1/sites/1/closures", json=CHRISTMAS)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["affected"] == {
        "bookings": sorted(b.id for b in plans.hit),
        "sessions": [plans.session.id],
    }
    flagged = api.get(f"/api/v1/bookings/{plans.hit[0].id}").get_json()
    [item] = flagged["attention"]
    assert item["reason"] == "closure"
    assert "Do., 24. Dez. 2026 – Fr., 1. Jan. 2027 (Weihnachtsferien)" in item["detail"]
    for untouched in (plans.past, plans.january, plans.elsewhere):
        assert api.get(f"/api/v1/bookings/{untouched.id}").get_json()["attention"] == []
    session = api.get(f"/api/v1/sessions/{plans.session.id}").get_json()
    assert [a["reason"] for a in session["attention"]] == ["closure"]
    assert api.get(f"/api/v1/sessions/{plans.later_session.id}").get_json()["attention"] == []

    assert jobs.deliver_outbox()["sent"] == 2
    smtp.sink.wait_for(2)
    by_to = {str(m["To"]): m for m in smtp.sink.messages}
    assert set(by_to) == {"kai@passage13.example", CONTACT}
    booker_mail = by_to["kai@passage13.example"].get_body(("plain",)).get_content()
    assert "5 of your bookings need a new plan" in str(by_to["kai@passage13.example"]["Subject"])
    assert "Weihnachtsferien" in booker_mail and "the site is closed" in booker_mail
    contact_mail = by_to[CONTACT].get_body(("plain",)).get_content()
    assert "Löten für Einsteiger" in contact_mail
    assert "der Standort ist geschlossen" in contact_mail and "Weihnachtsferien" in contact_mail
    assert jobs.deliver_outbox()["sent"] == 0  # a second run sends nothing more


def test_past_days_and_running_plans(plans: Plans, api_as: Any) -> None:
    api = api_as("coordinator")
    answer = api.post(
        "/api/v1/sites/1/closures?preview=true",
        json={"starts_on": "2026-11-30", "ends_on": "2026-12-01"},
    )
    assert answer.get_json()["affected"] == {"bookings": [], "sessions": []}


def test_changing_or_cancelling_clears_attention(plans: Plans, api_as: Any) -> None:
    api = api_as("coordinator")
    api.post("/api/v1/sites/1/closures", json=CHRISTMAS)
    first, second = plans.hit[0], plans.hit[1]
    assert api.delete(f"/api/v1/bookings/{first.id}").status_code in (200, 204)
    assert _attention(Booking, first.id) == []
    cancelled = api.delete(f"/api/v1/sessions/{plans.session.id}?reason=Weihnachten")
    assert cancelled.status_code == 200
    assert cancelled.get_json()["attention"] == []
    assert _attention(Booking, second.id)[0]["reason"] == "closure"
    # The class contact heard of the closure, then of the cancellation with its reason.
    told = db.session.scalars(
        sa.select(Notification).where(Notification.to_address == CONTACT).order_by(Notification.id)
    ).all()
    assert [n.kind for n in told] == ["attention_sessions", "session_cancelled"]
    assert "Weihnachten" in told[1].body_text


def test_holidays_command_flags_once_however_often_it_runs(
    plans: Plans, runner: Any, job_app: Flask, smtp: SmtpServer
) -> None:
    for _ in range(2):
        result = runner.invoke(args=["closures", "holidays", "--site-id", "1", "--year", "2026"])
        assert result.exit_code == 0, result.output
    # 25 and 26 December are public holidays in Sachsen-Anhalt: the printer on 28th is not hit.
    assert [a["reason"] for a in _attention(Booking, plans.hit[0].id)] == []
    sent = jobs.deliver_outbox()["sent"]
    assert sent == 0  # no booking on 25 or 26 December
    result = runner.invoke(args=["closures", "holidays", "--site-id", "1", "--year", "2027"])
    assert result.exit_code == 0, result.output
    assert [a["reason"] for a in _attention(Booking, plans.hit[4].id)] == ["closure"]  # 1 January
    assert jobs.deliver_outbox()["sent"] == 1
    runner.invoke(args=["closures", "holidays", "--site-id", "1", "--year", "2027"])
    assert jobs.deliver_outbox()["sent"] == 0
    assert len(_attention(Booking, plans.hit[4].id)) == 1


def test_deleting_the_closure_takes_its_attention_away(plans: Plans, api_as: Any) -> None:
    api = api_as("coordinator")
    closure_id = api.post("/api/v1/sites/1/closures", json=CHRISTMAS).get_json()["id"]
    # A second, shorter closure over the same days keeps its own item.
    api.post("/api/v1/sites/1/closures",
             json={"starts_on": "2026-12-24", "ends_on": "2026-12-26", "reason": "Feiertage"})
    flagged = [b for b in plans.hit if _attention(Booking, b.id)]
    assert flagged and all(
        {a["reason"] for a in _attention(Booking, b.id)} == {"closure"} for b in flagged
    )
    before = {b.id: len(_attention(Booking, b.id)) for b in flagged}

    assert api.delete(f"/api/v1/closures/{closure_id}").status_code == 204
    for booking in flagged:
        left = _attention(Booking, booking.id)
        assert len(left) == before[booking.id] - 1
        assert all("Feiertage" in a["detail"] for a in left)
    assert all("Weihnachtsferien" not in a["detail"]
               for a in _attention(WorkshopSession, plans.session.id))
    # The page for the same: the last closure goes, and so does what it flagged.
    other = db.session.scalar(sa.select(Closure.id))
    assert api.delete(f"/api/v1/closures/{other}").status_code == 204
    assert all(_attention(Booking, b.id) == [] for b in plans.hit)
    assert _attention(WorkshopSession, plans.session.id) == []


def test_the_audit_log_says_in_words_what_needs_attention_and_when_it_is_dealt_with(
    plans: Plans, api_as: Any, client: Any, login_as: Any
) -> None:
    api = api_as("coordinator")
    closure = api.post("/api/v1/sites/1/closures", json=CHRISTMAS).get_json()
    assert api.delete(f"/api/v1/closures/{closure['id']}").status_code in (200, 204)
    login_as("admin")
    booking = plans.hit[0].id

    def log(headers: dict[str, str]) -> str:
        html = client.get(f"/audit?entity=bookings&entity_id={booking}", headers=headers)
        return re.sub(r"<[^>]+>", "", html.get_data(as_text=True).split("</form>")[-1])

    german = log({})
    assert (
        f"Buchung #{booking}: Braucht Aufmerksamkeit: Der Standort ist geschlossen "
        "(Passage 13 ist geschlossen: Do., 24. Dez. 2026 – Fr., 1. Jan. 2027 (Weihnachtsferien))"
    ) in german
    assert f"Buchung #{booking}: Aufmerksamkeit erledigt, von" in german
    assert "von nichts" not in german and "zu nichts" not in german
    english = log({"Accept-Language": "en"})
    assert (
        f"Booking #{booking}: Needs attention: The site is closed "
        "(Passage 13 is closed: Thu, 24 Dec 2026 – Fri, 1 Jan 2027 (Weihnachtsferien))"
    ) in english
    assert f"Booking #{booking}: Attention dealt with, by" in english
    assert "nothing" not in english

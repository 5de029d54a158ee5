"""One voice and no internal names in what German pages say after a form is sent.

The GET pages of every role are scanned in the browser (tests/browser/test_words.py);
this sends the forms people send every day and scans the page they see next:
flash messages, refusals at the top, field errors, summaries. Each step first
checks that the outcome it is about is really on the page, then the page's text
is scanned for slugs and field names, ISO/US dates, week codes, du-forms,
English statuses and template leftovers (tests/words.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from makerlab.bookings.models import Booking
from makerlab.equipment import services as equipment
from makerlab.extensions import db
from makerlab.sites.services import add_closure, default_site
from makerlab.workshops import services as workshops
from tests.conftest import at
from tests.words import findings, visible_text

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

DAY = "2027-01-05"  # a Tuesday, the day after the frozen "now", within opening hours


class Scan:
    """Send forms as one person and keep what the next pages must not say."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.found: list[str] = []
        self.wrong: list[str] = []

    def post(self, url: str, data: dict[str, Any], shows: str, status: int = 200) -> str:
        response = self.client.post(url, data=data, follow_redirects=True)
        html = response.get_data(as_text=True)
        text = visible_text(html)
        said = " ".join(visible_text(html[html.find("<main"):]).split())
        if response.status_code != status or shows not in said:
            self.wrong.append(f"POST {url}: {response.status_code} (not {status}) or no {shows!r} "
                              f"in: {said[:600]}")
        self.found += findings(f"POST {url} ({shows})", text)
        return html

    def clean(self) -> None:
        assert not (self.wrong or self.found), "\n".join(self.wrong + self.found)


def booking(unit: Any, start: str, end: str, **values: Any) -> dict[str, Any]:
    return {"equipment_id": unit.id, "day": DAY, "start": start, "end": end, **values}


def direct_booking(unit: Any, start: dt.datetime, end: dt.datetime, **values: Any) -> Booking:
    """A booking written directly (bypassing the rules), committed."""
    row = Booking(equipment_id=unit.id, starts_at=start, ends_at=end, blocked_until=end,
                  purpose="Offene Werkstatt", **values)
    db.session.add(row)
    db.session.commit()
    return row


def test_logging_in_and_asking_for_a_new_password(
    client: FlaskClient, frozen: Any, make_user: Callable[..., Any]
) -> None:
    user = make_user("youth_worker")
    scan = Scan(client)
    scan.post("/login", {"email": user.email, "password": "falsch"},
              "E-Mail oder Passwort ist falsch.", status=200)
    scan.post("/login", {"email": "", "password": ""}, "Dieses Feld wird benötigt.")
    scan.post("/password/forgot", {"email": user.email}, "Falls zu dieser Adresse ein Konto")
    scan.post("/password/forgot", {"email": "kein-at-zeichen"}, "Falls zu dieser Adresse ein Konto")
    scan.clean()


def test_bookings_made_and_refused(
    client: FlaskClient,
    frozen: Any,
    login_as: Callable[..., Any],
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_participant: Callable[..., Any],
) -> None:
    printer = make_unit(name="Prusa Eins", min_age=10)
    laser = make_unit(name="Laser Eins", category="laser_cutter", min_age=14,
                      requires_induction=True)
    young = make_participant(first_name="Tom", last_name="Jung", birth_date=dt.date(2018, 6, 1))
    unknown = make_participant(first_name="Mila", last_name="Ohne", birth_date=None,
                               guardian_consent=False)
    adult = make_participant(first_name="Eva", last_name="Alt", birth_date=dt.date(2005, 1, 1))
    taken = direct_booking(printer, at(DAY, "14:00"), at(DAY, "16:00"))
    add_closure(None, default_site(), starts_on=dt.date(2027, 1, 7), ends_on=dt.date(2027, 1, 7),
                reason="Inventur")
    coordinator = make_user("coordinator")
    equipment.add_maintenance(coordinator, printer, dt.datetime(2027, 1, 5, 17),
                              dt.datetime(2027, 1, 5, 19), reason="Düse tauschen")
    db.session.commit()
    login_as("youth_worker")
    scan = Scan(client)

    scan.post("/bookings/new", booking(printer, "10:00", "12:00", purpose="Schilder",
                                       participant_ids=[adult.id]), "1 Buchung angelegt.")
    scan.post("/bookings/new", booking(printer, "15:00", "17:00"), "schon gebucht", status=409)
    scan.post("/bookings/new", booking(printer, "12:00", "13:00", participant_ids=[young.id]),
              "das Mindestalter ist 10", status=422)
    scan.post("/bookings/new", booking(printer, "12:00", "13:00", participant_ids=[unknown.id]),
              "kein Geburtsdatum", status=422)
    scan.post("/bookings/new", booking(laser, "10:00", "11:00", participant_ids=[adult.id]),
              "Einweisung", status=422)
    scan.post("/bookings/new", booking(printer, "06:00", "07:00"), "Öffnungszeit", status=422)
    scan.post("/bookings/new", {**booking(printer, "10:00", "11:00"), "day": "2027-01-07"},
              "Passage 13 ist geschlossen: Do., 7. Jan. 2027 (Inventur)", status=409)
    scan.post("/bookings/new", booking(printer, "17:00", "18:00"), "Wartung", status=409)
    scan.post("/bookings/new", booking(printer, "12:00", "11:00"),
              "Das Ende muss nach dem Beginn liegen.", status=422)
    scan.post("/bookings/new", {"equipment_id": printer.id}, "Bitte geben Sie ein Datum ein.",
              status=422)
    scan.post("/bookings/new", booking(printer, "10:00", "11:00", repeat="weekly", count="3"),
              "schon gebucht", status=409)
    scan.post(f"/bookings/{taken.id}/cancel", {"scope": "this"}, "1 Buchung storniert.")
    scan.clean()


def test_bookings_changed_moved_and_booked_in_one_click(
    client: FlaskClient,
    frozen: Any,
    login_as: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_participant: Callable[..., Any],
) -> None:
    printer = make_unit(name="Prusa Eins", min_age=10)
    other = make_unit(name="Prusa Zwei")
    young = make_participant(first_name="Tom", last_name="Jung", birth_date=dt.date(2018, 6, 1))
    direct_booking(printer, at(DAY, "14:00"), at(DAY, "16:00"))
    user = login_as("youth_worker")
    mine = direct_booking(printer, at(DAY, "10:00"), at(DAY, "12:00"), booked_by_id=user.id)
    scan = Scan(client)
    edit = {"day": DAY, "start": "13:00", "end": "15:00", "scope": "this"}
    scan.post(f"/bookings/{mine.id}/edit", edit, "schon gebucht", status=409)
    scan.post(f"/bookings/{mine.id}/edit", {**edit, "participant_ids": [young.id]},
              "das Mindestalter ist 10", status=422)
    scan.post(f"/bookings/{mine.id}/edit", {**edit, "start": "10:00", "end": "12:30"},
              "Buchung geändert.")
    slot = {"equipment_id": printer.id, "starts_at": at(DAY, "15:00").isoformat(),
            "ends_at": at(DAY, "16:00").isoformat()}
    scan.post("/bookings/quick", {**slot, "next": "/bookings/free"}, "schon gebucht")
    scan.post("/bookings/quick", {**slot, "equipment_id": other.id}, "1 Buchung angelegt.")
    scan.post(f"/bookings/{mine.id}/move", {**slot, "next": f"/bookings/{mine.id}"},
              "schon gebucht")
    scan.post(f"/bookings/{mine.id}/move",
              {**slot, "starts_at": at(DAY, "17:00").isoformat(),
               "ends_at": at(DAY, "18:00").isoformat(), "next": f"/bookings/{mine.id}"},
              "Verschoben: Prusa Eins, Di., 5. Jan. 2027, 17:00–18:00.")
    scan.clean()


def test_passwords_changed_and_reset(
    client: FlaskClient, frozen: Any, login_as: Callable[..., Any]
) -> None:
    scan = Scan(client)
    scan.post("/password/reset/kein-gueltiger-link", {"password": "Neues-Passwort-2027",
                                                      "confirm": "Neues-Passwort-2027"},
              "Dieser Link ist abgelaufen oder wurde schon benutzt.", status=404)
    login_as("youth_worker")
    scan.post("/account/password", {"current_password": "falsch", "password": "passwort"},
              "Das ist nicht Ihr aktuelles Passwort.", status=422)
    scan.clean()


def test_loans_handed_out_and_returned(
    client: FlaskClient,
    frozen: Any,
    login_as: Callable[..., Any],
    make_unit: Callable[..., Any],
) -> None:
    kit = make_unit(name="Podcast-Koffer 1", category="podcast_kit", loanable=True,
                    contents=[{"item": "Mikrofon", "count": 2}])
    today = direct_booking(kit, at("2027-01-04", "09:00"), at("2027-01-06", "12:00"))
    login_as("youth_worker")
    scan = Scan(client)
    back = "/bookings/loans"
    scan.post(f"/bookings/{today.id}/checkout", {"next": back}, "Podcast-Koffer 1 ausgegeben.")
    scan.post(f"/bookings/{today.id}/checkout", {"next": back},
              "Nur eine reservierte Buchung kann ausgegeben werden")
    scan.post(f"/bookings/{today.id}/return", {"next": back, "condition": ""},
              "Bitte wählen Sie den Zustand.")
    scan.post(f"/bookings/{today.id}/return",
              {"next": back, "condition": "ok", "line-0": "Mikrofon", "count-0": "2",
               "missing-0": "1"}, "Podcast-Koffer 1 ist zurück, aber ohne 1 × Mikrofon")
    scan.post(f"/bookings/{today.id}/return", {"next": back, "condition": "ok"},
              "Nur ein ausgegebenes Gerät kann zurückgegeben werden")
    scan.clean()


def test_people_inductions_and_enrolments(
    client: FlaskClient,
    frozen: Any,
    login_as: Callable[..., Any],
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_participant: Callable[..., Any],
) -> None:
    coordinator = make_user("coordinator")
    make_unit(name="Laser Eins", category="laser_cutter", min_age=14)
    workshop = workshops.create_workshop(coordinator, title="Löten lernen", min_age=10,
                                         max_age=16)
    session = workshops.create_session(
        coordinator, workshop, starts_at=dt.datetime(2027, 1, 5, 10), capacity=3,
        ends_at=dt.datetime(2027, 1, 5, 12), location="Werkstatt")
    child = make_participant(first_name="Tom", last_name="Jung", birth_date=dt.date(2013, 6, 1))
    small = make_participant(first_name="Ida", last_name="Klein", birth_date=dt.date(2019, 6, 1))
    db.session.commit()
    login_as("youth_worker")
    scan = Scan(client)

    scan.post("/participants/new", {}, "Vorname : Dieses Feld wird benötigt.", status=422)
    person = {"first_name": "Lina", "last_name": "Neu", "birth_date": "2012-03-04",
              "guardian_consent": "y", "guardian_consent_on": "2027-01-04", "school_id": "0"}
    scan.post("/participants/new", person, "Teilnehmende Person erfasst.")
    scan.post(f"/participants/{child.id}/inductions/new",
              {"category": "laser_cutter", "completed_on": "2027-01-04"}, "Einweisung eingetragen.")
    scan.post(f"/participants/{child.id}/inductions/new",
              {"category": "laser_cutter", "completed_on": ""},
              "Absolviert am : Dieses Feld wird benötigt.", status=422)
    scan.post(f"/sessions/{session.id}/enrol-participant", {"participant_id": child.id},
              "Eingeschrieben und bestätigt.")
    scan.post(f"/sessions/{session.id}/enrol-participant", {"participant_id": small.id},
              "Mindestalter", status=422)
    scan.clean()


def test_class_enrolments(
    client: FlaskClient,
    frozen: Any,
    login_as: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    coordinator = make_user("coordinator")
    workshop = workshops.create_workshop(coordinator, title="Löten lernen")
    session = workshops.create_session(
        coordinator, workshop, starts_at=dt.datetime(2027, 1, 5, 10), capacity=20,
        ends_at=dt.datetime(2027, 1, 5, 12), location="Werkstatt")
    db.session.commit()
    teacher = login_as("teacher")
    scan = Scan(client)
    url = f"/sessions/{session.id}/enrol"
    form = {"school_id": teacher.school_id, "contact_email": teacher.email}
    scan.post(url, {**form, "class_name": "7a", "headcount": "15", "accompanying_adults": "2"},
              "Eingeschrieben und bestätigt.")
    scan.post(url, {**form, "class_name": "7b", "headcount": "12"}, "Warteliste")
    scan.post(url, {**form, "class_name": "", "headcount": "0"},
              "Die Klasse wurde nicht eingeschrieben.", status=422)
    scan.clean()


def test_closures_and_maintenance(
    client: FlaskClient,
    frozen: Any,
    login_as: Callable[..., Any],
    make_unit: Callable[..., Any],
) -> None:
    unit = make_unit(name="Prusa Eins")
    direct_booking(unit, at("2027-01-12", "10:00"), at("2027-01-12", "12:00"))
    login_as("coordinator")
    scan = Scan(client)
    closure = {"closure-starts_on": "2027-01-11", "closure-ends_on": "2027-01-13",
               "closure-reason": "Inventur"}
    scan.post("/sites/1/closures/check", closure, "Noch ist nichts gespeichert")
    scan.post("/sites/1/closures", closure,
              "Schließzeit gespeichert: Mo., 11. Jan. 2027 – Mi., 13. Jan. 2027.")
    scan.post("/sites/1/closures/check", {"closure-starts_on": "2027-01-12"},
              "bereits geschlossen")
    scan.post("/sites/1/closures/check", {"closure-starts_on": "2027-05-02",
                                          "closure-ends_on": "2027-05-01"}, "Tag", status=422)
    scan.post("/sites/1/closures/check", {"closure-starts_on": ""}, "Bitte", status=422)
    maintenance = {"start_day": "2027-01-05", "start_time": "09:00", "end_day": "2027-01-05",
                   "end_time": "12:00", "reason": "Düse tauschen"}
    scan.post(f"/equipment/{unit.id}/maintenance", maintenance, "Wartung")
    scan.post(f"/equipment/{unit.id}/maintenance", {**maintenance, "end_day": "2027-01-04"},
              "Wartung", status=422)
    scan.clean()


def test_sessions_planned_cancelled_and_attended(
    client: FlaskClient,
    frozen: Any,
    login_as: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_participant: Callable[..., Any],
) -> None:
    make_unit(name="Laser Eins", category="laser_cutter")
    coordinator = login_as("coordinator")
    workshop = workshops.create_workshop(coordinator, title="Lasern",
                                         equipment_needs={"laser_cutter": 2})
    plain = workshops.create_workshop(coordinator, title="Löten lernen")
    session = workshops.create_session(
        coordinator, plain, starts_at=dt.datetime(2027, 1, 5, 10), capacity=10,
        ends_at=dt.datetime(2027, 1, 5, 12), location="Werkstatt")
    child = make_participant(first_name="Tom", last_name="Jung", birth_date=dt.date(2013, 6, 1))
    enrolment = workshops.enrol(coordinator, session, participant_id=child.id)
    db.session.commit()
    scan = Scan(client)
    planned = {"day": "2027-01-06", "start": "10:00", "end": "12:00", "capacity": "10",
               "site_id": "1", "location": "Werkstatt"}
    scan.post(f"/workshops/{workshop.id}/sessions/new", {**planned, "save": "1"},
              "nicht genug Geräte frei: Lasercutter: 2 benötigt, 1 frei.", status=409)
    scan.post(f"/workshops/{workshop.id}/sessions/new", planned,
              "Nicht genug Lasercutter: 2 benötigt, 1 frei")
    scan.post(f"/workshops/{plain.id}/sessions/new", {**planned, "end": "09:00", "save": "1"},
              "Das Ende muss nach dem Beginn liegen.", status=422)
    scan.post(f"/workshops/{plain.id}/sessions/new", {**planned, "save": "1"},
              "Termin geplant")
    scan.post(f"/sessions/{session.id}/attendance", {f"attended-{enrolment.id}": "1"},
              "Die Anwesenheit kann erst eingetragen werden", status=409)
    scan.post(f"/enrolments/{enrolment.id}/cancel", {}, "Einschreibung storniert.")
    scan.post(f"/sessions/{session.id}/cancel", {"reason": "Krank"}, "Termin abgesagt")
    # A session is called off ("abgesagt"); bookings and enrolments are cancelled ("storniert").
    shown = " ".join(visible_text(client.get(f"/sessions/{session.id}").get_data(as_text=True))
                     .split())
    assert "Abgesagt" in shown and "Storniert" not in shown
    scan.clean()


def test_accounts_and_records(
    client: FlaskClient,
    frozen: Any,
    login_as: Callable[..., Any],
    make_participant: Callable[..., Any],
) -> None:
    admin = login_as("admin")
    child = make_participant(first_name="Tom", last_name="Jung")
    scan = Scan(client)
    account = {"role": "youth_worker", "school_id": "0", "locale": "de"}
    scan.post("/users/new", {**account, "email": admin.email},
              "Diese E-Mail-Adresse wird schon verwendet.", status=422)
    scan.post("/users/new", {**account, "email": "lehrkraft@schule.example", "role": "teacher"},
              "Eine Lehrkraft gehört zu einer Schule.", status=422)
    scan.post("/users/new", {"email": "neu@makerlab.example", "role": "youth_worker",
                             "school_id": "0", "locale": "de"}, "Konto angelegt.")
    scan.post(f"/participants/{child.id}/erase", {"confirm": "999"},
              f"Bitte genau die Nummer {child.id} eingeben.", status=422)
    scan.post("/equipment/new", {}, "Name : Dieses Feld wird benötigt.", status=422)
    scan.post("/schools/new", {}, "Name : Dieses Feld wird benötigt.", status=422)
    scan.clean()

"""Export, erasure and retention (SPEC 12-14): no trace of the name, counts unchanged."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa

from makerlab import clock
from makerlab.audit import set_actor
from makerlab.audit.models import AuditEntry
from makerlab.bookings.models import booking_participants
from makerlab.extensions import db
from makerlab.notifications.models import Notification
from makerlab.participants import services
from makerlab.participants.models import Participant
from makerlab.workshops.models import Enrolment

UTC = dt.UTC
NOW = dt.datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # a Wednesday, ISO week 2027-W10
FIRST, LAST = "Jördis", "Quirlwasser"
GUARDIAN = {
    "guardian_name": "Gunhild Quirlwasser",
    "guardian_email": "gunhild.q@familie.example",
    "guardian_phone": "0345 778899",
}


def _texts(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def traces(*needles: str) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text, varchar or JSON value containing a needle."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.JSON)]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)).all():
            for column, value in zip(columns, row, strict=True):
                if value is None:
                    continue
                text = _texts(value).lower()
                for needle in needles:
                    if needle.lower() in text:
                        found.append((table.name, column.name, needle))
    return found


@pytest.fixture
def person(
    app: Any,
    make_user: Any,
    make_school: Any,
    laser: Any,
    printer: Any,
    add_booking: Any,
    add_enrolment: Any,
) -> dict[str, Any]:
    """A participant with history everywhere: edits, consents, bookings, enrolment, mail."""
    clock.set_frozen(NOW)
    worker = make_user("youth_worker")
    set_actor(db.session, worker)
    school = make_school()
    p = services.create_participant(
        worker,
        first_name=FIRST,
        last_name=LAST,
        birth_date=dt.date(2012, 4, 2),
        school_id=school.id,
        guardian_consent=True,
        photo_consent=True,
        notes=f"{FIRST} bringt eigene Schutzbrille mit.",
        **GUARDIAN,
    )
    services.update_participant(worker, p, guardian_phone="0345 778800", photo_consent=False)
    services.update_participant(worker, p, guardian_phone=GUARDIAN["guardian_phone"])
    services.record_induction(
        worker,
        p,
        category="3d_printer",
        completed_on=dt.date(2027, 1, 5),
        valid_until=dt.date(2028, 1, 5),
    )
    db.session.commit()
    linked = add_booking(
        printer,
        dt.datetime(2027, 3, 9, 10, 0, tzinfo=UTC),
        [p],
        purpose=f"Schlüsselanhänger für {FIRST}s Klasse",
        booked_by_id=worker.id,
    )
    unlinked = add_booking(
        printer,
        dt.datetime(2027, 3, 9, 14, 0, tzinfo=UTC),
        [],
        purpose=f"Vorbereitung Schild {LAST}s, für Jördis’ Freundin Ida",
        booked_by_id=worker.id,
    )
    enrolment = add_enrolment(
        p,
        dt.datetime(2027, 3, 11, 13, 0, tzinfo=UTC),
        class_name=f"AG {LAST}",
        contact_email=GUARDIAN["guardian_email"],
    )
    friend = services.create_participant(
        worker,
        first_name="Bodo",
        last_name="Brennessel",
        birth_date=dt.date(2011, 1, 1),
        notes=f"Kommt immer mit {FIRST} {LAST}.",
    )
    db.session.add(
        Notification(
            dedupe_key=f"enrolment:{enrolment.id}",
            kind="enrolment_confirmed",
            to_address=GUARDIAN["guardian_email"],
            subject=f"Anmeldung von {FIRST} {LAST}",
            body_text=f"Hallo {GUARDIAN['guardian_name']}, {FIRST} {LAST} ist angemeldet.",
        )
    )
    db.session.commit()
    return {
        "p": p,
        "worker": worker,
        "linked": linked,
        "unlinked": unlinked,
        "enrolment": enrolment,
        "friend": friend,
        "school": school,
    }


def test_export_contains_every_datum(person: dict[str, Any], api_as: Any) -> None:
    p = person["p"]
    response = api_as("youth_worker").get(f"/api/v1/participants/{p.id}/export")
    assert response.status_code == 200
    data = response.get_json()
    dumped = json.dumps(data, ensure_ascii=False)
    for value in (FIRST, LAST, "2012-04-02", *GUARDIAN.values(), "Schutzbrille"):
        assert value in dumped, value
    record = data["participant"]
    assert record["id"] == p.id and record["photo_consent"] is False
    assert record["guardian_consent"] is True and record["school"] == person["school"].name
    kinds = [(c["kind"], c["granted"]) for c in data["consents"]]
    assert sorted(kinds) == [("guardian", True), ("photo", False), ("photo", True)]
    assert [i["category"] for i in data["inductions"]] == ["3d_printer"]
    assert [b["id"] for b in data["bookings"]] == [person["linked"].id]
    assert data["bookings"][0]["equipment"]["category"] == "3d_printer"
    assert [e["id"] for e in data["enrolments"]] == [person["enrolment"].id]
    assert data["enrolments"][0]["session"]["workshop"] == "Podcast-Werkstatt"
    entities = {(a["entity"], a["action"]) for a in data["audit"]}
    assert {
        ("participants", "create"),
        ("participants", "update"),
        ("consent_records", "create"),
        ("inductions", "create"),
        ("enrolments", "create"),
    } <= entities
    phone_change = [
        a for a in data["audit"] if "guardian_phone" in a["changes"] and a["action"] == "update"
    ]
    assert phone_change[0]["changes"]["guardian_phone"] == ["0345 778899", "0345 778800"]
    assert phone_change[0]["actor"] == person["worker"].email


def test_export_button_downloads_json(person: dict[str, Any], client: Any, login_as: Any) -> None:
    login_as("coordinator")
    p = person["p"]
    page = client.get(f"/participants/{p.id}").get_data(as_text=True)
    assert f"/participants/{p.id}/export" in page
    response = client.get(f"/participants/{p.id}/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and LAST not in disposition
    assert response.get_json()["participant"]["last_name"] == LAST


def test_erasure_leaves_no_trace_and_keeps_counts(person: dict[str, Any], api_as: Any) -> None:
    from makerlab.reports.services import build_weekly_report

    p, friend = person["p"], person["friend"]
    needles = (FIRST, LAST, *GUARDIAN.values(), "Schutzbrille")
    assert traces(*needles)  # the scan does see them before
    report_before = build_weekly_report("2027-W10")
    admin = api_as("admin")
    exported = admin.get(f"/api/v1/participants/{p.id}/export")
    assert exported.status_code == 200 and exported.get_json()["participant"]["first_name"] == FIRST
    assert admin.delete(f"/api/v1/participants/{p.id}").status_code == 204

    assert traces(*needles) == []
    erased = db.session.get(Participant, p.id)
    assert erased.erased_at is not None and erased.birth_year == 2012
    assert erased.first_name is None and erased.birth_date is None and erased.notes is None
    assert erased.school_id == person["school"].id
    # Links stay: the booking and the enrolment still count the person.
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(booking_participants)
            .where(booking_participants.c.participant_id == p.id)
        )
        == 1
    )
    assert db.session.get(Enrolment, person["enrolment"].id).participant_id == p.id
    assert build_weekly_report("2027-W10") == report_before
    from makerlab.bookings.models import Booking

    assert db.session.get(Booking, person["unlinked"].id).purpose == (
        "Vorbereitung Schild [erased], für [erased] Freundin Ida"
    )
    # Other people's data is untouched apart from the mention.
    other = db.session.get(Participant, friend.id)
    assert (other.first_name, other.last_name) == ("Bodo", "Brennessel")
    assert other.notes == "Kommt immer mit [erased]."
    # The erasure is audited, by whom, without echoing what was erased.
    entry = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity == "participants", AuditEntry.entity_id == p.id)
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.actor_id == admin.user.id and "erased_at" in entry.changes
    assert entry.changes["first_name"] == ["[erased]", None]
    # The API shows the anonymous record; further changes are refused.
    shown = admin.get(f"/api/v1/participants/{p.id}").get_json()
    assert shown["first_name"] is None and shown["erased_at"]
    assert admin.patch(f"/api/v1/participants/{p.id}", json={"notes": "x"}).status_code == 409
    assert admin.delete(f"/api/v1/participants/{p.id}").status_code == 204  # idempotent
    listed = admin.get("/api/v1/participants").get_json()["items"]
    assert p.id not in [i["id"] for i in listed]


def test_erase_page_needs_the_number_typed(
    person: dict[str, Any], client: Any, login_as: Any
) -> None:
    p = person["p"]
    login_as("youth_worker")
    assert client.get(f"/participants/{p.id}/erase").status_code == 403
    client.post("/logout")
    login_as("admin")
    page = client.get(f"/participants/{p.id}/erase", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "csrf_token" in text
    # What stays, counted by the service; the export offered first.
    summary = services.erasure_summary(p)
    assert summary.bookings >= 1 and summary.enrolments >= 1
    assert f"{summary.bookings} booking" in text and "stay as anonymous figures" in text
    assert f"/participants/{p.id}/export" in text and "Erase irreversibly</button>" in text
    wrong = client.post(f"/participants/{p.id}/erase", data={"confirm": str(p.id + 1)})
    assert wrong.status_code == 422
    assert db.session.get(Participant, p.id).erased_at is None
    done = client.post(f"/participants/{p.id}/erase", data={"confirm": str(p.id)})
    assert done.status_code == 302
    assert db.session.get(Participant, p.id).erased_at is not None
    assert traces(FIRST, LAST) == []
    detail = client.get(f"/participants/{p.id}").get_data(as_text=True)
    assert LAST not in detail and f"#{p.id}" in detail


def _aged(participant: Participant, last_activity: dt.datetime) -> None:
    db.session.execute(
        sa.update(Participant)
        .where(Participant.id == participant.id)
        .values(last_activity_at=last_activity)
    )
    db.session.commit()


def test_retention_erases_exactly_the_inactive(
    app: Any, make_participant: Any, printer: Any, add_booking: Any, add_enrolment: Any, runner: Any
) -> None:
    clock.set_frozen(NOW)  # 24 months back: 2025-03-10 09:00 UTC
    old = make_participant(last_name="Altbestand")
    just_old = make_participant()
    just_fresh = make_participant()
    booked = make_participant()
    enrolled = make_participant()
    fresh = make_participant()
    _aged(old, dt.datetime(2023, 1, 1, tzinfo=UTC))
    _aged(just_old, dt.datetime(2025, 3, 10, 8, 59, tzinfo=UTC))
    _aged(just_fresh, dt.datetime(2025, 3, 10, 9, 0, tzinfo=UTC))
    _aged(booked, dt.datetime(2023, 1, 1, tzinfo=UTC))
    _aged(enrolled, dt.datetime(2023, 1, 1, tzinfo=UTC))
    clock.set_frozen(dt.datetime(2024, 1, 1, tzinfo=UTC))
    add_booking(printer, dt.datetime(2025, 6, 2, 10, 0, tzinfo=UTC), [booked])
    add_booking(printer, dt.datetime(2024, 6, 2, 10, 0, tzinfo=UTC), [old])
    add_enrolment(enrolled, dt.datetime(2025, 5, 5, 10, 0, tzinfo=UTC))
    clock.set_frozen(NOW)

    dry = runner.invoke(args=["participants", "purge-inactive", "--dry-run"])
    assert dry.exit_code == 0 and "2 participant(s)" in dry.output
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(Participant.erased_at.is_not(None))) == 0
    )

    assert services.purge_inactive() == 2
    db.session.commit()
    erased = set(
        db.session.scalars(sa.select(Participant.id).where(Participant.erased_at.is_not(None)))
    )
    assert erased == {old.id, just_old.id}
    assert traces("Altbestand") == []
    assert services.purge_inactive() == 0  # already erased ones are not counted again
    # A shorter retention period, through the CLI.
    app.config["RETENTION_MONTHS"] = 1
    result = runner.invoke(args=["participants", "purge-inactive"])
    assert result.exit_code == 0 and "Erased 3 participant(s)" in result.output
    left = set(db.session.scalars(sa.select(Participant.id).where(Participant.erased_at.is_(None))))
    assert left == {fresh.id}


def test_retention_cutoff_clamps_month_ends(app: Any) -> None:
    app.config["RETENTION_MONTHS"] = 24
    cutoff = services.retention_cutoff(dt.datetime(2027, 2, 28, 12, 0, tzinfo=UTC))
    assert cutoff == dt.datetime(2025, 2, 28, 12, 0, tzinfo=UTC)
    app.config["RETENTION_MONTHS"] = 1
    assert services.retention_cutoff(dt.datetime(2027, 3, 31, tzinfo=UTC)) == dt.datetime(
        2027, 2, 28, tzinfo=UTC
    )

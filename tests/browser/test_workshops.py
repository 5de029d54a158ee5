"""A teacher enrols a class, lands on the waitlist and sees the promotion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from makerlab.extensions import db
from makerlab.notifications.models import Notification
from makerlab.workshops import services as workshops
from tests.browser.conftest import next_open_day

pytestmark = [pytest.mark.browser, pytest.mark.served]


def test_class_waitlisted_then_promoted_when_another_class_cancels(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_school: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    coordinator = make_user("coordinator")
    teacher = make_user("teacher", name="Frau Ahmadi", email="ahmadi@schule.example")
    workshop = workshops.create_workshop(
        coordinator,
        title="Löten für Einsteiger",
        description="Wir löten ein Blinklicht.",
        min_age=10,
        max_age=16,
    )
    day = next_open_day(dt.time(9, 0), dt.time(12, 0), min_days=3)
    session = workshops.create_session(
        coordinator,
        workshop,
        starts_at=dt.datetime.combine(day, dt.time(9, 0)),
        ends_at=dt.datetime.combine(day, dt.time(12, 0)),
        capacity=30,
        location="Werkstatt",
    )
    other = workshops.enrol(
        coordinator,
        session,
        school_id=make_school(name="Grundschule Am Park").id,
        class_name="6c",
        headcount=10,
        contact_email="park@schule.example",
    )
    commit()

    log_in(teacher)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Workshops"
    ).click()
    upcoming = page.get_by_role("region", name="Anstehende Termine")
    upcoming.get_by_role("link").filter(has_text="Löten für Einsteiger").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Löten für Einsteiger")
    expect(page.get_by_role("main")).to_contain_text("20 von 30 Plätzen frei")

    page.get_by_label("Klasse", exact=True).fill("7b")
    page.get_by_label("Anzahl Schüler*innen").fill("25")
    expect(page.get_by_label("Kontakt-E-Mail")).to_have_value("ahmadi@schule.example")
    page.get_by_role("button", name="Einschreiben", exact=True).click()

    expect(page.get_by_role("status").first).to_contain_text(
        "Nicht genug freie Plätze: Die Einschreibung steht auf der Warteliste (Platz 1)."
    )
    ours = page.get_by_role("region", name="Unsere Einschreibungen")
    expect(ours).to_contain_text("Klasse 7b, 25 Schüler*innen")
    expect(ours).to_contain_text("Platz 1 auf der Warteliste")
    expect(ours).to_contain_text("Auf der Warteliste")

    # The other school cancels its class (through the service, as staff would).
    workshops.cancel_enrolment(coordinator, db.session.merge(other))
    commit()

    page.reload()
    ours = page.get_by_role("region", name="Unsere Einschreibungen")
    expect(ours).to_contain_text("Klasse 7b, 25 Schüler*innen")
    expect(ours).to_contain_text("Bestätigt")
    expect(ours).not_to_contain_text("Warteliste")
    expect(page.get_by_role("main")).to_contain_text("5 von 30 Plätzen frei")

    mails = db.session.scalars(
        sa.select(Notification)
        .where(Notification.to_address == "ahmadi@schule.example")
        .order_by(Notification.id)
    ).all()
    # The waitlist notice at once, then the promotion (with the calendar invitation).
    assert [(m.kind, m.status) for m in mails] == [
        ("enrolment_waitlisted", "pending"), ("enrolment_promoted", "pending")]
    assert "Löten für Einsteiger" in mails[1].subject + mails[1].body_text

"""Issue 18 "done when": consent requested by e-mail, given and withdrawn on a phone.

A youth worker registers a 12-year-old with only the guardian's e-mail and
sends the request; the mail arrives at a real SMTP server; the guardian opens
its link on a phone, allows taking part but not photos, and the sign-in sheet
shows "no" for photos; later the guardian withdraws taking part through the
same link and the child cannot be booked any more.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from makerlab import clock
from makerlab.bookings import services as bookings
from makerlab.equipment import services as equipment
from makerlab.errors import Invalid
from makerlab.extensions import db
from makerlab.notifications.services import deliver_due
from makerlab.participants.models import ConsentRecord, Participant
from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession
from tests.browser.conftest import SCREENSHOTS, local, next_open_day, no_sideways_scroll
from tests.notifications.helpers import SmtpServer, app_config, smtp  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.served]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "timezone_id": "Europe/Berlin",
}


@pytest.fixture
def phone(browser: Any, base_url: str) -> Iterator[Any]:
    """The guardian's phone: a German 390 px touch screen."""
    context = browser.new_context(base_url=base_url, locale="de-DE", **PHONE)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Any, request: pytest.FixtureRequest, name: str) -> None:
    folder = Path(request.config.rootpath) / SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def link_in(message: Any) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://\S+/consent/[A-Za-z0-9_-]{43}", body)
    assert match, body
    return match.group(0)


def test_guardian_consents_on_a_phone_and_withdraws_through_the_same_link(
    page: Any,
    phone: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    commit: Callable[[], None],
    smtp: SmtpServer,  # noqa: F811
    served_log: Callable[[], str],
    request: pytest.FixtureRequest,
) -> None:
    worker = make_user("youth_worker")
    coordinator = make_user("coordinator")
    printer = equipment.create_equipment(coordinator, name="Prusa Mini", category="3d_printer")
    day = next_open_day(dt.time(10, 0), dt.time(13, 0), min_days=2)
    commit()

    # The youth worker registers Mia with nothing but the guardian's e-mail.
    log_in(worker)
    page.goto("/participants/new")
    page.get_by_label("Vorname").fill("Mia")
    page.get_by_label("Nachname").fill("Kowalczyk")
    birth = clock.today("Europe/Berlin").replace(year=clock.today("Europe/Berlin").year - 12)
    page.get_by_label("Geburtsdatum").fill((birth - dt.timedelta(days=40)).isoformat())
    page.get_by_label("E-Mail der Erziehungsberechtigten").fill("eltern@familie.example")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mia Kowalczyk")
    page.get_by_role("button", name="Einwilligung per E-Mail anfragen").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Einwilligungsanfrage an eltern@familie.example gesendet."
    )
    commit()
    mia = db.session.scalar(sa.select(Participant).where(Participant.first_name == "Mia"))
    workshop = Workshop(title="Podcast-Werkstatt", min_age=10, max_age=16)
    db.session.add(workshop)
    db.session.flush()
    session = WorkshopSession(
        workshop_id=workshop.id,
        site_id=1,
        starts_at=local(day, dt.time(10, 0)),
        ends_at=local(day, dt.time(13, 0)),
        capacity=12,
    )
    db.session.add(session)
    db.session.flush()
    db.session.add(
        Enrolment(session_id=session.id, participant_id=mia.id, seats=1, status="confirmed")
    )
    commit()

    # The e-mail goes out through the outbox to a real SMTP server.
    assert deliver_due()["sent"] == 1
    (message,) = smtp.sink.wait_for(1)
    assert str(message["To"]) == "eltern@familie.example"
    assert "Einwilligung für Mia" in str(message["Subject"])
    url = link_in(message)

    # The guardian opens it on the phone: first name and centre only, one screen.
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Einwilligung für Mia")
    expect(phone.get_by_text("Kowalczyk")).to_have_count(0)
    assert no_sideways_scroll(phone)
    save = phone.get_by_role("button", name="Auswahl speichern")
    box = save.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844, "save button below the fold"
    screenshot(phone, request, "consent-guardian-390-de")
    phone.get_by_role("switch", name="Teilnahme").check()
    expect(phone.get_by_role("switch", name="Fotos und Tonaufnahmen")).not_to_be_checked()
    save.click()
    expect(phone.get_by_role("status")).to_contain_text(
        "Vielen Dank. Ihre Auswahl ist gespeichert."
    )
    expect(phone.get_by_role("switch", name="Teilnahme")).to_be_checked()
    commit()
    db.session.refresh(mia)
    assert mia.guardian_consent and not mia.photo_consent

    # The sign-in sheet shows the current choice: no photos.
    page.goto(f"/sessions/{session.id}/sign-in")
    row = page.get_by_role("row").filter(has_text="Mia Kowalczyk")
    expect(row.get_by_role("cell").nth(1)).to_have_text("nein")  # Fotos
    booked = bookings.create_booking(
        worker,
        equipment_id=printer.id,
        starts_at=local(day, dt.time(14, 0)),
        ends_at=local(day, dt.time(15, 0)),
        participant_ids=[mia.id],
    )
    assert booked.bookings
    commit()

    # Later, in English, the guardian withdraws taking part through the same link.
    phone.goto(url)
    phone.get_by_role("link", name="English").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Consent for Mia")
    assert no_sideways_scroll(phone)
    screenshot(phone, request, "consent-guardian-390-en")
    phone.get_by_role("switch", name="Taking part").uncheck()
    phone.get_by_role("button", name="Save my choices").click()
    expect(phone.get_by_role("status")).to_contain_text("Thank you. Your choices are saved.")
    expect(phone.get_by_text("Recorded: no").first).to_be_visible()
    commit()
    db.session.refresh(mia)
    assert mia.guardian_consent is False
    with pytest.raises(Invalid) as refused:
        bookings.create_booking(
            worker,
            equipment_id=printer.id,
            starts_at=local(day, dt.time(15, 0)),
            ends_at=local(day, dt.time(16, 0)),
            participant_ids=[mia.id],
        )
    assert "Mia Kowalczyk" in str(refused.value.errors)
    db.session.rollback()
    sources = db.session.scalars(
        sa.select(ConsentRecord.source).where(ConsentRecord.participant_id == mia.id)
    ).all()
    assert set(sources) == {"guardian_link"}

    # Staff see the history; nothing of the child was logged or put in a URL.
    page.goto(f"/participants/{mia.id}")
    history = page.get_by_role("region", name="Verlauf der Einwilligungen")
    expect(history).to_contain_text("von Erziehungsberechtigten über den Link")
    log = served_log()
    assert "/consent/" in log
    assert "Kowalczyk" not in log and "Mia" not in log and "eltern@" not in log

"""A damaged podcast kit's workshop reservation moves to a free kit in one click."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from makerlab import clock
from makerlab.bookings.models import Booking
from makerlab.equipment import services as equipment
from makerlab.extensions import db
from makerlab.workshops import services as workshops
from tests.browser.conftest import local, next_open_day, no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.served]

NINE, NOON = dt.time(9, 0), dt.time(12, 0)


def _out_now(worker: Any, kit: Any) -> Booking:
    """The kit is out on a loan right now (written directly: the real clock may be at night)."""
    now = clock.now()
    loan = Booking(
        equipment_id=kit.id,
        booked_by_id=worker.id,
        starts_at=now - dt.timedelta(hours=2),
        ends_at=now + dt.timedelta(hours=1),
        blocked_until=now + dt.timedelta(hours=1),
        purpose="Interviews im Stadtteil",
        status="checked_out",
        checked_out_at=now - dt.timedelta(hours=2),
    )
    db.session.add(loan)
    return loan


@pytest.mark.parametrize("width", [1280, 390])
def test_damaged_kits_workshop_reservation_moves_to_a_free_kit_in_one_click(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    commit: Callable[[], None],
    width: int,
) -> None:
    coordinator = make_user("coordinator", name="Maria Schulz")
    kits = [
        equipment.create_equipment(
            coordinator, name=f"Podcast-Koffer {n}", category="podcast_kit", loanable=True
        )
        for n in (1, 2)
    ]
    podcast = workshops.create_workshop(
        coordinator, title="Podcast-Werkstatt", equipment_needs={"podcast_kit": 1}
    )
    day = next_open_day(NINE, NOON, min_days=7)
    session = workshops.create_session(
        coordinator, podcast, starts_at=local(day, NINE), ends_at=local(day, NOON), capacity=20
    )
    (reservation,) = workshops.session_bookings(session)
    assert reservation.equipment_id == kits[0].id
    _out_now(make_user("youth_worker"), kits[0])
    commit()

    page.set_viewport_size({"width": width, "height": 900})
    log_in(coordinator)
    # The kit comes back damaged at the loan desk: its workshop reservation is hit.
    page.goto("/bookings/loans")
    out = page.get_by_role("listitem").filter(has_text="Podcast-Koffer 1")
    out.get_by_label("Zustand").select_option(label="Beschädigt")
    out.get_by_label("Notiz").fill("Mikrofon defekt")
    out.get_by_role("button", name="Zurücknehmen").click()
    expect(page.get_by_role("status").first).to_contain_text("Podcast-Koffer 1")

    page.goto("/")
    panel = page.locator("#attention")
    expect(panel.get_by_role("heading", name="Braucht Aufmerksamkeit")).to_be_visible()
    item = panel.locator(f'[data-attention="booking-{reservation.id}"]')
    expect(item).to_contain_text("Podcast-Koffer 1")
    expect(item).to_contain_text("Das Gerät ist nicht verfügbar")  # the reason, in words
    expect(item).to_contain_text("Podcast-Koffer 1 kam beschädigt zurück")
    expect(item).to_contain_text("Mikrofon defekt")
    expect(item).to_contain_text("Podcast-Koffer 2")
    assert no_sideways_scroll(page)

    item.get_by_role("button", name="Hierhin verschieben").first.click()

    expect(page.get_by_role("status").filter(has_text="Verschoben")).to_contain_text(
        "Podcast-Koffer 2"
    )
    expect(page.locator("#attention")).to_have_count(0)
    commit()
    moved = db.session.get(Booking, reservation.id)
    assert moved is not None and moved.equipment_id == kits[1].id
    assert moved.session_id == session.id and moved.attention == []
    assert (moved.starts_at, moved.ends_at) == (session.starts_at, session.ends_at)

"""``/today`` for the counter: the site-local day's bookings, sessions and kits, each a link."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from makerlab import clock
from makerlab.bookings.models import Booking
from makerlab.db import recorded_statements
from makerlab.extensions import db
from makerlab.workshops.models import Workshop, WorkshopSession

UTC = dt.UTC
# Tuesday 5 January 2027, 00:30 in Halle, still Monday in UTC.
NOW = dt.datetime(2027, 1, 4, 23, 30, tzinfo=UTC)
EN = {"Accept-Language": "en"}


def berlin(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return clock.combine(dt.date(2027, 1, day), dt.time(hour, minute), "Europe/Berlin")


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def book(app: Any, make_unit: Any) -> Any:
    def book(start: dt.datetime, end: dt.datetime, status: str = "reserved", **unit: Any) -> Any:
        equipment = make_unit(**unit)
        booking = Booking(
            equipment_id=equipment.id,
            starts_at=start,
            ends_at=end,
            blocked_until=end,
            status=status,
            purpose=f"Zweck {equipment.name}",
            checked_out_at=start if status == "checked_out" else None,
        )
        db.session.add(booking)
        db.session.commit()
        return booking

    return book


def session_at(start: dt.datetime, end: dt.datetime, title: str) -> WorkshopSession:
    workshop = Workshop(title=title, equipment_needs={})
    db.session.add(workshop)
    db.session.flush()
    session = WorkshopSession(
        workshop_id=workshop.id, site_id=1, capacity=12, starts_at=start, ends_at=end
    )
    db.session.add(session)
    db.session.commit()
    return session


def links(html: str) -> set[str]:
    return set(re.findall(r'href="(/(?:bookings|sessions)/\d+)"', html))


def test_the_site_local_day_with_links(frozen: Any, client: Any, login_as: Any, book: Any) -> None:
    today = book(berlin(5, 10), berlin(5, 12), name="Lasercutter heute")
    book(berlin(4, 22), berlin(4, 23), name="Drucker gestern Abend")  # Monday in UTC too
    book(berlin(6, 10), berlin(6, 12), name="Drucker morgen")
    book(berlin(5, 9), berlin(5, 10), status="cancelled", name="Storniert heute")
    kit = {"loanable": True}
    overdue = book(berlin(2, 10), berlin(4, 18), "checked_out", name="Koffer überfällig", **kit)
    due = book(berlin(4, 10), berlin(5, 17), "checked_out", name="Koffer fällig", **kit)
    later = book(berlin(4, 10), berlin(8, 17), "checked_out", name="Koffer später", **kit)
    workshop = session_at(berlin(5, 14), berlin(5, 16), "Synthesizer bauen")
    session_at(berlin(6, 14), berlin(6, 16), "Morgen-Workshop")
    login_as("youth_worker")

    html = client.get("/today", headers=EN).get_data(as_text=True)
    assert "Tue, 5 Jan 2027" in html
    for name in ("Lasercutter heute", "Synthesizer bauen", "Koffer überfällig", "Koffer fällig"):
        assert name in html
    for name in ("Drucker gestern Abend", "Drucker morgen", "Storniert heute", "Morgen-Workshop"):
        assert name not in html
    assert {
        f"/bookings/{today.id}",
        f"/bookings/{overdue.id}",
        f"/bookings/{due.id}",
        f"/bookings/{later.id}",
        f"/sessions/{workshop.id}",
    } <= links(html)
    bookings_part = html.split('id="today-bookings"')[1].split('id="today-overdue"')[0]
    assert "Lasercutter heute" in bookings_part
    assert "Koffer" not in bookings_part  # kits out are listed apart
    sections = html.split('id="today-overdue"')[1]
    overdue_part, rest = sections.split('id="today-due"')
    due_part, later_part = rest.split('id="today-out"')
    assert "Koffer überfällig" in overdue_part and "Koffer fällig" not in overdue_part
    assert "Koffer fällig" in due_part and "Koffer später" not in due_part
    assert "Koffer später" in later_part

    german = client.get("/today").get_data(as_text=True)
    assert "Heute im Lab" in german and "Di., 5. Jan. 2027" in german


def test_staff_only_and_in_the_navigation(client: Any, login_as: Any) -> None:
    login_as("teacher")
    assert client.get("/today").status_code == 403
    assert 'href="/today"' not in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login_as("coordinator")
    assert 'href="/today"' in client.get("/").get_data(as_text=True)
    assert client.get("/today").status_code == 200


def test_statements_do_not_grow_with_the_day(
    frozen: Any, client: Any, login_as: Any, book: Any
) -> None:
    login_as("youth_worker")

    def a_bit_of_everything(n: int) -> None:
        book(berlin(5, 8 + n), berlin(5, 9 + n))
        book(berlin(3, 8), berlin(4, 8 + n), "checked_out", loanable=True)
        book(berlin(4, 8), berlin(5, 12 + n), "checked_out", loanable=True)
        session_at(berlin(5, 8 + n), berlin(5, 9 + n), f"Workshop {n}")

    a_bit_of_everything(0)
    with recorded_statements(db.engine) as few:
        assert client.get("/today").status_code == 200
    for n in range(1, 8):
        a_bit_of_everything(n)
    with recorded_statements(db.engine) as many:
        page = client.get("/today").get_data(as_text=True)
    assert page.count("Workshop ") >= 8
    assert len(many) == len(few)


def test_dashboard_items_link_to_their_pages(
    frozen: Any, client: Any, login_as: Any, book: Any
) -> None:
    user = login_as("youth_worker")
    booking = book(berlin(6, 10), berlin(6, 12), name="Drucker morgen")
    booking.booked_by_id = user.id
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert f'href="/bookings/{booking.id}"' in html
    assert 'href="/bookings/loans"' in html and 'href="/equipment/?status=maintenance"' in html


def test_staff_dashboard_opens_with_today(
    frozen: Any, client: Any, login_as: Any, book: Any
) -> None:
    kit = {"loanable": True}
    overdue = book(berlin(2, 10), berlin(4, 18), "checked_out", name="Koffer überfällig", **kit)
    due = book(berlin(4, 10), berlin(5, 17), "checked_out", name="Koffer fällig", **kit)
    today = book(berlin(5, 10), berlin(5, 12), name="Lasercutter heute")
    book(berlin(6, 10), berlin(6, 12), name="Drucker morgen")
    workshop = session_at(berlin(5, 14), berlin(5, 16), "Synthesizer bauen")
    login_as("coordinator")

    html = client.get("/").get_data(as_text=True)
    block = html.split('data-dashboard="today"')[1].split("</section>")[0]
    # Today's block comes before the shortcuts and the counts, so a phone shows it first.
    assert html.index('data-dashboard="today"') < html.index('aria-label="Schnellzugriff"')
    assert html.index('data-dashboard="today"') < html.index('href="/bookings/new"')
    assert "Heute" in block and "Di., 5. Jan. 2027" in block
    assert block.index("Koffer überfällig") < block.index("Koffer fällig")
    assert "Fällig 17:00" in block and "10:00–12:00" in block and "14:00–16:00" in block
    assert {
        f"/bookings/{overdue.id}",
        f"/bookings/{due.id}",
        f"/bookings/{today.id}",
        f"/sessions/{workshop.id}",
    } == links(block)
    assert "Drucker morgen" not in block
    assert 'href="/today"' in block


def test_dashboard_today_block_is_short_and_its_statements_do_not_grow(
    frozen: Any, client: Any, login_as: Any, book: Any
) -> None:
    login_as("admin")

    def statements() -> tuple[int, str]:
        with recorded_statements(db.engine) as seen:
            html = client.get("/", headers=EN).get_data(as_text=True)
        return len(seen), html

    for n in range(2):
        book(berlin(5, 8 + n), berlin(5, 9 + n), name=f"Gerät {n}")
        session_at(berlin(5, 8 + n), berlin(5, 9 + n), f"Workshop {n}")
    few, _html = statements()
    for n in range(2, 8):
        book(berlin(5, 8 + n), berlin(5, 9 + n), name=f"Gerät {n}")
        session_at(berlin(5, 8 + n), berlin(5, 9 + n), f"Workshop {n}")
    many, html = statements()
    assert many == few
    block = html.split('data-dashboard="today"')[1].split("</section>")[0]
    assert len(links(block)) == 6
    assert "All 16 items of today" in block


def test_no_today_block_for_teachers(client: Any, login_as: Any) -> None:
    login_as("teacher")
    assert 'data-dashboard="today"' not in client.get("/").get_data(as_text=True)

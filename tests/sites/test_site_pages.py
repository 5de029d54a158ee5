"""The site pages: sites, the weekly opening-hours grid, closures in two steps, deleting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from makerlab.extensions import db
from makerlab.sites import services
from makerlab.sites.models import Closure, Site

EMPTY_WEEK = {
    f"{day}-{n}-{part}": ""
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for n in range(3)
    for part in ("opens", "closes")
}


def grid(**periods: str) -> dict[str, str]:
    """The site form with a name and time zone, every period empty unless given."""
    return {
        "name": "Passage 13",
        "timezone": "Europe/Berlin",
        "address": "",
        **EMPTY_WEEK,
        **{key.replace("_", "-"): value for key, value in periods.items()},
    }


def closures() -> list[tuple[dt.date, dt.date, str]]:
    db.session.expire_all()
    return [
        (c.starts_on, c.ends_on, c.reason)
        for c in db.session.scalars(sa.select(Closure).order_by(Closure.starts_on))
    ]


def test_coordinator_adds_a_site_and_sets_its_week(client: Any, login_as: Any) -> None:
    login_as("coordinator")
    added = client.post(
        "/sites",
        data={"name": "Jugendclub Südpark", "timezone": "Europe/Berlin", "address": "Am Südpark 3"},
    )
    assert added.status_code == 302
    site = db.session.scalar(sa.select(Site).where(Site.name == "Jugendclub Südpark"))
    assert added.headers["Location"].endswith(f"/sites/{site.id}")
    assert "Jugendclub Südpark" in client.get("/sites").get_data(as_text=True)

    saved = client.post(
        f"/sites/{site.id}",
        data={
            **grid(
                mon_0_opens="9",
                mon_0_closes="12:00",
                mon_1_opens="13.00",
                mon_1_closes="1800",
                sat_0_opens="10:00",
                sat_0_closes="24:00",
            ),
            "name": "Jugendclub Südpark",
            "address": "Am Südpark 3",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.expire_all()
    site = db.session.get(Site, site.id)
    assert site.opening_hours == {
        "mon": [["09:00", "12:00"], ["13:00", "18:00"]],
        "tue": [],
        "wed": [],
        "thu": [],
        "fri": [],
        "sun": [],
        "sat": [["10:00", "24:00"]],
    }
    page = client.get(f"/sites/{site.id}").get_data(as_text=True)
    assert 'value="13:00"' in page and 'value="24:00"' in page
    # Days without times say so.
    assert page.count("Geschlossen</span>") == 7
    assert page.count('ml-closed-note badge text-bg-secondary d-none"') == 2


def test_grid_explains_refused_hours_and_saves_nothing(client: Any, login_as: Any) -> None:
    login_as("coordinator")
    before = db.session.get(Site, 1).opening_hours
    overlap = client.post(
        "/sites/1",
        data=grid(
            mon_0_opens="09:00", mon_0_closes="13:00", mon_1_opens="12:00", mon_1_closes="18:00"
        ),
    )
    assert overlap.status_code == 422
    assert "überschneiden sich" in overlap.get_data(as_text=True)
    half = client.post("/sites/1", data=grid(tue_0_opens="09:00"))
    assert half.status_code == 422
    assert "Bitte beide Zeiten angeben oder keine." in half.get_data(as_text=True)
    nonsense = client.post("/sites/1", data=grid(wed_0_opens="25:00", wed_0_closes="26:00"))
    assert nonsense.status_code == 422
    db.session.expire_all()
    assert db.session.get(Site, 1).opening_hours == before


def test_a_day_with_more_periods_than_the_grid_keeps_them(client: Any, login_as: Any) -> None:
    login_as("admin")
    site = db.session.get(Site, 1)
    four = [["08:00", "09:00"], ["10:00", "11:00"], ["12:00", "13:00"], ["14:00", "15:00"]]
    services.update_site(None, site, opening_hours={"mon": four})
    db.session.commit()
    page = client.get("/sites/1").get_data(as_text=True)
    assert 'name="mon-3-opens"' in page and 'name="tue-2-opens"' in page
    assert 'name="tue-3-opens"' not in page


def test_closure_is_checked_before_it_is_saved(frozen: Any, client: Any, login_as: Any) -> None:
    login_as("coordinator")
    form = {
        "closure-starts_on": "2027-12-24",
        "closure-ends_on": "2028-01-01",
        "closure-reason": "Weihnachten",
    }
    summary = client.post("/sites/1/closures/check", data=form)
    assert summary.status_code == 200
    text = summary.get_data(as_text=True)
    assert "Noch ist nichts gespeichert" in text
    assert "Fr., 24. Dez. 2027" in text and "Sa., 1. Jan. 2028" in text and "9 Tage" in text
    assert closures() == []

    saved = client.post("/sites/1/closures", data=form)
    assert saved.status_code == 302
    assert closures() == [(dt.date(2027, 12, 24), dt.date(2028, 1, 1), "Weihnachten")]
    page = client.get("/sites/1").get_data(as_text=True)
    assert "Weihnachten" in page and "Anstehende Schließzeiten" in page

    # A single day: the last day may be left empty.
    client.post("/sites/1/closures", data={"closure-starts_on": "2027-05-14"})
    assert (dt.date(2027, 5, 14), dt.date(2027, 5, 14), "") in closures()
    # The summary says which days are closed already.
    again = client.post("/sites/1/closures/check", data={"closure-starts_on": "2027-12-31"})
    assert "bereits geschlossen" in again.get_data(as_text=True)


def test_change_on_the_summary_brings_the_values_back(
    frozen: Any, client: Any, login_as: Any
) -> None:
    login_as("coordinator")
    page = client.get(
        "/sites/1?closure-starts_on=2027-07-05&closure-ends_on=2027-08-14&closure-reason=Sommer"
    ).get_data(as_text=True)
    assert 'value="2027-07-05"' in page and 'value="Sommer"' in page


@pytest.mark.parametrize(
    ("first", "last"),
    [("2027-12-24", "9999-12-31"), ("1999-12-31", "2000-01-01"), ("2027-05-02", "2027-05-01")],
)
def test_closure_dates_outside_the_range_are_refused(
    frozen: Any, client: Any, login_as: Any, api_as: Any, first: str, last: str
) -> None:
    login_as("coordinator")
    form = {"closure-starts_on": first, "closure-ends_on": last}
    assert client.post("/sites/1/closures/check", data=form).status_code == 422
    assert client.post("/sites/1/closures", data=form).status_code == 422
    answer = api_as("coordinator").post(
        "/api/v1/sites/1/closures", json={"starts_on": first, "ends_on": last}
    )
    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]) <= {"starts_on", "ends_on"}
    assert closures() == []


def test_past_closures_are_folded_away(frozen: Any, client: Any, login_as: Any) -> None:
    login_as("coordinator")
    site = db.session.get(Site, 1)
    services.add_closure(
        None,
        site,
        starts_on=dt.date(2026, 12, 24),
        ends_on=dt.date(2027, 1, 1),
        reason="Weihnachten 2026",
    )
    services.add_closure(
        None,
        site,
        starts_on=dt.date(2027, 2, 1),
        ends_on=dt.date(2027, 2, 6),
        reason="Winterferien",
    )
    db.session.commit()
    page = client.get("/sites/1").get_data(as_text=True)
    details = page.index("<details>")
    assert page.index("Winterferien") < details < page.index("Weihnachten 2026")
    assert "1 vergangene Schließzeit" in page


def test_deleting_a_closure_asks_first(frozen: Any, client: Any, login_as: Any) -> None:
    login_as("coordinator")
    site = db.session.get(Site, 1)
    closure = services.add_closure(
        None,
        site,
        starts_on=dt.date(2027, 3, 1),
        ends_on=dt.date(2027, 3, 1),
        reason="Wasserschaden",
    )
    other = services.create_site(None, name="Jugendclub Südpark")
    foreign = services.add_closure(
        None, other, starts_on=dt.date(2027, 3, 2), ends_on=dt.date(2027, 3, 2)
    )
    db.session.commit()
    url = f"/sites/1/closures/{closure.id}/delete"
    ask = client.get(url)
    assert ask.status_code == 200
    assert "Wasserschaden" in ask.get_data(as_text=True)
    assert len(closures()) == 2
    assert client.post(url).status_code == 302
    assert closures() == [(dt.date(2027, 3, 2), dt.date(2027, 3, 2), "")]
    assert client.get(f"/sites/1/closures/{foreign.id}/delete").status_code == 404
    assert client.post(f"/sites/1/closures/{foreign.id}/delete").status_code == 404


@pytest.mark.parametrize("role", ["youth_worker", "teacher"])
def test_site_pages_are_for_coordinators_and_admins(client: Any, login_as: Any, role: str) -> None:
    login_as(role)
    assert client.get("/sites").status_code == 403
    assert client.get("/sites/1").status_code == 403
    assert (
        client.post("/sites/1/closures", data={"closure-starts_on": "2027-05-01"}).status_code
        == 403
    )


def test_admin_sees_the_site_in_english(client: Any, login_as: Any) -> None:
    login_as("admin", locale="en")
    page = client.get("/sites/1").get_data(as_text=True)
    assert "Opening hours" in page and "Closures" in page and "Monday" in page
    assert "Sites and closures" in page  # the menu entry


def test_site_pages_read_well(
    app: Any, client: Any, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = services.default_site()
    monkeypatch.setitem(app.config, "CENTRE_NAME", site.name)
    login_as("admin")
    german = client.get(f"/sites/{site.id}").get_data(as_text=True)
    title = german.split("<title>")[1].split("</title>")[0]
    assert title.count(site.name) == 1 and "Öffnungs- und Schließzeiten" in title
    assert ">Geschlossen</span>" in german and ">geschlossen</span>" not in german
    assert "Mitteleuropäische Zeit (Berlin)" in german
    listing = client.get("/sites").get_data(as_text=True)
    assert "Mitteleuropäische Zeit (Berlin)" in listing
    assert '<div class="small text-muted">Europe/Berlin</div>' not in listing
    english = client.get("/sites", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Central European Time (Berlin)" in english

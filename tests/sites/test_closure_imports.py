"""Public holidays and iCalendar files as closures: CLI and site page, idempotent."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.test import EnvironBuilder

from makerlab.errors import Invalid
from makerlab.extensions import db
from makerlab.sites import closure_imports, services
from makerlab.sites.models import Closure, Site

# Sachsen-Anhalt 2027: no Fronleichnam, no Allerheiligen; Reformationstag and
# Heilige Drei Könige yes.
ST_2027 = {
    dt.date(2027, 1, 1): "Neujahr",
    dt.date(2027, 1, 6): "Heilige Drei Könige",
    dt.date(2027, 3, 26): "Karfreitag",
    dt.date(2027, 3, 29): "Ostermontag",
    dt.date(2027, 5, 1): "Erster Mai",
    dt.date(2027, 5, 6): "Christi Himmelfahrt",
    dt.date(2027, 5, 17): "Pfingstmontag",
    dt.date(2027, 10, 3): "Tag der Deutschen Einheit",
    dt.date(2027, 10, 31): "Reformationstag",
    dt.date(2027, 12, 25): "Erster Weihnachtstag",
    dt.date(2027, 12, 26): "Zweiter Weihnachtstag",
}

BREAKS_ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Kultusministerium//Ferien//DE\r
BEGIN:VEVENT\r
UID:winter-2027@example.org\r
DTSTART;VALUE=DATE:20270201\r
DTEND;VALUE=DATE:20270207\r
SUMMARY:Winterferien Sachsen-Anhalt\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:bruecke-2027@example.org\r
DTSTART;VALUE=DATE:20270507\r
SUMMARY:Beweglicher Ferientag\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:herbst-2027@example.org\r
DTSTART;VALUE=DATE:20271018\r
DURATION:P12D\r
SUMMARY:Herbstferien Sachsen-Anhalt\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:elternabend@example.org\r
DTSTART;TZID=Europe/Berlin:20270210T180000\r
DTEND;TZID=Europe/Berlin:20270210T200000\r
SUMMARY:Elternabend\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:jedes-jahr@example.org\r
DTSTART;VALUE=DATE:20270301\r
RRULE:FREQ=YEARLY\r
SUMMARY:Jahrestag\r
END:VEVENT\r
END:VCALENDAR\r
"""
BREAKS = [
    (dt.date(2027, 2, 1), dt.date(2027, 2, 6), "Winterferien Sachsen-Anhalt"),
    (dt.date(2027, 5, 7), dt.date(2027, 5, 7), "Beweglicher Ferientag"),
    (dt.date(2027, 10, 18), dt.date(2027, 10, 29), "Herbstferien Sachsen-Anhalt"),
]


def closures(site_id: int = 1) -> list[tuple[dt.date, dt.date, str]]:
    db.session.expire_all()
    return [
        (c.starts_on, c.ends_on, c.reason)
        for c in db.session.scalars(
            sa.select(Closure).where(Closure.site_id == site_id).order_by(Closure.starts_on)
        )
    ]


# --- public holidays -------------------------------------------------------------------


def test_holidays_cli_adds_sachsen_anhalt_once(runner: Any) -> None:
    first = runner.invoke(args=["closures", "holidays", "--site-id", "1", "--year", "2027"])
    assert first.exit_code == 0, first.output
    assert "11 closure(s) added, 0 already there." in first.output
    assert closures() == [(day, day, name) for day, name in ST_2027.items()]
    again = runner.invoke(args=["closures", "holidays", "--site-id", "1", "--year", "2027"])
    assert again.exit_code == 0, again.output
    assert "0 closure(s) added, 11 already there." in again.output
    assert len(closures()) == 11


def test_holidays_cli_takes_another_state_and_the_configured_default(app: Any, runner: Any) -> None:
    bavaria = runner.invoke(
        args=["closures", "holidays", "--site-id", "1", "--year", "2027", "--state", "BY"]
    )
    assert bavaria.exit_code == 0, bavaria.output
    assert "12 closure(s) added, 0 already there." in bavaria.output
    assert (dt.date(2027, 5, 27), dt.date(2027, 5, 27), "Fronleichnam") in closures()
    app.config["HOLIDAY_STATE"] = "SN"
    saxony = runner.invoke(args=["closures", "holidays", "--site-id", "1", "--year", "2028"])
    assert saxony.exit_code == 0, saxony.output
    assert (dt.date(2028, 11, 22), dt.date(2028, 11, 22), "Buß- und Bettag") in closures()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--site-id", "1", "--year", "2150"], "2099"),
        (["--site-id", "1", "--year", "2027", "--state", "XX"], "XX"),
        (["--site-id", "99", "--year", "2027"], "no site with id 99"),
    ],
)
def test_holidays_cli_refuses_bad_input(runner: Any, args: list[str], message: str) -> None:
    result = runner.invoke(args=["closures", "holidays", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert closures() == []


def test_holidays_button_on_the_site_page(frozen: Any, client: Any, login_as: Any) -> None:
    login_as("coordinator")
    page = client.get("/sites/1").get_data(as_text=True)
    assert (
        '<option selected value="ST">Sachsen-Anhalt (ST)' in page
    )  # the configured state is preselected
    form = {"holidays-year": "2027", "holidays-state": "ST"}
    added = client.post("/sites/1/holidays", data=form, follow_redirects=True)
    assert "11 Schließzeiten hinzugefügt, 0 schon vorhanden." in added.get_data(as_text=True)
    again = client.post("/sites/1/holidays", data=form, follow_redirects=True)
    assert "0 Schließzeiten hinzugefügt, 11 schon vorhanden." in again.get_data(as_text=True)
    assert len(closures()) == 11
    refused = client.post("/sites/1/holidays", data={**form, "holidays-year": "1990"})
    assert refused.status_code == 422
    assert "2000" in refused.get_data(as_text=True)


# --- iCalendar files ------------------------------------------------------------------------


def test_ics_cli_adds_all_day_events_and_reports_the_rest(runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "ferien.ics"
    path.write_bytes(BREAKS_ICS)
    first = runner.invoke(args=["closures", "import", "--site-id", "1", str(path)])
    assert first.exit_code == 0, first.output
    assert "3 closure(s) added, 0 already there." in first.output
    assert "2 event(s) ignored:" in first.output
    assert "Elternabend: not an all-day event" in first.output
    assert "Jahrestag: repeating events are not imported" in first.output
    # DTEND 2027-02-07 is exclusive: the break ends on Saturday 6 February.
    assert closures() == BREAKS
    again = runner.invoke(args=["closures", "import", "--site-id", "1", str(path)])
    assert "0 closure(s) added, 3 already there." in again.output
    assert closures() == BREAKS


def test_ics_cli_refuses_a_file_that_is_not_a_calendar(runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "ferien.ics"
    path.write_bytes(b"%PDF-1.7 not a calendar")
    result = runner.invoke(args=["closures", "import", "--site-id", "1", str(path)])
    assert result.exit_code == 1
    assert "iCalendar" in result.output
    assert closures() == []


def test_ics_upload_on_the_site_page(frozen: Any, client: Any, login_as: Any) -> None:
    login_as("coordinator")

    def upload(data: bytes, name: str = "ferien.ics") -> Any:
        # The request body is built here, so a large one (spooled to a file) is closed here too.
        environ = EnvironBuilder(
            path="/sites/1/closures/import",
            method="POST",
            data={"ics-file": (io.BytesIO(data), name)},
        ).get_environ()
        try:
            return client.open(environ, follow_redirects=True)
        finally:
            environ["wsgi.input"].close()

    first = upload(BREAKS_ICS).get_data(as_text=True)
    assert "3 Schließzeiten hinzugefügt, 0 schon vorhanden." in first
    assert "2 Termine wurden nicht übernommen" in first and "Elternabend" in first
    assert closures() == BREAKS
    second = upload(BREAKS_ICS).get_data(as_text=True)
    assert "0 Schließzeiten hinzugefügt, 3 schon vorhanden." in second

    broken = upload(b"BEGIN:VCALENDAR\r\ngarbage\r\n")
    assert broken.status_code == 422
    assert "keine iCalendar-Datei" in broken.get_data(as_text=True)
    too_big = upload(b"BEGIN:VCALENDAR\r\n" + b"X" * (closure_imports.ICS_MAX_BYTES + 10))
    assert too_big.status_code == 422
    assert "zu groß" in too_big.get_data(as_text=True)
    empty = upload(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    assert empty.status_code == 422
    none = client.post("/sites/1/closures/import", data={}, content_type="multipart/form-data")
    assert none.status_code == 422
    assert closures() == BREAKS


def test_ics_events_outside_the_years_are_left_out(app: Any) -> None:
    far = BREAKS_ICS.replace(b"20271018", b"21271018")
    site = db.session.get(Site, 1)
    result = closure_imports.import_closures_ics(None, site, far)
    assert [(i.summary, i.why) for i in result.ignored] == [
        ("Herbstferien Sachsen-Anhalt", "out_of_range"),
        ("Elternabend", "timed"),
        ("Jahrestag", "recurring"),
    ]
    assert len(result.added) == 2


def test_imports_match_on_site_dates_and_reason(app: Any) -> None:
    one = db.session.get(Site, 1)
    other = services.create_site(None, name="Jugendclub Südpark")
    services.add_closure(
        None, one, starts_on=dt.date(2027, 10, 31), ends_on=dt.date(2027, 10, 31), reason="Party"
    )
    first = closure_imports.add_public_holidays(None, one, year=2027, state="ST")
    assert (len(first.added), first.existing) == (11, 0)  # another reason: not the same closure
    second = closure_imports.add_public_holidays(None, other, year=2027)
    assert (len(second.added), second.existing) == (11, 0)  # another site
    with pytest.raises(Invalid):
        closure_imports.add_public_holidays(None, one, year=2027, state="Augsburg")

"""Open data for the city: suppression below 5, the JSON Schema, combining centres."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from flask import Flask

from makerlab.extensions import db
from makerlab.participants.models import Participant
from makerlab.reports.opendata import build_open_data
from makerlab.workshops.models import Enrolment, WorkshopSession
from tests.reports.conftest import SPRING, local

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" /
                     "open-data.schema.json").read_text(encoding="utf-8"))
PEOPLE = {"workshops": "attended", "participants": "participants"}


def _valid(document: dict[str, Any]) -> None:
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.FormatChecker())


def _visible_people(document: dict[str, Any]) -> list[int]:
    return [row[field] for table, field in PEOPLE.items() for row in document[table]
            if row[field] is not None]


def test_export_is_valid_and_hides_every_count_of_people_below_five(
    spring: dict[str, Any], api_as: Any,
) -> None:
    response = api_as("coordinator").get(f"/api/v1/reports/open-data?from={SPRING[0]}"
                                         f"&to={SPRING[1]}")
    assert response.status_code == 200
    document = response.get_json()
    _valid(document)
    assert document["schema_version"] == 1 and document["period"] == {
        "from": SPRING[0], "to": SPRING[1]}
    assert document["centres"] == [{"name": "Passage 13", "sites": ["Passage 13"]}]
    assert min(_visible_people(document)) >= 5
    workshops = {row["month"]: row for row in document["workshops"]}
    assert {k: workshops["2027-03"][k] for k in ("sessions", "seats", "attended", "schools",
                                                 "suppressed")} == {
        "sessions": 4, "seats": 82, "attended": 54, "schools": 3, "suppressed": False}
    bands = {(row["month"], row["age_band"]): row for row in document["participants"]}
    assert bands["2027-03", "class"]["participants"] == 53
    # One young person in each band in March: all hidden, and so is "no one".
    for band in ("<10", "10-13", "14-17", "18+", "unknown"):
        assert bands["2027-03", band] == {"centre": "Passage 13", "site": "Passage 13",
                                          "month": "2027-03", "age_band": band,
                                          "participants": None, "suppressed": True}
    equipment = {(r["month"], r["category"]): r for r in document["equipment"]}
    assert equipment["2027-03", "podcast_kit"]["hours"] == 138
    assert equipment["2027-04", "3d_printer"] == {
        "centre": "Passage 13", "site": "Passage 13", "month": "2027-04",
        "category": "3d_printer", "hours": 2, "bookings": 1}
    text = response.get_data(as_text=True)
    for name in ("Zoraida", "Quenstedt", "Wendehals"):
        assert name not in text
    assert api_as("teacher").get(f"/api/v1/reports/open-data?from={SPRING[0]}"
                                 f"&to={SPRING[1]}").status_code == 403


def test_five_people_are_shown_and_four_are_not(app: Flask, make_school: Any) -> None:
    from makerlab.workshops.models import Workshop

    workshop = Workshop(title="Löten")
    db.session.add(workshop)
    db.session.flush()
    session = WorkshopSession(workshop_id=workshop.id, site_id=1, capacity=10,
                              starts_at=local(2027, 6, 7, 10), ends_at=local(2027, 6, 7, 12))
    db.session.add(session)
    db.session.flush()
    enrolments = []
    for i in range(5):
        person = Participant(first_name=f"Kind{i}", last_name="Muster", birth_year=2015)
        db.session.add(person)
        db.session.flush()
        enrolments.append(Enrolment(session_id=session.id, participant_id=person.id, seats=1,
                                    status="confirmed", attended_count=1))
    db.session.add_all(enrolments)
    db.session.commit()

    def figures() -> tuple[Any, Any]:
        document = build_open_data("2027-06-01", "2027-07-01")
        _valid(document)
        band = next(r for r in document["participants"] if r["age_band"] == "10-13")
        [month] = document["workshops"]
        return (band["participants"], band["suppressed"]), (month["attended"],
                                                            month["suppressed"])

    assert figures() == ((5, False), (5, False))
    enrolments[0].status = "cancelled"
    db.session.commit()
    assert figures() == ((None, True), (None, True))


def _export(runner: Any, target: Path) -> None:
    result = runner.invoke(args=["report", "open-data", "--from", SPRING[0], "--to", SPRING[1],
                                 "--output", str(target)])
    assert result.exit_code == 0, result.output


def test_two_centres_combine_into_one_valid_file(spring: dict[str, Any], app: Flask,
                                                runner: Any, tmp_path: Path) -> None:
    halle, dessau, both = (tmp_path / n for n in ("halle.json", "dessau.json", "both.json"))
    _export(runner, halle)
    app.config["CENTRE_NAME"] = "Makerspace Dessau"
    _export(runner, dessau)
    result = runner.invoke(args=["report", "combine", str(halle), str(dessau),
                                 "--output", str(both)])
    assert result.exit_code == 0, result.output
    combined = json.loads(both.read_text(encoding="utf-8"))
    _valid(combined)
    assert [c["name"] for c in combined["centres"]] == ["Makerspace Dessau", "Passage 13"]
    one = json.loads(halle.read_text(encoding="utf-8"))
    for table in ("equipment", "workshops", "participants"):
        assert len(combined[table]) == 2 * len(one[table])
        assert {r["centre"] for r in combined[table]} == {"Makerspace Dessau", "Passage 13"}
    assert min(_visible_people(combined)) >= 5

    again = runner.invoke(args=["report", "combine", str(halle), str(halle),
                                "--output", str(tmp_path / "x.json")])
    assert again.exit_code == 1 and "Passage 13" in again.output


def test_combine_refuses_another_schema_version_or_period(spring: dict[str, Any], app: Flask,
                                                         runner: Any, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.json", tmp_path / "theirs.json"
    _export(runner, ours)
    document = json.loads(ours.read_text(encoding="utf-8"))
    document["schema_version"] = 2
    document["centres"] = [{"name": "Makerspace Dessau", "sites": ["Zentrum"]}]
    theirs.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(args=["report", "combine", str(ours), str(theirs),
                                 "--output", str(tmp_path / "x.json")])
    assert result.exit_code == 1
    assert "theirs.json" in result.output and "2" in result.output
    assert not (tmp_path / "x.json").exists()

    document["schema_version"] = 1
    document["period"] = {"from": "2027-01-01", "to": "2027-02-01"}
    theirs.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(args=["report", "combine", str(ours), str(theirs),
                                 "--output", str(tmp_path / "x.json")])
    assert result.exit_code == 1 and "2027-01-01_2027-02-01" in result.output
    theirs.write_text("not json", encoding="utf-8")
    result = runner.invoke(args=["report", "combine", str(ours), str(theirs),
                                 "--output", str(tmp_path / "x.json")])
    assert result.exit_code == 1 and "theirs.json" in result.output

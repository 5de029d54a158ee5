"""Unit codes: short, unique, given once and kept through renames; /u/<code> opens the unit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from tests.conftest import _create_database

ROOT = Path(__file__).resolve().parents[2]


def test_codes_are_short_unique_and_kept_when_a_unit_is_renamed(api_as: Any) -> None:
    api = api_as("coordinator")
    made = [
        api.post("/api/v1/equipment", json={"name": name, "category": category}).get_json()
        for name, category in [
            ("Podcast-Koffer A", "podcast_kit"),
            ("Podcast-Koffer B", "podcast_kit"),
            ("Prusa MK4", "3d_printer"),
            ("Synth-Koffer", "synth_kit"),
        ]
    ]
    assert [u["code"] for u in made] == ["P13-PK1", "P13-PK2", "P13-3DP1", "P13-SK1"]
    kit = made[1]
    renamed = api.patch(
        f"/api/v1/equipment/{kit['id']}",
        json={"name": "Podcast-Koffer Blau", "category": "audio_kit"},
    )
    assert renamed.status_code == 200
    assert renamed.get_json()["code"] == "P13-PK2"
    # The code is not for editing: the API refuses it as an unknown field.
    refused = api.patch(f"/api/v1/equipment/{kit['id']}", json={"code": "P13-PK9"})
    assert refused.status_code == 422
    # A later unit of the category takes the next number, never one in use.
    later = api.post(
        "/api/v1/equipment", json={"name": "Podcast-Koffer C", "category": "podcast_kit"}
    )
    assert later.get_json()["code"] == "P13-PK3"
    assert api.get(f"/api/v1/equipment/{kit['id']}").get_json()["code"] == "P13-PK2"


def test_the_database_refuses_a_second_unit_with_the_same_code(app: Any, make_unit: Any) -> None:
    first = make_unit(name="Kit 1", category="podcast_kit")
    db.session.add(Equipment(site_id=1, name="Kit 2", category="podcast_kit", code=first.code))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_units_of_other_sites_get_their_own_prefix(api_as: Any) -> None:
    api = api_as("coordinator")
    site = api.post("/api/v1/sites", json={"name": "Zentrum Süd 2"}).get_json()
    unit = api.post(
        "/api/v1/equipment",
        json={"name": "Laser", "category": "laser_cutter", "site_id": site["id"]},
    ).get_json()
    assert unit["code"] == "ZS2-LC1"


def test_a_label_address_opens_the_unit_page(client: Any, login_as: Any, make_unit: Any) -> None:
    unit = make_unit(name="Podcast-Koffer 1", category="podcast_kit", loanable=True)
    anonymous = client.get(f"/u/{unit.code}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login_as("youth_worker")
    opened = client.get(f"/u/{unit.code.lower()}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/equipment/{unit.id}")
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert unit.code in page and "Podcast-Koffer 1" in page
    unknown = client.get("/u/P13-XX99", headers={"Accept-Language": "en"})
    assert unknown.status_code == 404
    assert "No unit has the code P13-XX99." in unknown.get_data(as_text=True)


def _flask(uri: str, *args: str) -> None:
    env = {
        **os.environ,
        "MAKERLAB_SQLALCHEMY_DATABASE_URI": uri,
        "MAKERLAB_SECRET_KEY": "migration-test",
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def test_the_migration_numbers_existing_units_in_the_order_they_were_added(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if backend == "sqlite":
        uri = f"sqlite:///{tmp_path / 'before.sqlite3'}"
    else:
        uri = _create_database(request.getfixturevalue("postgres_url"), "makerlab_codes")
    _flask(uri, "upgrade", "0009")
    engine = sa.create_engine(uri)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO sites (name, timezone, address, opening_hours, "
                             "created_at) VALUES ('Jugendhaus Nord', 'Europe/Berlin', '', "
                             "'{}', CURRENT_TIMESTAMP)"))
        rows = [
            ("Synth 1", "synth_kit", "Passage 13"),
            ("Podcast 1", "podcast_kit", "Passage 13"),
            ("Synth 2", "synth_kit", "Passage 13"),
            ("Podcast Nord", "podcast_kit", "Jugendhaus Nord"),
            ("3D-Drucker", "3d_printer", "Passage 13"),
        ]
        for name, category, site in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO equipment (site_id, name, category, location, status, loanable, "
                    "requires_induction, buffer_minutes, notes, created_at) SELECT id, :name, "
                    ":category, '', 'available', true, false, 0, '', CURRENT_TIMESTAMP "
                    "FROM sites WHERE name = :site"
                ),
                {"name": name, "category": category, "site": site},
            )
        # A booking holds a foreign key to its unit: the migration must not rebuild the table.
        conn.execute(
            sa.text(
                "INSERT INTO bookings (equipment_id, starts_at, ends_at, blocked_until, purpose, "
                "status, return_note, created_at, updated_at) SELECT id, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP + INTERVAL '1 hour', CURRENT_TIMESTAMP + INTERVAL '1 hour', "
                "'', 'returned', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM equipment"
                if backend != "sqlite"
                else "INSERT INTO bookings (equipment_id, starts_at, ends_at, blocked_until, "
                "purpose, status, return_note, created_at, updated_at) SELECT id, "
                "'2026-01-01 10:00:00', '2026-01-01 11:00:00', '2026-01-01 11:00:00', '', "
                "'returned', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM equipment"
            )
        )
    _flask(uri, "upgrade")
    _flask(uri, "check")
    # And back, and up again: the codes are given the same way.
    _flask(uri, "downgrade", "0009")
    _flask(uri, "upgrade")
    with engine.connect() as conn:
        codes = dict(conn.execute(sa.text("SELECT name, code FROM equipment")).all())
        contents = conn.execute(sa.text("SELECT contents FROM equipment")).scalars().all()
    engine.dispose()
    assert codes == {
        "Synth 1": "P13-SK1",
        "Podcast 1": "P13-PK1",
        "Synth 2": "P13-SK2",
        "Podcast Nord": "JN-PK1",
        "3D-Drucker": "P13-3DP1",
    }
    assert all(json.loads(c) == [] if isinstance(c, str) else c == [] for c in contents)


def test_units_added_together_are_numbered_in_the_order_they_were_added(app: Any) -> None:
    units = [
        Equipment(site_id=1, name=name, category="3d_printer")
        for name in ("Prusa 1", "Prusa 2", "Bambu", "Anycubic")
    ]
    db.session.add_all(units)
    db.session.commit()
    assert [u.code for u in units] == ["P13-3DP1", "P13-3DP2", "P13-3DP3", "P13-3DP4"]

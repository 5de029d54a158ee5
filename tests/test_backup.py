from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from makerlab.extensions import db
from makerlab.schools.models import School


def test_backup_and_restore_round_trip(runner: Any, make_school: Any, tmp_path: Path) -> None:
    make_school(name="Grundschule Am Kirchteich")
    target = tmp_path / "makerlab.backup"
    result = runner.invoke(args=["backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # children's data: owner only

    make_school(name="Added after the backup")
    db.session.execute(sa.delete(School).where(School.name == "Grundschule Am Kirchteich"))
    db.session.commit()
    db.session.remove()

    result = runner.invoke(args=["restore", str(target)])  # as in SPEC; no terminal, no question
    assert result.exit_code == 0, result.output
    names = set(db.session.scalars(sa.select(School.name)))
    assert names == {"Grundschule Am Kirchteich"}


def test_backups_are_private_whatever_the_umask(runner: Any, tmp_path: Path) -> None:
    target = tmp_path / "old.backup"
    target.write_text("an older backup, world-readable")
    target.chmod(0o644)
    previous = os.umask(0o000)
    try:
        result = runner.invoke(args=["backup", "--output", str(target)])
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

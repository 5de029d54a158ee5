from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from makerlab import create_app
from makerlab.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_match_the_models(app: Any) -> None:
    """`flask db check`: the migrations produce exactly the models' schema."""
    from flask_migrate import check

    check()  # raises (exit) if autogenerate would find changes


def test_default_site_exists_after_migrating(app: Any) -> None:
    from makerlab.sites.models import Site

    site = db.session.scalar(sa.select(Site))
    assert site.name == "Passage 13" and site.timezone == "Europe/Berlin"


def test_exclusion_constraint_on_postgres(app: Any, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    names = db.session.scalars(
        sa.text("SELECT conname FROM pg_constraint WHERE contype = 'x'")
    ).all()
    assert "ex_bookings_no_overlap" in names


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            {
                "PRODUCTION": True,
                "SECRET_KEY": None,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3",
            }
        )


def test_development_secret_key_is_generated_once(app: Any) -> None:
    key_file = Path(app.instance_path) / "secret_key"
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    assert other.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(other.config["SECRET_KEY"]) >= 32


def test_environment_configuration(tmp_path: Path) -> None:
    code = (
        "from makerlab import create_app; a = create_app();"
        "print(a.config['TIMEZONE'], a.config['RETENTION_MONTHS'], a.config['MAIL_PORT'])"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "MAKERLAB_TIMEZONE": "Europe/Vienna",
        "MAKERLAB_RETENTION_MONTHS": "12",
        "MAKERLAB_MAIL_PORT": "2525",
        "MAKERLAB_SECRET_KEY": "x" * 32,
        "MAKERLAB_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["Europe/Vienna", "12", "2525"]


@pytest.mark.own_app
def test_internal_errors_do_not_leak(app: Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/api/v1/_boom")
    def boom() -> str:
        raise ValueError("secret internals")

    from makerlab.auth.models import User
    from makerlab.auth.passwords import hash_password
    from makerlab.auth.services import issue_token

    user = User(email="a@b.example", role="admin", password_hash=hash_password("x" * 12))
    db.session.add(user)
    db.session.flush()
    token = issue_token(user)
    db.session.commit()
    response = app.test_client().get("/api/v1/_boom", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert "secret internals" not in response.get_data(as_text=True)


def test_translation_catalogues_are_complete() -> None:
    """Every text in code and templates is translated to German and listed for English."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    method_map = [
        ("makerlab/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    wanted = set()
    for _f, _l, message, _c, _ctx in extract_from_dir(str(ROOT), method_map, keywords=keywords):
        wanted.add(message if isinstance(message, str) else message[0])
    for lang in ("de", "en"):
        path = ROOT / "makerlab" / "translations" / lang / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as fh:
            catalogue = read_po(fh)
        translated = {
            (m.id if isinstance(m.id, str) else m.id[0])
            for m in catalogue
            if m.id
            and (m.string if isinstance(m.string, str) else all(m.string))
            and "fuzzy" not in m.flags
        }
        missing = sorted(wanted - translated)
        assert not missing, f"{lang}: untranslated {missing[:10]}"

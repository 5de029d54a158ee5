"""Static files: a content hash in every URL, so browsers fetch each version once.

``url_for("static", filename=...)`` gains ``?v=<hash of the file>`` (computed
once at start-up); a request carrying the current hash is answered with a year's
``immutable`` lifetime, any other with Flask's default (revalidate each time).
A new deployment changes the hash of every changed file, hence its URL.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

VERSIONED_CACHE_CONTROL = "public, max-age=31536000, immutable"
# /favicon.ico is asked for by browsers at a fixed address: cached a day, not a year.
FAVICON_MAX_AGE = 86400

bp = Blueprint("assets", __name__)


def content_hashes(folder: Path) -> dict[str, str]:
    """``{"vendor/bootstrap.min.css": "3f2a9c1b0d4e", ...}`` for every file under ``folder``."""
    hashes = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return hashes


def _hashes() -> dict[str, str]:
    return current_app.extensions["static_hashes"]  # type: ignore[no-any-return]


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "v" not in values:
        digest = _hashes().get(str(values.get("filename", "")))
        if digest:
            values["v"] = digest


def _cache_versioned(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    version = request.args.get("v")
    if version and version == _hashes().get(filename):
        response.headers["Cache-Control"] = VERSIONED_CACHE_CONTROL
        response.headers.pop("Expires", None)
    return response


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it on every site, whatever the page links."""
    response = current_app.send_static_file("brand/favicon.ico")
    response.headers["Cache-Control"] = f"public, max-age={FAVICON_MAX_AGE}"
    return response


def init_app(app: Flask) -> None:
    assert app.static_folder is not None
    app.extensions["static_hashes"] = content_hashes(Path(app.static_folder))
    app.url_defaults(_add_version)
    app.after_request(_cache_versioned)
    app.register_blueprint(bp)

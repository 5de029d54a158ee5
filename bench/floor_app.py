"""The framework floor: a minimal Flask app with one JSON route.

``bench/load.py`` serves it with the same gunicorn settings as Makerlab and
sends it the same read requests (same paths, query strings, cookies and
headers); every path answers the same small JSON document. Its throughput is
what Flask, gunicorn and the client manage with no application work at all.

    gunicorn -c gunicorn.conf.py --pythonpath bench floor_app:app
"""

from __future__ import annotations

from typing import Any

from flask import Flask

app = Flask(__name__)


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def floor(path: str) -> dict[str, Any]:
    """One small JSON document for any path."""
    return {"status": "ok", "path": path}

"""Static files: versioned URLs fetched once per version, a favicon, the brand mark."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from flask import Flask

from makerlab.assets import VERSIONED_CACHE_CONTROL

STATIC = Path(__file__).resolve().parent.parent / "makerlab" / "static"
STATIC_URL = re.compile(r"""(?:href|src)="(/static/[^"]+)\"""")


def fetch(client: Any, url: str, **kwargs: Any) -> Any:
    """A response whose file is read and closed (static files are streamed)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def _pages(app: Flask) -> list[str]:
    """Every HTML page of the app that takes no path argument."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in (rule.methods or ()):
            continue
        if rule.rule.startswith(("/api/", "/static")) or rule.rule.endswith((".ics", ".ico")):
            continue
        urls.append(rule.rule)
    return sorted(urls)


def test_every_page_links_versioned_static_files_kept_a_year(
    app: Flask, client: Any, login_as: Any
) -> None:
    found: dict[str, str] = {}
    login_page = client.get("/login").get_data(as_text=True)
    found.update(dict.fromkeys(STATIC_URL.findall(login_page), "/login"))
    login_as("admin")
    pages = 0
    for url in _pages(app):
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            pages += 1
            found.update(dict.fromkeys(STATIC_URL.findall(response.get_data(as_text=True)), url))
    assert pages > 10
    assert any("bookings.css" in u for u in found) and any("brand/mark.svg" in u for u in found)
    for static_url, page in found.items():
        path, _sep, query = static_url.partition("?")
        name = path.removeprefix("/static/")
        digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
        assert query == f"v={digest}", (page, static_url)
        answer = fetch(client, static_url)
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == VERSIONED_CACHE_CONTROL, static_url


def test_an_unversioned_or_stale_url_is_revalidated(client: Any) -> None:
    for url in ("/static/app.css", "/static/app.css?v=000000000000"):
        answer = fetch(client, url)
        assert answer.status_code == 200
        assert "immutable" not in answer.headers["Cache-Control"]
        assert "no-cache" in answer.headers["Cache-Control"]
        etag = answer.headers["ETag"]
        assert fetch(client, url, headers={"If-None-Match": etag}).status_code == 304


def test_favicon_and_brand_mark(client: Any) -> None:
    icon = fetch(client, "/favicon.ico")
    assert icon.status_code == 200
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert icon.headers["Cache-Control"] == "public, max-age=86400"
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/brand/mark.svg?v=' in page
    assert 'rel="icon" href="/favicon.ico"' in page
    mark = fetch(client, re.search(r'href="(/static/brand/mark.svg[^"]*)"', page)[1])  # type: ignore[index]
    assert mark.status_code == 200 and mark.mimetype == "image/svg+xml"

"""One voice, one date style, no internal names: the visible text of each role's pages in German.

The pages and the scene are the accessibility test's (every role's main pages).
Each page's visible text is scanned for what a person must never read: a slug or
field name (``laser_cutter``, ``checked_out``, ``starts_at``), an ISO or US date,
an ISO week code, a du-form, or a template leftover. Rendering does not depend on
the database, so this runs on SQLite only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.test_accessibility import PAGES, enter_as
from tests.browser.test_accessibility import scene as scene  # noqa: F401 (the shared fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.served,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]

EMAIL = re.compile(r"\S+@\S+")
FORBIDDEN: dict[str, re.Pattern[str]] = {
    "internal name": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "US date": re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b"),
    "ISO week": re.compile(r"\b\d{4}-W\d{2}\b"),
    "du-form": re.compile(r"\bdu\b|\bdein|\bdir\b", re.IGNORECASE),
    "leftover": re.compile(r"\bNone\b|\bnan\b|\{\{|%\(|\bTrue\b|\bFalse\b"),
    "English status": re.compile(r"\b(reserved|checked out|returned|cancelled|pending)\b"),
}


def findings(url: str, text: str) -> list[str]:
    text = EMAIL.sub(" ", text)
    found = []
    for name, pattern in FORBIDDEN.items():
        for match in pattern.finditer(text):
            context = text[max(0, match.start() - 40): match.end() + 40].replace("\n", " / ")
            found.append(f"{url}: {name} {match.group(0)!r} in …{context}…")
    return found


@pytest.mark.parametrize("role", list(PAGES))
def test_german_pages_speak_one_voice_without_internal_names(
    role: str,
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    scene: dict[str, Any],  # noqa: F811
    commit: Callable[[], None],
) -> None:
    enter_as(role, scene, make_user, commit, log_in)
    found = []
    for template in PAGES[role]:
        url = template.format(**scene)
        response = page.goto(url)
        assert response is not None and response.ok, url
        found += findings(url, page.inner_text("body"))
    assert not found, "\n".join(found)

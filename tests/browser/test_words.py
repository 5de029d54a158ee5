"""One voice, one date style, no internal names: the visible text of each role's pages in German.

The pages and the scene are the accessibility test's (every role's main pages).
Each page's visible text is scanned for what a person must never read
(``tests/words.py``: a slug or field name, an ISO or US date, an ISO week code, a
du-form, an English status or a template leftover); what pages say after a form
is sent is scanned by ``tests/test_words_after_post.py``. Rendering does not depend on
the database, so this runs on SQLite only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.test_accessibility import PAGES, enter_as
from tests.browser.test_accessibility import scene as scene  # noqa: F401 (the shared fixture)
from tests.words import findings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.served,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]


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

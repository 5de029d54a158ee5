from __future__ import annotations

from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest

from tests.conftest import TEST_PASSWORD


def test_login_follows_through_to_the_dashboard(client: Any, make_user: Any) -> None:
    user = make_user("coordinator")
    page = client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD},
        follow_redirects=True,
    )
    assert page.status_code == 200
    assert user.name in page.get_data(as_text=True)


EVIL_NEXT = [
    "/\t/evil.example",
    "/%09/evil.example",
    "\t//evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "\n/evil.example",
    "/\r\n/evil.example",
    "%0A//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    " //evil.example",
    "/\x00/evil.example",
]


def _stays_here(location: str) -> bool:
    """A Location a browser resolves on this site (after dropping tabs and line breaks)."""
    seen = "".join(ch for ch in location if ch not in "\t\r\n").replace("\\", "/").strip()
    return urlsplit(urljoin("http://makerlab.test/login", seen)).hostname == "makerlab.test"


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_login_never_redirects_off_site(client: Any, make_user: Any, target: str) -> None:
    user = make_user("coordinator")
    response = client.post(
        f"/login?next={quote(target, safe='')}",
        data={"email": user.email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert _stays_here(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_language_switch_never_redirects_off_site(client: Any, target: str) -> None:
    response = client.post("/language/en", data={"next": target})
    assert response.status_code == 302
    assert _stays_here(response.headers["Location"]), response.headers["Location"]


def test_same_site_paths_are_followed(client: Any, make_user: Any) -> None:
    user = make_user("coordinator")
    response = client.post(
        f"/login?next={quote('/bookings/mine?week=2027-W10', safe='')}",
        data={"email": user.email, "password": TEST_PASSWORD},
    )
    assert response.headers["Location"] == "/bookings/mine?week=2027-W10"
    back = client.post("/language/en", data={"next": "/workshops"})
    assert back.headers["Location"] == "/workshops"

from __future__ import annotations

from typing import Any

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

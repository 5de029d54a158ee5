"""The lending desk in Chromium: a USB scanner's typed code, two taps to hand a kit out,
the checklist to take it back, axe-core, and the camera scanner (a fake camera films a label)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image
from playwright.sync_api import expect

from makerlab.bookings.models import Booking
from makerlab.extensions import db
from tests.browser.conftest import local, next_open_day
from tests.browser.test_accessibility import AXE, BLOCKING, WCAG_TAGS
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.served]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def kit_to_lend(
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_participant: Callable[..., Any],
    commit: Callable[[], None],
) -> dict[str, Any]:
    """A podcast kit with its contents, booked for Zoe on the next open day."""
    worker = make_user("youth_worker", name="Jo")
    kit = make_unit(
        name="Podcast-Koffer 1",
        category="podcast_kit",
        loanable=True,
        contents=[{"item": "Mikrofon", "count": 2}, {"item": "Aufnahmegerät", "count": 1}],
    )
    zoe = make_participant(first_name="Zoe", last_name="Brandt")
    day = next_open_day(dt.time(10, 0), dt.time(12, 0))
    booking = Booking(
        equipment_id=kit.id,
        starts_at=local(day, dt.time(10, 0)),
        ends_at=local(day, dt.time(12, 0)),
        blocked_until=local(day, dt.time(12, 0)),
        purpose="Podcast-AG",
        booked_by_id=worker.id,
    )
    booking.participants = [zoe]
    db.session.add(booking)
    commit()
    return {"worker": worker, "kit": kit, "code": kit.code, "booking": booking.id}


def axe_findings(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        f"{v['impact']} {v['id']}: {node['target']}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def test_a_typed_scan_and_one_tap_hand_the_kit_out_then_the_checklist_takes_it_back(
    page: Any,
    log_in: Callable[[Any], None],
    kit_to_lend: dict[str, Any],
    commit: Callable[[], None],
) -> None:
    log_in(kit_to_lend["worker"])
    page.set_viewport_size(PHONE)
    page.goto("/bookings/loans")
    page.get_by_role("link", name="An der Ausleihtheke scannen").click()
    field = page.get_by_label("Etikett scannen oder Code eintippen")
    expect(field).to_be_focused()
    # A USB scanner types the code and Enter.
    field.press_sequentially(kit_to_lend["code"])
    field.press("Enter")
    expect(page.get_by_role("heading", name="Podcast-Koffer 1")).to_be_visible()
    hand_out = page.get_by_role("button", name="An Zoe Brandt ausgeben")
    expect(hand_out).to_be_visible()
    hand_out.click()  # one tap after the scan
    flash = page.get_by_role("status")
    expect(flash).to_have_text("Podcast-Koffer 1 ausgegeben.")
    expect(page.get_by_text("Bei Zoe Brandt")).to_be_visible()
    commit()
    booking = db.session.get(Booking, kit_to_lend["booking"])
    assert booking is not None and booking.status == "checked_out"

    # Back at the desk: the field is ready for the next scan, and the kit's checklist waits.
    expect(page.get_by_label("Etikett scannen oder Code eintippen")).to_be_focused()
    page.get_by_label("2 × Mikrofon").check()
    page.get_by_label("1 × Aufnahmegerät").check()
    page.get_by_role("button", name="Zurücknehmen").click()
    expect(page.get_by_role("status")).to_have_text("Podcast-Koffer 1 ist zurück.")
    commit()
    booking = db.session.get(Booking, kit_to_lend["booking"])
    assert booking is not None and booking.status == "returned"
    assert booking.return_condition == "ok" and booking.return_missing == []


def test_the_desk_passes_axe_at_phone_and_desktop_width(
    browser: Any,
    base_url: str,
    kit_to_lend: dict[str, Any],
) -> None:
    context = browser.new_context(base_url=base_url, locale="de-DE", bypass_csp=True)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("E-Mail").fill(kit_to_lend["worker"].email)
        page.get_by_label("Passwort").fill(TEST_PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Anmelden").click()
        page.wait_for_url(lambda url: "/login" not in url)
        found: list[str] = []
        for width, height in ((1366, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            for url in (f"/desk?code={kit_to_lend['code']}", "/desk?code=P13-NOPE", "/desk"):
                page.goto(url)
                found += [f"{width} {url}: {line}" for line in axe_findings(page)]
        assert not found, "\n".join(found)
    finally:
        context.close()


def test_the_camera_scanner_loads_under_the_content_security_policy(
    page: Any, log_in: Callable[[Any], None], kit_to_lend: dict[str, Any]
) -> None:
    """No inline script, no CDN: desk.js and the vendored jsQR load from the app itself."""
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    log_in(kit_to_lend["worker"])
    page.goto("/desk")
    expect(page.get_by_role("button", name="Mit der Kamera scannen")).to_be_visible()
    assert page.evaluate("typeof window.jsQR") == "function"
    assert refused == []


def _camera_film(text: str, path: Path) -> Path:
    """A short Y4M film of a label held in front of the camera, for Chromium's fake camera."""
    width, height = 640, 480
    frame = Image.new("RGB", (width, height), "white")
    code = segno.make(text, error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=8, border=4)
    qr = Image.open(buffer).convert("RGB")
    frame.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as film:
        film.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            film.write(b"FRAME\n" + planes)
    return path


def test_a_phone_camera_reads_the_label_and_two_taps_hand_the_kit_out(
    browser_type: Any,
    base_url: str,
    kit_to_lend: dict[str, Any],
    tmp_path: Path,
    commit: Callable[[], None],
) -> None:
    """Chromium's fake camera films a label; jsQR (Linux Chromium has no BarcodeDetector)
    reads the label's address, the desk shows the kit, and it goes to the booked child."""
    film = _camera_film(f"{base_url}/u/{kit_to_lend['code']}", tmp_path / "label.y4m")
    browser = browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[
            *CHROMIUM_FLAGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={film}",
        ],
    )
    try:
        context = browser.new_context(base_url=base_url, locale="de-DE", viewport=PHONE)
        context.grant_permissions(["camera"])
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("E-Mail").fill(kit_to_lend["worker"].email)
        page.get_by_label("Passwort").fill(TEST_PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Anmelden").click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto("/desk")
        page.get_by_role("button", name="Mit der Kamera scannen").click()  # tap 1
        expect(page.get_by_role("heading", name="Podcast-Koffer 1")).to_be_visible()
        assert page.url.endswith(f"/desk?code={kit_to_lend['code']}")
        page.get_by_role("button", name="An Zoe Brandt ausgeben").click()  # tap 2
        expect(page.get_by_role("status")).to_have_text("Podcast-Koffer 1 ausgegeben.")
        commit()
        booking = db.session.get(Booking, kit_to_lend["booking"])
        assert booking is not None and booking.status == "checked_out"
    finally:
        browser.close()

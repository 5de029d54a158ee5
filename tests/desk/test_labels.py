"""Label sheets: the QR code on each label reads back as the unit's /u/<code> address."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import zxingcpp

from tests.participants.test_consent_paper import pdf_text, rasterise

EN = {"Accept-Language": "en"}

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm missing (apt-get install poppler-utils)"
)


def test_a_sheet_of_labels_whose_codes_open_the_units(
    client: Any, login_as: Any, make_kit: Any, make_unit: Any, tmp_path: Path
) -> None:
    login_as("youth_worker")
    kit = make_kit(name="Podcast-Koffer 2")
    printer = make_unit(name="Prusa MK4 mit einem sehr langen Namen für das Etikett")
    response = client.get(f"/equipment/labels.pdf?ids={kit.id},{printer.id}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pdf = response.get_data()
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert "Podcast-Koffer 2" in text and kit.code in text and printer.code in text
    page = rasterise(pdf, tmp_path / "page", dpi=200)
    assert page.size[0] < page.size[1]  # A4 upright
    codes = zxingcpp.read_barcodes(page)
    assert sorted(c.text for c in codes) == sorted(
        [f"http://localhost/u/{kit.code}", f"http://localhost/u/{printer.code}"]
    )
    # The address a label holds opens the unit.
    opened = client.get(f"/u/{kit.code}")
    assert opened.headers["Location"].endswith(f"/equipment/{kit.id}")


def test_more_than_24_labels_take_a_second_sheet(
    client: Any, login_as: Any, make_unit: Any, tmp_path: Path
) -> None:
    login_as("coordinator")
    units = [make_unit(name=f"Kit {n}", category="synth_kit") for n in range(25)]
    ids = "&".join(f"ids={u.id}" for u in units)  # the list's checkboxes send ids=1&ids=2
    response = client.get(f"/equipment/labels.pdf?{ids}")
    assert response.status_code == 200
    text = pdf_text(response.get_data(), tmp_path)
    assert text.count("\f") == 2  # two pages
    assert "P13-SK25" in text


def test_public_url_names_the_host_on_labels(
    app: Any, client: Any, login_as: Any, make_kit: Any, tmp_path: Path
) -> None:
    app.config["PUBLIC_URL"] = "https://makerlab.example.org/"
    login_as("youth_worker")
    kit = make_kit()
    pdf = client.get(f"/equipment/labels.pdf?ids={kit.id}").get_data()
    [code] = zxingcpp.read_barcodes(rasterise(pdf, tmp_path, dpi=200))
    assert code.text == f"https://makerlab.example.org/u/{kit.code}"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Please choose at least one unit to print labels for."),
        ("?ids=", "Please choose at least one unit to print labels for."),
        ("?ids=1,abc", "Not a unit number: abc."),
        ("?ids=-3", "Not a unit number: -3."),
        ("?ids=99999999999", "Not a unit number: 99999999999."),
        ("?ids=999", "No unit has the number 999."),
        ("?ids=" + ",".join(str(n) for n in range(1, 502)), "Please print at most 500 labels"),
    ],
)
def test_bad_ids_get_a_clear_answer(
    client: Any, login_as: Any, make_unit: Any, query: str, message: str
) -> None:
    login_as("youth_worker")
    make_unit()
    response = client.get(f"/equipment/labels.pdf{query}", headers=EN)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_the_equipment_list_prints_all_or_chosen_labels(
    client: Any, login_as: Any, make_kit: Any, make_unit: Any
) -> None:
    login_as("youth_worker")
    kit = make_kit()
    printer = make_unit()
    page = client.get("/equipment/", headers=EN).get_data(as_text=True)
    # In the order of the list: category, then name.
    assert f'href="/equipment/labels.pdf?ids={printer.id},{kit.id}"' in page
    assert 'id="labels-form"' in page and f'name="ids" value="{kit.id}" form="labels-form"' in page
    assert kit.code in page and "Print labels for all 2 units shown" in page

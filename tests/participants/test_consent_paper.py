"""The paper consent form: an A4 PDF whose QR code opens the guardian's page."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from makerlab import clock
from makerlab.extensions import db
from makerlab.participants.models import ConsentRequest, Participant

NOW = dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC)
EN = {"Accept-Language": "en"}

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm missing (apt-get install poppler-utils)"
)


def rasterise(pdf: bytes, folder: Path, dpi: int = 150) -> Image.Image:
    """The first page of ``pdf`` as an image, as a printer would see it."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "form.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            str(source),
            str(folder / "page"),
        ],
        check=True,
    )
    return Image.open(next(folder.glob("page*.png")))


def pdf_text(pdf: bytes, folder: Path) -> str:
    source = folder / "text.pdf"
    source.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def child(app: Any, make_participant: Any) -> Participant:
    clock.set_frozen(NOW)
    return make_participant(
        first_name="Mia",
        last_name="Kowalczyk",
        birth_date=dt.date(2014, 6, 1),
        guardian_consent=False,
    )


def test_the_printed_qr_code_opens_the_guardians_page(
    client: Any, login_as: Any, child: Participant, tmp_path: Path
) -> None:
    login_as("youth_worker")
    response = client.get(f"/participants/{child.id}/consent-form.pdf", headers=EN)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Kowalczyk" not in response.headers["Content-Disposition"]
    pdf = response.get_data()
    text = pdf_text(pdf, tmp_path)
    for words in (
        "Consent of the parent or guardian",
        "Mia Kowalczyk",
        "Taking part",
        "Photos and audio",
        "Going home alone",
        "Contact for evaluation",
        "Signature",
        "Passage 13",
    ):
        assert words in text, words
    page = rasterise(pdf, tmp_path)
    assert page.size[0] < page.size[1]  # portrait
    width_mm = page.size[0] / 150 * 25.4
    assert 205 < width_mm < 215  # A4
    codes = zxingcpp.read_barcodes(page)
    assert len(codes) == 1 and codes[0].format == zxingcpp.BarcodeFormat.QRCode
    url = codes[0].text
    assert url.startswith("http://localhost/consent/")
    assert client.get(url.removeprefix("http://localhost")).status_code == 200
    # Printed again: the same link, no new one.
    again = client.get(f"/participants/{child.id}/consent-form.pdf")
    assert zxingcpp.read_barcodes(rasterise(again.get_data(), tmp_path / "again"))[0].text == url
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRequest)) == 1


def test_a_link_about_to_expire_is_renewed_for_printing(
    client: Any, login_as: Any, child: Participant, tmp_path: Path
) -> None:
    login_as("youth_worker")
    first = client.get(f"/participants/{child.id}/consent-form.pdf")
    url = zxingcpp.read_barcodes(rasterise(first.get_data(), tmp_path))[0].text
    clock.set_frozen(NOW + dt.timedelta(days=20))  # 10 days left: too short for paper
    second = client.get(
        f"/participants/{child.id}/consent-form.pdf", headers={"Accept-Language": "de"}
    )
    assert second.status_code == 200
    renewed = zxingcpp.read_barcodes(rasterise(second.get_data(), tmp_path / "2"))[0].text
    assert renewed != url
    assert client.get(renewed.removeprefix("http://localhost")).status_code == 200
    assert client.get(url.removeprefix("http://localhost")).status_code == 404
    text = pdf_text(second.get_data(), tmp_path)
    assert "Einwilligung der Erziehungsberechtigten" in text and "Unterschrift" in text


def test_the_form_prints_in_the_familys_language(
    client: Any, login_as: Any, child: Participant, tmp_path: Path
) -> None:
    login_as("youth_worker")
    pdf = client.get(f"/participants/{child.id}/consent-form.pdf?lang=de", headers=EN).get_data()
    assert "Einwilligung der Erziehungsberechtigten" in pdf_text(pdf, tmp_path)
    assert client.get(f"/participants/{child.id}/consent-form.pdf").status_code == 200

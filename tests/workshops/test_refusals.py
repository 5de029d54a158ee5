"""An enrolment refused for several reasons names them all, on top of the form."""

from __future__ import annotations

import re
from typing import Any

from makerlab.extensions import db
from makerlab.workshops.models import Enrolment


def test_an_enrolment_without_birth_date_or_consent_hears_of_both(
    client: Any, login_as: Any, frozen: Any, make_session: Any, make_participant: Any
) -> None:
    session = make_session()
    child = make_participant(first_name="Mila", last_name="Ohne", birth_date=None,
                             guardian_consent=False)
    login_as("youth_worker")
    refused = client.post(
        f"/sessions/{session.id}/enrol-participant", data={"participant_id": child.id}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    box = re.search(r'<div class="alert alert-danger ml-refusal".*?</div>', html, re.S)
    assert box
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", box.group(0)))
    assert "Die teilnehmende Person wurde nicht eingeschrieben." in text
    assert "Für Mila Ohne ist kein Geburtsdatum erfasst" in text
    assert "Einwilligung" in text
    assert db.session.query(Enrolment).count() == 0

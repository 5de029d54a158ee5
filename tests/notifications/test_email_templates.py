"""E-mail templates: both languages, text and HTML, every text translated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from flask import Flask

from makerlab.notifications.emails import render_email
from makerlab.notifications.reminders import when

ROOT = Path(__file__).resolve().parents[2]
EMAILS = ROOT / "templates" / "emails"
START = dt.datetime(2027, 3, 11, 14, 0, tzinfo=dt.UTC)

CONTEXTS = {
    "booking_reminder": {"user_name": "Anna", "unit_name": "Lasercutter", "unit_location": "Halle",
                         "site_name": "Passage 13", "site_address": "Passage 13, Halle",
                         "purpose": "", "loanable": True},
    "session_reminder": {"workshop_title": "Löten", "workshop_description": "", "school_name": "GS",
                         "class_name": "7b", "headcount": 20, "site_name": "Passage 13",
                         "site_address": "", "location": "Raum 1"},
    "overdue_kit": {"user_name": "Kai", "is_booker": False, "booker_name": "Anna",
                    "unit_name": "Podcast-Kit", "site_name": "Passage 13", "booking_id": 7,
                    "overdue_days": 2},
    "weekly_report": {"user_name": "Jens", "week": "2027-W10", "link": "http://x/r",
                      "has_pdf": True},
    "induction_expiry": {"user_name": "Kai", "inductions": [
        {"name": "Ayla Muster", "category": "Lasercutter", "valid_until": "31.03.2027",
         "days": 30, "link": "http://x/participants/1"}]},
    "booking_cancelled": {"user_name": "Kai", "unit": "Podcast-Koffer 1", "reason": "defekt",
                          "dates": [{"day": "11.03.2027", "start": "15:00", "end": "17:00",
                                     "end_day": ""}]},
}
ENROLMENT = {"workshop_title": "Löten", "site_name": "Passage 13", "site_address": "",
             "location": "Raum 1", "school_name": "GS", "class_name": "7b", "seats": 20,
             "participant_name": None, "has_calendar": True, "position": 2, "too_large": False,
             "waitlisted": False, "reason": "Krankheit"}
for _name in ("enrolment_confirmed", "enrolment_waitlisted", "enrolment_promoted",
              "enrolment_cancelled", "session_changed", "session_cancelled"):
    CONTEXTS[_name] = ENROLMENT


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_reminder_templates_render_text_and_html_in_both_languages(
    app: Flask, template: str
) -> None:
    subjects = {}
    for locale in ("de", "en"):
        context = dict(CONTEXTS[template])
        context["when"] = context["due"] = when(START, START + dt.timedelta(hours=2),
                                                "Europe/Berlin", locale)
        subject, text, html = render_email(template, locale, **context)
        assert subject and "\n" not in subject
        assert "Passage 13" in text and html is not None and "Passage 13" in html
        assert f'lang="{locale}"' in html
        subjects[locale] = subject
    assert subjects["de"] != subjects["en"]


def test_every_text_in_plain_text_mails_is_translated_to_german() -> None:
    """babel.cfg extracts HTML templates only: a text only in a .txt mail would stay English."""
    with (ROOT / "makerlab/translations/de/LC_MESSAGES/messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale="de")
    missing = []
    for path in sorted(EMAILS.glob("*.txt")):
        for _line, message, _comments, _context in extract_from_file(
            "jinja2", str(path), keywords={"_": None, "gettext": None, "ngettext": (1, 2)}
        ):
            msgid = message if isinstance(message, str) else message[0]
            entry = catalogue.get(msgid)
            if entry is None or not entry.string:
                missing.append(f"{path.name}: {msgid}")
    assert missing == []

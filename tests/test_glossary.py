"""The German catalogue speaks with one voice and one word per thing (docs/glossary.md)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.mofile import read_mo

from makerlab.categories import KNOWN

CATALOGUE = Path(__file__).parent.parent / "makerlab/translations/de/LC_MESSAGES/messages.mo"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|\{\w+\}")
DU_FORMS = re.compile(
    r"\b(du|dich|dir|dein\w*)\b|\bgib |\bwähle |\bversuche es\b"
    r"|\b(kreuze|klicke|drücke|tippe|scanne|prüfe|öffne|nutze)\b",
    re.I,
)
SLUG = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
# One word per thing: the words the glossary replaced.
OTHER_WORDS = re.compile(
    r"Sorgeberechtigt|Einverständnis|\bEltern\b|Teilnehmer\*in|Teilnehmende\*r"
    r"|Sicherheitseinweisung|Geräteart|verlieh|registrier|(?<!-)\bKoffer"
)


def german() -> list[tuple[str, str]]:
    """(msgid, German text) for every translated message, plural forms each on their own."""
    with CATALOGUE.open("rb") as fh:
        catalogue = read_mo(fh)
    pairs = []
    for message in catalogue:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        texts = [message.string] if isinstance(message.string, str) else list(message.string)
        pairs.extend((msgid, PLACEHOLDER.sub("", text)) for text in texts)
    return pairs


def test_no_du_forms() -> None:
    found = [(msgid, text) for msgid, text in german() if DU_FORMS.search(text)]
    assert not found, found


def test_no_slugs_or_field_names() -> None:
    slugs = set(KNOWN) | {"starts_at", "ends_at", "participant_ids", "equipment_id"}
    found = [
        (msgid, text) for msgid, text in german()
        if SLUG.search(text) or any(re.search(rf"\b{s}\b", text) for s in slugs)
    ]
    assert not found, found


def test_one_word_per_thing() -> None:
    found = [(msgid, text) for msgid, text in german() if OTHER_WORDS.search(text)]
    assert not found, found
    # "Anmelden" is for logging in only; enrolling is "einschreiben".
    enrolling = [
        (msgid, text) for msgid, text in german()
        if re.search(r"enrol", msgid, re.I) and re.search(r"anmeld|angemeldet", text, re.I)
    ]
    assert not enrolling, enrolling

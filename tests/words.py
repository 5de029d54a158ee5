"""What a person must never read on a page: shared by the wording tests.

A slug or field name (``laser_cutter``, ``checked_out``, ``starts_at``), an ISO
or US date, an ISO week code, a du-form, an English status or a template
leftover. :func:`findings` scans visible text; :func:`visible_text` gets it from
HTML served to the test client (text, and the attributes people read: titles,
labels for screen readers, placeholders and alternative texts).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

EMAIL = re.compile(r"\S+@\S+")
FORBIDDEN: dict[str, re.Pattern[str]] = {
    "internal name": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "US date": re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b"),
    "ISO week": re.compile(r"\b\d{4}-W\d{2}\b"),
    "du-form": re.compile(
        r"\bdu\b|\bdein|\bdir\b|\b(gib|wähle|kreuze|klicke|drücke|tippe|scanne|prüfe|öffne|nutze)\b",
        re.IGNORECASE,
    ),
    "leftover": re.compile(r"\bNone\b|\bnan\b|\{\{|%\(|\bTrue\b|\bFalse\b"),
    "English status": re.compile(r"\b(reserved|checked out|returned|cancelled|pending)\b"),
}
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")


def findings(where: str, text: str) -> list[str]:
    """One line per forbidden piece in ``text`` (e-mail addresses left out), with context."""
    text = EMAIL.sub(" ", text)
    found = []
    for name, pattern in FORBIDDEN.items():
        for match in pattern.finditer(text):
            context = text[max(0, match.start() - 40): match.end() + 40].replace("\n", " / ")
            found.append(f"{where}: {name} {match.group(0)!r} in …{context}…")
    return found


class _Text(HTMLParser):
    SKIP = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        self.parts.extend(value for name, value in attrs if name in READ_ATTRIBUTES and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The text of a page and the attributes people read, one piece a line."""
    parser = _Text()
    parser.feed(html)
    return "\n".join(part.strip() for part in parser.parts if part.strip())

"""Refresh the translation catalogues.

    python scripts/i18n.py [GERMAN_DICT.py ...]

Extracts every text from code and templates, updates the German and English
catalogues, copies each msgid to its English msgstr, merges German
translations from the given files (each defines ``T = {msgid: german}``; a
message with a context, from ``pgettext``, is keyed ``"context\x04msgid"``),
compiles, and lists German entries still untranslated.
"""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "makerlab" / "translations"
PYBABEL = str(Path(sys.executable).parent / "pybabel")


def main(dict_files: list[str]) -> int:
    pot = TRANSLATIONS / "messages.pot"
    subprocess.run(
        [
            PYBABEL,
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    subprocess.run(
        [PYBABEL, "-q", "update", "-i", str(pot), "-d", str(TRANSLATIONS), "--no-fuzzy-matching"],
        cwd=ROOT,
        check=True,
    )
    german: dict[str, object] = {}
    for f in dict_files:
        german.update(runpy.run_path(f)["T"])
    missing = []
    for lang in ("de", "en"):
        path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as fh:
            catalogue = read_po(fh, locale=lang)
        for msg in catalogue:
            if not msg.id:
                continue
            key = msg.id if isinstance(msg.id, str) else msg.id[0]
            if msg.context:  # pgettext: the key is "context\x04msgid", as in gettext
                key = f"{msg.context}\x04{key}"
            if lang == "en":
                msg.string = msg.id if isinstance(msg.id, str) else tuple(msg.id)
            elif key in german:
                value = german[key]
                msg.string = value if isinstance(msg.id, str) else tuple(value)  # type: ignore[arg-type]
            elif not (msg.string if isinstance(msg.string, str) else all(msg.string)):
                missing.append(key)
            msg.flags.discard("fuzzy")
        catalogue.obsolete.clear()
        with path.open("wb") as fh:
            write_po(fh, catalogue, width=100)
    subprocess.run([PYBABEL, "-q", "compile", "-d", str(TRANSLATIONS)], cwd=ROOT, check=True)
    for key in missing:
        print(f"untranslated (de): {key!r}")
    print(f"{len(missing)} German entries missing")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Equipment categories: what a category slug may look like, the usual ones and their names.

Units, inductions and workshops' equipment needs all name categories; they
check them here, so a workshop can never require a category no unit can have.
"""

from __future__ import annotations

import re

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

SLUG = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")

# The usual categories, offered in pickers even before a unit of them exists.
KNOWN: dict[str, LazyString] = {
    "3d_printer": _l("3D printer"),
    "laser_cutter": _l("Laser cutter"),
    "podcast_kit": _l("Podcast kit"),
    "synth_kit": _l("Synthesizer kit"),
    "vinyl_cutter": _l("Vinyl cutter"),
    "room": _l("Room"),
}


def is_slug(value: object) -> bool:
    """True if ``value`` can name a category (lower-case letters, digits and ``_``)."""
    return isinstance(value, str) and SLUG.match(value) is not None


def label(slug: str) -> str:
    """A category's name for people, in the current language (other slugs made readable)."""
    known = KNOWN.get(slug)
    return str(known) if known is not None else slug.replace("_", " ").capitalize()

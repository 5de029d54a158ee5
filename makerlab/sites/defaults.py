"""The site every installation starts with (also inserted by the first migration)."""

DEFAULT_SITE_NAME = "Passage 13"
DEFAULT_SITE_ADDRESS = "Passage 13, 06122 Halle (Saale)"
DEFAULT_TIMEZONE = "Europe/Berlin"
DEFAULT_OPENING_HOURS = {
    "mon": [["08:00", "20:00"]],
    "tue": [["08:00", "20:00"]],
    "wed": [["08:00", "20:00"]],
    "thu": [["08:00", "20:00"]],
    "fri": [["08:00", "20:00"]],
    "sat": [["10:00", "18:00"]],
    "sun": [],
}

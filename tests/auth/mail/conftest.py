"""Password and invitation mails go to a real SMTP server on loopback."""

from tests.notifications.helpers import app_config, smtp  # noqa: F401  (fixtures)

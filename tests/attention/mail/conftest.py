"""Mail after a move: a real SMTP server on loopback (the app is configured to use it)."""

from tests.notifications.helpers import (  # noqa: F401  (fixtures)
    app_config,
    job_app,
    smtp,
)

from tests.notifications.helpers import (  # noqa: F401  (fixtures)
    app_config,
    job_app,
    make_booking,
    smtp,
)

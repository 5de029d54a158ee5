"""Entry point for gunicorn and ``flask --app wsgi``."""

from makerlab import create_app

app = create_app()

"""Templated e-mail: render in the recipient's language, then queue.

Templates live in ``templates/emails/``: ``<name>.subject.txt`` (one line),
``<name>.txt`` (plain text, required) and ``<name>.html`` (optional). They
get ``centre_name``, ``centre_contact`` and whatever the caller passes.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound

from makerlab.notifications.models import Notification
from makerlab.notifications.outbox import enqueue


def render_email(template: str, locale: str, **context: Any) -> tuple[str, str, str | None]:
    """Subject, plain text and HTML (or None) of an e-mail in ``locale``."""
    context.setdefault("centre_name", current_app.config["CENTRE_NAME"])
    context.setdefault("centre_contact", current_app.config["CENTRE_CONTACT"])
    with force_locale(locale):
        subject = render_template(f"emails/{template}.subject.txt", **context).strip()
        text = render_template(f"emails/{template}.txt", **context)
        try:
            html: str | None = render_template(f"emails/{template}.html", **context)
        except TemplateNotFound:
            html = None
    return " ".join(subject.split()), text, html


def queue_email(
    *,
    dedupe_key: str,
    to: str,
    template: str,
    locale: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    **context: Any,
) -> Notification | None:
    """Render ``template`` for the recipient and put it in the outbox (once per key)."""
    # Unknown or missing language: the centre's default (German).
    language = str(locale if locale in current_app.config["LANGUAGES"]
                   else current_app.config["BABEL_DEFAULT_LOCALE"])
    subject, text, html = render_email(template, language, **context)
    return enqueue(
        dedupe_key=dedupe_key,
        kind=template,
        to=to,
        subject=subject,
        body_text=text,
        body_html=html,
        locale=language,
        attachments=attachments,
    )

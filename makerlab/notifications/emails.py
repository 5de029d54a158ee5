"""Templated e-mail: render in the recipient's language, then queue.

Templates live in ``templates/emails/``: ``<name>.subject.txt`` (one line),
``<name>.txt`` (plain text, required) and ``<name>.html`` (optional). They
get ``centre_name``, ``centre_contact`` and whatever the caller passes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from werkzeug.routing import BuildError

from makerlab import dates
from makerlab.auth.models import User
from makerlab.extensions import db
from makerlab.notifications.models import Notification
from makerlab.notifications.outbox import enqueue


def public_url(endpoint: str, fallback_path: str, **values: Any) -> str:
    """An absolute link into the app for e-mails (``PUBLIC_URL`` names the host)."""
    base = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not base:
        server = current_app.config.get("SERVER_NAME")
        scheme = current_app.config.get("PREFERRED_URL_SCHEME", "http")
        base = f"{scheme}://{server}" if server else "http://127.0.0.1:5000"
    with current_app.test_request_context("/", base_url=base):
        try:
            return url_for(endpoint, _external=True, **values)
        except BuildError:
            return base + fallback_path


def when(starts_at: dt.datetime, ends_at: dt.datetime, tz: str, locale: str) -> dict[str, str]:
    """Day and times of a range, in the site's zone and the reader's language."""
    return {
        "day": dates.day(starts_at, tz=tz, language=locale),
        "start": dates.time(starts_at, tz=tz, language=locale),
        "end": dates.time(ends_at, tz=tz, language=locale),
        "moment": dates.moment(starts_at, tz=tz, language=locale),
        "span": dates.span(starts_at, ends_at, tz=tz, language=locale),
    }


def locale_for_address(address: str) -> str:
    """The language of whoever reads ``address``: an active user's setting, else the default.

    Class contacts and guardians have no account, so they get the centre's
    language (German); a teacher who is the contact gets their own.
    """
    user = db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == address.strip().lower(),
                              User.active.is_(True))
    )
    languages = current_app.config["LANGUAGES"]
    if user is not None and user.locale in languages:
        return str(user.locale)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


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


def mail_language(locale: str | None) -> str:
    """The recipient's language; unknown or missing: the centre's default (German)."""
    config = current_app.config
    return str(locale if locale in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"])


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
    language = mail_language(locale)
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

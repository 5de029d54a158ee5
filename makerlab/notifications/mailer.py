"""SMTP delivery: turn an outbox row into a MIME message and hand it to the server."""

from __future__ import annotations

import base64
import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from flask import current_app

from makerlab.notifications.models import Notification


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): retrying will not help."""


class ServerUnavailable(OSError):
    """No session with the mail server (down, unreachable, TLS or login failed)."""


def build_message(note: Notification, sender: str) -> EmailMessage:
    """A multipart message (text, optional HTML, attachments) for ``note``."""
    msg = EmailMessage()
    msg["Subject"] = note.subject
    msg["From"] = sender
    msg["To"] = note.to_address
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    # A stable id per outbox row: a resend after a crash carries the same
    # Message-ID, so mail clients can recognise the duplicate.
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "makerlab.invalid"
    msg["Message-ID"] = f"<outbox-{note.id}.{_key_digest(note.dedupe_key)}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(note.body_text)
    if note.body_html:
        msg.add_alternative(note.body_html, subtype="html")
    for attachment in note.attachments or []:
        _attach(msg, attachment)
    # After the body: set_content() drops every Content-* header.
    msg["Content-Language"] = note.locale
    return msg


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _attach(msg: EmailMessage, attachment: dict[str, Any]) -> None:
    mimetype = str(attachment.get("mimetype") or "application/octet-stream")
    maintype, _sep, rest = mimetype.partition("/")
    subtype, *raw_params = (part.strip() for part in rest.split(";"))
    subtype = subtype or "octet-stream"
    # "text/calendar; method=REQUEST": calendar apps read the method from here.
    params = dict(p.partition("=")[::2] for p in raw_params if "=" in p)
    filename = str(attachment.get("filename") or "attachment")
    content = attachment.get("content") or ""
    if attachment.get("encoding") == "base64":
        # Binary content (a PDF) travels through the JSON column as base64 text.
        data = base64.b64decode(content)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    elif maintype == "text":
        msg.add_attachment(str(content), subtype=subtype, filename=filename, params=params)
    else:
        msg.add_attachment(
            str(content).encode(), maintype=maintype, subtype=subtype, filename=filename
        )


class Mailer:
    """One SMTP connection, opened on first use and reused for a batch."""

    def __init__(self) -> None:
        config = current_app.config
        self.host: str = config["MAIL_SERVER"]
        self.port: int = int(config["MAIL_PORT"])
        self.use_tls: bool = bool(config["MAIL_USE_TLS"])
        self.use_ssl: bool = bool(config["MAIL_USE_SSL"])
        self.username: str | None = config["MAIL_USERNAME"]
        self.password: str | None = config["MAIL_PASSWORD"]
        self.timeout: float = float(config["MAIL_TIMEOUT"])
        self.sender: str = config["MAIL_DEFAULT_SENDER"]
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        smtp: smtplib.SMTP
        if self.use_ssl:
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            _quietly_close(smtp)
            raise
        self._smtp = smtp
        return smtp

    def send_message(self, msg: EmailMessage) -> None:
        """Deliver ``msg``; returns once the server accepted it, raises otherwise."""
        try:
            smtp = self._connect()
        except (smtplib.SMTPException, OSError) as exc:
            raise ServerUnavailable(_describe(exc)) from exc
        try:
            refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset_after_refusal()
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(_describe(exc)) from exc
            raise
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            self._reset_after_refusal()
            if exc.smtp_code >= 500:
                raise PermanentFailure(_describe(exc)) from exc
            raise
        except BaseException:
            # Connection lost or timed out: the next message starts afresh.
            self.close()
            raise
        if refused:
            raise PermanentFailure(f"refused recipients: {refused}")

    def _reset_after_refusal(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        if self._smtp is not None:
            _quietly_close(self._smtp)
            self._smtp = None


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:2000]


def describe_error(exc: BaseException) -> str:
    """A short, storable description of a delivery error."""
    return _describe(exc)

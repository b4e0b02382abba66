"""Outgoing mail: every message is kept in an outbox table an admin can read.

Without MAIL_SERVER (the embedded default) messages are only logged and kept; with it they are
also sent over SMTP.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model

log = logging.getLogger(__name__)


class OutboundEmail(Model):
    __tablename__ = "outbound_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    transport: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text, default="")


class Mailer(Protocol):
    def send(self, session: Session, recipient: str, subject: str, body: str) -> OutboundEmail:
        """Record the message in the outbox and deliver it."""
        ...


class LogMailer:
    """Embedded default: the outbox row and a log line are the delivery."""

    transport = "log"

    def send(self, session: Session, recipient: str, subject: str, body: str) -> OutboundEmail:
        email = OutboundEmail(
            recipient=recipient, subject=subject, body=body, transport=self.transport
        )
        session.add(email)
        log.info("mail to %s: %s", recipient, subject)
        log.debug("%s", body)
        email.sent_at = utcnow()
        return email


@dataclass
class SmtpMailer:
    host: str
    port: int
    username: str
    password: str
    use_tls: bool
    sender: str
    timeout: float = 10.0
    transport = "smtp"

    def send(self, session: Session, recipient: str, subject: str, body: str) -> OutboundEmail:
        email = OutboundEmail(
            recipient=recipient, subject=subject, body=body, transport=self.transport
        )
        session.add(email)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, recipient, subject
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.use_tls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            # Keep the message: an admin sees the failure in the outbox instead of losing it.
            log.warning("mail to %s failed: %s", recipient, exc)
            email.error = str(exc)
        else:
            email.sent_at = utcnow()
        return email


def build_mailer(config: dict) -> Mailer:
    if not config.get("MAIL_SERVER"):
        return LogMailer()
    return SmtpMailer(
        host=config["MAIL_SERVER"],
        port=config["MAIL_PORT"],
        username=config["MAIL_USERNAME"],
        password=config["MAIL_PASSWORD"],
        use_tls=config["MAIL_USE_TLS"],
        sender=config["MAIL_DEFAULT_SENDER"],
    )

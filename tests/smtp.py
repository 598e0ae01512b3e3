"""A real SMTP server on loopback (aiosmtpd) that the tests start: it keeps what it receives, and answers with
the refusals a test asks for before it accepts."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """What the server received, as parsed messages; `refusals`: the answers given (in order) before accepting."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self.refusals: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refusals:
            return self.refusals.pop(0)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def attachments(self, message: EmailMessage) -> dict[str, bytes]:
        return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """The application sends its e-mails to this server for the test's length (no pause between attempts)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "facturation@cabinet.test"
    settings.PREBILL_EMAIL_RETRY = settings.PREBILL_EMAIL_RETRY * 0
    yield inbox
    controller.stop()

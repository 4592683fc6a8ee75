"""A real SMTP server on 127.0.0.1 (aiosmtpd) that the application sends alert e-mail to."""

import email
import socket
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from homecoming.alerts import mailconfig


class Inbox:
    """What arrived: (envelope recipients, parsed message), in order."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address):
        return [m for rcpt, m in self.received if address in rcpt]

    def clear(self):
        self.received.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_url():
    return f"smtp://127.0.0.1:{free_port()}"


@pytest.fixture
def inbox(settings, smtp_url):
    """The application's e-mail settings pointed at a local SMTP server, as an operator's
    HOMECOMING_EMAIL_URL would point them."""
    port = int(smtp_url.rsplit(":", 1)[1])
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in mailconfig.parse(smtp_url, outbox=None).items():
        setattr(settings, name, value)
    settings.DEFAULT_FROM_EMAIL = "Homecoming <alerts@center.example>"
    settings.HOMECOMING_BASE_URL = "https://homecoming.center.example"
    try:
        yield received
    finally:
        controller.stop()


@pytest.fixture
def addressed(staff):
    """Every staff account with an e-mail address (username@center.example)."""
    for user in staff.values():
        user.email = f"{user.username}@center.example"
        user.save(update_fields=["email"])
    return staff


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()

"""A real SMTP server (aiosmtpd) in the test process, and registered attendees."""

import re
import socket
from email import message_from_bytes, policy

import pytest


class Inbox:
    """What the SMTP server received; addresses in ``refused`` get a permanent 550."""

    def __init__(self):
        self.messages = []
        self.refused: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_settings(port: int) -> dict[str, object]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
    }


@pytest.fixture
def smtp(settings):
    """A running SMTP server that Django sends to; yields its Inbox."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in smtp_settings(port).items():
        setattr(settings, name, value)
    settings.ATTENDEE_EMAIL_RETRY_SECONDS = 0
    inbox.port = port
    yield inbox
    controller.stop()


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_in(message, kind: str) -> str:
    """The log-in ("me") or delete link of an email, as a path."""
    match = re.search(rf"https?://[^/\s]+(/e/[^\s]+/{kind}/[^\s]+/)", text_of(message))
    assert match, text_of(message)
    return match.group(1)

"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for mail tests."""

from __future__ import annotations

import asyncio
import email
import re
import socket
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """aiosmtpd handler. `refuse_after` makes the server refuse every message after that
    many; `refuse_recipients` makes it refuse those addresses at RCPT, `reject_data_for`
    refuse the message to them after DATA (552, mailbox full); `smtputf8 = False` makes
    it stop offering SMTPUTF8 from the next connection on."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        # (envelope sender, envelope recipients, whether SMTPUTF8 was used) per message.
        self.envelopes: list[tuple[str, list[str], bool]] = []
        self.refuse_after: int | None = None
        self.refuse_recipients: set[str] = set()
        self.reject_data_for: set[str] = set()
        self.smtputf8 = True
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse_after is not None and len(self.messages) >= self.refuse_after:
            return "421 4.3.2 Service shutting down for the test"
        if self.reject_data_for & set(envelope.rcpt_tos):
            return "552 5.2.2 Mailbox full"
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.smtp_utf8))
        return "250 Message accepted"

    # --- reading what arrived ---------------------------------------------------------

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    def recipients(self) -> list[str]:
        return sorted(email.utils.parseaddr(m["To"])[1] for m in self.messages)

    def envelope_recipients(self) -> list[str]:
        """Whom the server delivered to, from RCPT TO rather than the headers."""
        return sorted(address for _, rcpt_tos, _ in self.envelopes for address in rcpt_tos)


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def personal_link(message: EmailMessage) -> str:
    """The /f/<token> path of the survey link in the plain-text part."""
    return re.search(r"https?://[^/\s]+(/f/[A-Za-z0-9_-]+)\s", text_of(message)).group(1)


class MailboxController(Controller):
    def factory(self) -> SMTP:
        # One SMTP session per connection: read the switch when a sender connects.
        return SMTP(self.handler, **{**self.SMTP_kwargs, "enable_SMTPUTF8": self.handler.smtputf8})


class SMTPServer:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = MailboxController(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self.mailbox

    def __exit__(self, *exc) -> None:
        self.controller.stop()

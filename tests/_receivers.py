"""Real alert receivers on 127.0.0.1: an SMTP server (aiosmtpd) and a JSON webhook.

Either can be created "down" (its port chosen, nothing listening) and started
later on that port, to test an outage. Both record what they accept and can
answer with an error (SMTP ``451 …``/``550 …``, an HTTP status with headers
such as ``Retry-After`` or ``Location``); the webhook can also answer late.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 10) -> None:
    """Poll ``condition`` until it holds, failing the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@dataclass(frozen=True)
class Mail:
    """One accepted e-mail: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes

    def part(self, subtype: str) -> str:
        """The text of the ``text/<subtype>`` part."""
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())


class MailReceiver:
    """An SMTP server; ``reply`` (e.g. ``"451 Try later"``) refuses messages with it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mails: list[Mail] = []
        self.reply: str | None = None
        self._controller: Controller | None = None

    def url(self, to: str = "desk@example.org") -> str:
        """An apprise mailto URL to this server (no login: aiosmtpd offers no TLS)."""
        return f"mailto://127.0.0.1:{self.port}?from=pm@example.org&to={to}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply:
            return self.reply
        raw = bytes(envelope.original_content or envelope.content)
        message = message_from_bytes(raw, policy=policy.default)
        self.mails.append(Mail(envelope.mail_from, tuple(envelope.rcpt_tos), message, raw))
        return "250 OK"

    def start(self) -> MailReceiver:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass(frozen=True)
class Hook:
    """One accepted webhook call."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes = b""


class HookReceiver:
    """A JSON webhook endpoint; ``status`` is what it answers (200 by default).

    ``hooks`` are the calls it accepted (answered 2xx), ``requests`` every call
    it got; ``reply_headers`` go out with each answer, after ``delay`` seconds.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.hooks: list[Hook] = []
        self.requests: list[Hook] = []
        self.status = 200
        self.reply_headers: dict[str, str] = {}
        self.delay = 0.0
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook") -> str:
        """An apprise json:// URL to this endpoint."""
        return f"json://127.0.0.1:{self.port}{path}"

    def start(self) -> HookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                hook = Hook(self.path, dict(self.headers), json.loads(raw or b"{}"), raw)
                receiver.requests.append(hook)
                if receiver.status < 300:
                    receiver.hooks.append(hook)
                time.sleep(receiver.delay)
                try:
                    self.send_response(receiver.status)
                    for name, value in receiver.reply_headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (a timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        serve = self._server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

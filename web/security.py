"""What makes the server safe to expose: an API key off loopback, a Host
allowlist against DNS rebinding, strict response headers, an upload cap
enforced before the body is read, and bounded concurrency."""
from __future__ import annotations

import hmac
import json
import re
import threading
import time
from collections import deque
from contextlib import asynccontextmanager
from http import HTTPStatus
from http.cookies import SimpleCookie

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; script-src 'self'; "
       "style-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
KEY_COOKIE = "mediasearch_key"


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


_HOST = re.compile(r"^(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9._-]+))(?::(?P<port>\d{1,5}))?$")


def host_name(host: str) -> str:
    """'example.com:8000' -> 'example.com'; '[::1]:8000' -> '::1'; anything
    that is not a plain host[:port] ('127.0.0.1:80@evil.com') -> ''."""
    m = _HOST.match(host.strip().lower())
    if m is None or (m.group("port") is not None and not 0 < int(m.group("port")) <= 65535):
        return ""  # ('127.0.0.1:99999' is no address)
    return m.group("v6") or m.group("name")


def _json_error(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] = ()):
    """An error answered before any route runs: JSON like every other error."""
    async def respond() -> None:
        body = json.dumps({"detail": text}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS, *extra]})
        await send({"type": "http.response.body", "body": body})
    return respond()


class GuardMiddleware:
    """One pure-ASGI layer for the checks every request passes (cheap, before
    any route or body parsing): Host allowlist, API key, upload size."""

    def __init__(self, app: ASGIApp, allowed_hosts: set[str], api_key: str | None, max_body: int):
        self.app = app
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.api_key = api_key
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        hostname = host_name(headers.get("host", ""))
        if self.allowed_hosts and "*" not in self.allowed_hosts and hostname not in self.allowed_hosts:
            await _json_error(send, 400, "Invalid Host header")
            return
        if self.api_key is not None and not self._authorised(scope, headers):
            await _json_error(send, 401, "API key required (X-API-Key header, or open /?key=KEY once)",
                         [(b"www-authenticate", b"X-API-Key")])
            return
        length = headers.get("content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_body
            except ValueError:
                await _json_error(send, 400, "Bad Content-Length")
                return
            if too_big:
                await _json_error(send, 413, f"Upload too large (limit {self.max_body} bytes)")
                return
        received = 0
        started = responded = False

        async def counting_receive() -> Message:
            nonlocal received, responded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body and not started:
                    # A body without Content-Length grew past the cap while
                    # streaming: answer 413 now, and tell the app the client left.
                    await _json_error(send, 413, f"Upload too large (limit {self.max_body} bytes)")
                    responded = True
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if responded:
                return
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, counting_receive, tracking_send)

    def _authorised(self, scope: Scope, headers: dict[str, str]) -> bool:
        given = headers.get("x-api-key")
        if given is None and "cookie" in headers:
            c = SimpleCookie()
            try:
                c.load(headers["cookie"])
            except Exception:
                return False
            if KEY_COOKIE in c:
                given = c[KEY_COOKIE].value
        if given is None and scope.get("path") == "/":
            from urllib.parse import parse_qs
            given = (parse_qs(scope.get("query_string", b"").decode()).get("key") or [None])[0]
        return given is not None and hmac.compare_digest(given.encode(), self.api_key.encode())


class Overloaded(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message


class ConcurrencyLimit:
    """At most ``limit`` heavy requests at once (embedding a query is CPU-bound);
    up to ``queue`` more wait, served in arrival order (a newcomer never takes
    a free slot ahead of those already waiting: under a crowd, answered
    searches waited up to the deadline while newcomers went first). A request
    whose expected wait (the queue ahead of it times the measured time a
    search holds a slot) would pass ``wait`` gets 429 at once, as does one
    beyond a full queue; one that still waits too long gets 503.

    Routes are admitted with ``async with limit.admit()`` on the event loop,
    *before* a worker thread is taken: a sync route would first wait for one
    of AnyIO's 40 threads, unbounded and unseen by the limiter. Counters sit
    under a thread lock, so ``with limit:`` works from threads too."""

    STEP = 0.01  # seconds between looks while queued
    SMOOTHING = 0.2  # weight of the newest search in the measured time a slot is held

    def __init__(self, limit: int, queue: int, wait: float):
        self.limit = max(1, limit)
        self.queue = queue
        self.wait = wait
        self._lock = threading.Lock()
        self._active = 0
        self._line: deque[object] = deque()  # waiting tickets, first come first
        self._held: float | None = None      # seconds a search holds a slot (smoothed)
        self._started = threading.local()

    def observe(self, seconds: float) -> None:
        """One search held a slot this long."""
        with self._lock:
            self._held = seconds if self._held is None else \
                (1 - self.SMOOTHING) * self._held + self.SMOOTHING * seconds

    def _join(self) -> object | None:
        """A slot at once (None), or a ticket in the line; 429 when the line is
        full or its expected wait passes the deadline."""
        with self._lock:
            if self._active < self.limit and not self._line:
                self._active += 1
                return None
            ahead = len(self._line) + 1
            if len(self._line) >= self.queue or (
                    self._held is not None and ahead * self._held / self.limit > self.wait):
                raise Overloaded(429, "Too many searches at once; try again shortly")
            ticket = object()
            self._line.append(ticket)
            return ticket

    def _take(self, ticket: object) -> bool:
        with self._lock:
            if self._line and self._line[0] is ticket and self._active < self.limit:
                self._line.popleft()
                self._active += 1
                return True
            return False

    def _leave(self, ticket: object) -> None:
        with self._lock:
            if ticket in self._line:
                self._line.remove(ticket)

    def release(self, held: float | None = None) -> None:
        with self._lock:
            self._active -= 1
        if held is not None:
            self.observe(held)

    def _turns(self):
        """Yield while this request waits in line for a slot; 503 at the
        deadline. Returns once a slot is taken."""
        ticket = self._join()
        if ticket is None:
            return
        try:
            deadline = time.monotonic() + self.wait
            while not self._take(ticket):
                if time.monotonic() >= deadline:
                    raise Overloaded(503, "The server is busy; try again shortly")
                yield
        except BaseException:
            self._leave(ticket)
            raise

    def __enter__(self):
        for _ in self._turns():
            time.sleep(self.STEP)
        self._started.at = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.release(time.monotonic() - self._started.at)

    @asynccontextmanager
    async def admit(self):
        for _ in self._turns():
            await anyio.sleep(self.STEP)
        began = time.monotonic()
        try:
            yield self
        finally:
            self.release(time.monotonic() - began)


def _range_unit(name: bytes, value: bytes) -> bytes:
    """RFC 9110's "bytes */SIZE" on a 416 (Starlette before 1.0 leaves out the unit)."""
    return b"bytes " + value if name == b"content-range" and value.startswith(b"*/") else value


class JsonErrors:
    """Errors that Starlette answers in plain text (a Range outside the file:
    416; a malformed Range header: 400) answered as JSON, like every other."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: dict = {}

        async def wrapped(message) -> None:
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                if message["status"] >= 400 and ctype.startswith(b"text/plain"):
                    held["start"] = message  # the body follows: rewritten then
                    return
            elif "start" in held and message["type"] == "http.response.body":
                held["body"] = held.get("body", b"") + message.get("body", b"")
                if message.get("more_body"):
                    return
                start = held.pop("start")
                text = held.pop("body").decode("utf-8", "replace").strip() or HTTPStatus(start["status"]).phrase
                body = json.dumps({"detail": text}).encode()
                headers = [(k, _range_unit(k, v)) for k, v in start.get("headers", [])
                           if k not in (b"content-type", b"content-length")]
                await send({**start, "headers": headers + [(b"content-type", b"application/json"),
                                                           (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, wrapped)

"""Running the app under uvicorn, hardened for a server a person leaves on:
the address is checked before anything is announced, and a connection that
never finishes sending its request headers (slowloris) is closed after
``HEADER_TIMEOUT`` seconds; uvicorn alone times out only idle keep-alives."""
from __future__ import annotations

import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

from mediasearch.store.errors import ConfigError

HEADER_TIMEOUT = 10.0


class HeaderTimeoutProtocol(H11Protocol):
    """h11 with a deadline for the request line and headers of each connection."""

    header_timeout = HEADER_TIMEOUT

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and self._header_timer is not None:  # headers complete
            self._header_timer.cancel()
            self._header_timer = None

    def connection_lost(self, exc) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _too_slow(self) -> None:
        self._header_timer = None
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()


def check_address(host: str, port: int) -> None:
    """Fail before announcing the address when it cannot be served."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise ConfigError(f"cannot serve on {host!r}: not an address of this machine ({e})") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as e:
            raise ConfigError(f"cannot serve on {host}:{port}: {e.strerror or e}") from None


def allowed_hosts(host: str, extra: list[str] | None) -> list[str] | None:
    """Host header names to accept: loopback names always, the bound address
    (127.0.0.2 is loopback too), and those given; any when bound to all."""
    hosts = list(extra or [])
    if host in ("0.0.0.0", "::"):
        return hosts or ["*"]
    hosts.append(host)
    return hosts


def run(app, host: str, port: int, on_listening=None) -> None:
    """Serve until stopped. The socket is bound first, so "serving" is said
    only when a click on the address already reaches us (connections wait in
    the listen backlog while uvicorn starts, instead of being refused)."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", http=HeaderTimeoutProtocol,
                            timeout_keep_alive=5)
    sock = config.bind_socket()
    sock.listen(config.backlog)
    if on_listening is not None:
        on_listening(sock.getsockname()[1])  # the port bound (port 0: the one the system gave)
    uvicorn.Server(config).run(sockets=[sock])

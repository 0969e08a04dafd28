"""Binding the socket and serving the web view with uvicorn."""

from __future__ import annotations

import errno
import socket
from typing import Any, TextIO

from sacred_runner.errors import UsageError

__all__ = ["bind", "serve", "url_host"]


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port); UsageError when it cannot be had."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise UsageError(f"--host {host!r}: not an address of this machine ({error.strerror})") from None
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise UsageError(f"--port {port}: already in use; pick another port, or --port 0 for any free one") \
                from None
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    return sock


def url_host(host: str) -> str:
    """``host`` as written in a URL (IPv6 addresses in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def serve(app: Any, sock: socket.socket, stdout: TextIO) -> None:
    """Serve ``app`` on the bound ``sock`` until interrupted (Ctrl+C ends it cleanly)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            server_header=False, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()

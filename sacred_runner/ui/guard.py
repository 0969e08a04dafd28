"""The web view's security rules, in one place.

* **Loopback by default.** :func:`is_loopback` decides whether a bind address
  stays on this machine; anything else needs an explicit flag, and then every
  request must carry the access token (``?token=...`` once, then a cookie).
* **Host header check** (on loopback): a page from another site that rebinds
  its DNS name to 127.0.0.1 still sends its own name, and is refused.
* **No script from data.** Every response forbids inline script and any
  source but this server (Content-Security-Policy), so even a value that slipped
  through escaping could not run; raw files are served sandboxed and never
  sniffed.
* **Files stay in the store.** :func:`find_file` serves only a name the run
  reader listed for that run, matched exactly; the reader itself refuses names
  that escape the store (``../``, absolute paths, symlinks pointing outside).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

__all__ = [
    "PAGE_POLICY",
    "RAW_FILE_POLICY",
    "TOKEN_COOKIE",
    "GuardMiddleware",
    "find_file",
    "is_loopback",
    "new_token",
]

TOKEN_COOKIE = "sacred_ui_token"
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
RAW_FILE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A fresh random access token for a server bound beyond loopback."""
    return secrets.token_urlsafe(24)


def find_file(files: Iterable[Any], name: str) -> Any | None:
    """The stored file called exactly ``name`` among ``files`` (the reader's list), or None."""
    for stored in files:
        if stored.name == name:
            return stored
    return None


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


class GuardMiddleware:
    """ASGI middleware: refuses foreign Host headers and requests without the token; adds headers."""

    def __init__(self, app: Any, token: str | None, allowed_hosts: set[str] | None) -> None:
        self.app = app
        self.token = token
        self.allowed_hosts = allowed_hosts

    def _host_allowed(self, scope: dict) -> bool:
        if self.allowed_hosts is None:
            return True
        host = _header(scope, b"host")
        if host.startswith("["):
            name = host[1:].split("]", 1)[0]
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return name.lower() in self.allowed_hosts

    def _token_state(self, scope: dict) -> tuple[bool, bool]:
        """(allowed, came in the query string)."""
        if self.token is None:
            return True, False
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        for candidate in query.get("token", []):
            if hmac.compare_digest(candidate.encode(), self.token.encode()):
                return True, True
        cookie = SimpleCookie()
        try:
            cookie.load(_header(scope, b"cookie"))
        except Exception:  # a malformed Cookie header is the same as none
            return False, False
        morsel = cookie.get(TOKEN_COOKIE)
        if morsel is not None and hmac.compare_digest(morsel.value.encode(), self.token.encode()):
            return True, False
        return False, False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self._host_allowed(scope):
            await _plain(send, 421, "This server answers only to its loopback address.")
            return
        allowed, from_query = self._token_state(scope)
        if not allowed:
            await _plain(send, 403, "Access token missing or wrong: open the URL that `sacred ui` printed.")
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {key.lower() for key, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", PAGE_POLICY.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                headers.append((b"x-frame-options", b"DENY"))
                if from_query and self.token is not None:
                    headers.append((b"set-cookie", f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; "
                                                   "SameSite=Strict".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _plain(send: Any, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"content-security-policy", PAGE_POLICY.encode())]})
    await send({"type": "http.response.body", "body": body})

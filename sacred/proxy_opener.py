"""HTTP(S) openers that go through a proxy, including SOCKS5, with the standard library only.

:func:`proxy_url_with_credentials` checks a proxy URL (``http://``,
``https://``, ``socks5://`` or ``socks5h://``) and puts a separately given
username / password into it; :func:`build_proxy_opener` returns a ``urllib``
opener that sends every request through that proxy (or, without one, through
``HTTPS_PROXY`` / ``https_proxy`` from the environment). SOCKS5 follows RFC
1928 with username/password authentication from RFC 1929.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import struct
import urllib.parse
import urllib.request

__all__ = ["PROXY_SCHEMES", "SocksError", "build_proxy_opener", "proxy_url_with_credentials"]

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def proxy_url_with_credentials(
    proxy_url: str | None, username: str | None, password: str | None, owner: str
) -> str | None:
    """Validate ``proxy_url`` and put ``username``/``password`` into it."""
    if proxy_url is None:
        if username is not None or password is not None:
            raise ValueError(f"{owner}: username/password are for the proxy; give proxy_url too")
        return None
    if not isinstance(proxy_url, str):
        raise ValueError(f"{owner}: proxy_url must be a string, got {type(proxy_url).__name__}")
    parts = urllib.parse.urlsplit(proxy_url.strip())
    scheme = parts.scheme.lower()
    if scheme not in PROXY_SCHEMES or not parts.hostname:
        raise ValueError(
            f"{owner}: proxy_url must look like PROTOCOL://PROXY_HOST:[PROXY_PORT]/ with "
            f"PROTOCOL one of {', '.join(PROXY_SCHEMES)}; got a value with scheme {scheme!r}"
        )
    user = username if username is not None else parts.username
    pw = password if password is not None else parts.password
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    if user is not None:
        auth = urllib.parse.quote(str(user), safe="")
        if pw is not None:
            auth += ":" + urllib.parse.quote(str(pw), safe="")
        netloc = f"{auth}@{netloc}"
    return f"{scheme}://{netloc}"


def build_proxy_opener(proxy_url: str | None) -> urllib.request.OpenerDirector:
    """A urllib opener through ``proxy_url`` (from :func:`proxy_url_with_credentials`).

    ``None`` gives the default opener, which honours ``HTTPS_PROXY`` / ``https_proxy``.
    """
    if proxy_url is None:
        return urllib.request.build_opener()  # honours HTTPS_PROXY / https_proxy
    scheme = urllib.parse.urlsplit(proxy_url).scheme.lower()
    if scheme in ("http", "https"):
        return urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": proxy_url, "https": proxy_url})
        )
    proxy = _Socks5Proxy.from_url(proxy_url)
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _SocksHTTPHandler(proxy), _SocksHTTPSHandler(proxy)
    )


# -- SOCKS5 (RFC 1928, username/password auth RFC 1929) ----------------------

_SOCKS_REPLIES = {
    1: "general SOCKS server failure",
    2: "connection not allowed by ruleset",
    3: "network unreachable",
    4: "host unreachable",
    5: "connection refused",
    6: "TTL expired",
    7: "command not supported",
    8: "address type not supported",
}


class SocksError(OSError):
    """The SOCKS5 proxy refused or broke the connection."""


class _Socks5Proxy:
    def __init__(self, host: str, port: int, username: str | None, password: str | None):
        self.host, self.port = host, port
        self.username, self.password = username, password

    @classmethod
    def from_url(cls, url: str) -> _Socks5Proxy:
        parts = urllib.parse.urlsplit(url)
        user = urllib.parse.unquote(parts.username) if parts.username is not None else None
        pw = urllib.parse.unquote(parts.password) if parts.password is not None else None
        return cls(parts.hostname or "", parts.port or 1080, user, pw)

    def connect(self, host: str, port: int, timeout: float | None) -> socket.socket:
        """Open a TCP connection to ``host:port`` through the proxy."""
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            self._negotiate(sock, host, port)
        except BaseException:
            sock.close()
            raise
        return sock

    def _negotiate(self, sock: socket.socket, host: str, port: int) -> None:
        methods = b"\x00\x02" if self.username is not None else b"\x00"
        sock.sendall(b"\x05" + bytes([len(methods)]) + methods)
        version, method = _recv_exact(sock, 2)
        if version != 5:
            raise SocksError("the proxy does not speak SOCKS5")
        if method == 0x02:
            user = (self.username or "").encode("utf-8")
            pw = (self.password or "").encode("utf-8")
            if len(user) > 255 or len(pw) > 255:
                raise SocksError("SOCKS5 username and password are limited to 255 bytes")
            sock.sendall(b"\x01" + bytes([len(user)]) + user + bytes([len(pw)]) + pw)
            if _recv_exact(sock, 2)[1] != 0:
                raise SocksError("the SOCKS5 proxy rejected the username/password")
        elif method != 0x00:
            raise SocksError("the SOCKS5 proxy accepts none of our authentication methods")
        sock.sendall(b"\x05\x01\x00" + _socks_address(host) + struct.pack("!H", port))
        _, reply, _, address_type = _recv_exact(sock, 4)
        if reply != 0:
            raise SocksError(f"SOCKS5 proxy: {_SOCKS_REPLIES.get(reply, f'error {reply}')}")
        address_length = {1: 4, 4: 16}.get(address_type)
        if address_length is None:
            address_length = _recv_exact(sock, 1)[0]
        _recv_exact(sock, address_length + 2)


def _socks_address(host: str) -> bytes:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        name = host.encode("idna")
        return b"\x03" + bytes([len(name)]) + name
    return (b"\x01" if address.version == 4 else b"\x04") + address.packed


def _recv_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise SocksError("the SOCKS5 proxy closed the connection")
        data += chunk
    return data


class _SocksHTTPConnection(http.client.HTTPConnection):
    socks_proxy: _Socks5Proxy

    def connect(self) -> None:
        self.sock = self.socks_proxy.connect(self.host, self.port, self.timeout)


class _SocksHTTPSConnection(http.client.HTTPSConnection):
    socks_proxy: _Socks5Proxy

    def connect(self) -> None:
        sock = self.socks_proxy.connect(self.host, self.port, self.timeout)
        context = getattr(self, "_context", None) or ssl.create_default_context()
        self.sock = context.wrap_socket(sock, server_hostname=self.host)


class _SocksHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, proxy: _Socks5Proxy) -> None:
        super().__init__()
        self._connection = type("Conn", (_SocksHTTPConnection,), {"socks_proxy": proxy})

    def http_open(self, req):  # noqa: D102 - urllib hook
        return self.do_open(self._connection, req)


class _SocksHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, proxy: _Socks5Proxy) -> None:
        super().__init__()
        self._connection = type("Conn", (_SocksHTTPSConnection,), {"socks_proxy": proxy})

    def https_open(self, req):  # noqa: D102 - urllib hook
        return self.do_open(self._connection, req)

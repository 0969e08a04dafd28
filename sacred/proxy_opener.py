"""HTTP(S) openers that go through a proxy: HTTP(S) with the standard library, SOCKS5 with PySocks.

:func:`proxy_url_with_credentials` checks a proxy URL (``http://``,
``https://``, ``socks5://`` or ``socks5h://``) and puts a separately given
username / password into it; :func:`build_proxy_opener` returns a ``urllib``
opener that sends every request through that proxy (or, without one, through
``HTTPS_PROXY`` / ``https_proxy`` from the environment). SOCKS5 proxies are
spoken by PySocks (the optional extra ``sacred[socks]``), imported only when a
``socks5://`` proxy is used.
"""

from __future__ import annotations

import http.client
import socket
import ssl
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
    proxy.socks_module()  # fail now, with the install hint, rather than at the first request
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _SocksHTTPHandler(proxy), _SocksHTTPSHandler(proxy)
    )


# -- SOCKS5 through PySocks ---------------------------------------------------


class SocksError(OSError):
    """The SOCKS5 proxy refused or broke the connection."""


class _Socks5Proxy:
    def __init__(self, host: str, port: int, username: str | None, password: str | None) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password

    @classmethod
    def from_url(cls, url: str) -> _Socks5Proxy:
        parts = urllib.parse.urlsplit(url)
        user = urllib.parse.unquote(parts.username) if parts.username is not None else None
        pw = urllib.parse.unquote(parts.password) if parts.password is not None else None
        return cls(parts.hostname or "", parts.port or 1080, user, pw)

    @staticmethod
    def socks_module():
        """The PySocks module, or an ImportError that names the extra to install."""
        from sacred.observers._backend_import import import_backend

        return import_backend("socks", needed_by="a socks5:// proxy", extra="socks", packages=("PySocks",))

    def connect(self, host: str, port: int, timeout: float | None) -> socket.socket:
        """Open a TCP connection to ``host:port`` through the proxy.

        Host names are resolved by the proxy (for ``socks5://`` and ``socks5h://``
        alike), so a proxy is also usable where this machine has no DNS.
        """
        socks = self.socks_module()
        try:
            return socks.create_connection(
                (host, port), timeout=timeout, proxy_type=socks.SOCKS5,
                proxy_addr=self.host, proxy_port=self.port, proxy_rdns=True,
                proxy_username=self.username, proxy_password=self.password,
            )
        except socks.ProxyError as error:
            # create_connection wraps the negotiation's own error in a "Socket error".
            cause = getattr(error, "socket_err", None) or error
            if isinstance(cause, socks.SOCKS5AuthError):
                raise SocksError("the SOCKS5 proxy rejected the username/password") from None
            raise SocksError(f"SOCKS5 proxy: {getattr(cause, 'msg', cause)}") from None


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

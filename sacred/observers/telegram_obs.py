"""TelegramObserver: status messages through a Telegram bot.

The observer talks to the Bot HTTP API (``sendMessage``) directly over
``urllib``, so python-telegram-bot is not needed; an already constructed bot
object with a ``send_message`` method (python-telegram-bot's ``Bot``) is
accepted too. Starts are sent silently, interruptions and failures with a
notification, completions silently only with ``silent_completion=True``.

Proxies: ``proxy_url`` (``http://``, ``https://``, ``socks5://`` or
``socks5h://``, with optional ``username`` / ``password``) or else the
``HTTPS_PROXY`` / ``https_proxy`` environment variables. The bot token and the
proxy password never appear in logs or in ``repr``.
"""

from __future__ import annotations

import asyncio
import http.client
import inspect
import ipaddress
import json
import socket
import ssl
import struct
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from sacred.observers.notify import (
    DEFAULT,
    NotifierObserver,
    check_config_keys,
    load_observer_config,
    post_json,
    read_error_body,
)

__all__ = ["TelegramObserver"]

TELEGRAM_API_BASE = "https://api.telegram.org"
_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


class TelegramAPIError(RuntimeError):
    """The Bot API answered but refused the message (its ``description`` says why)."""


class TelegramObserver(NotifierObserver):
    """Sends run status updates (start, completion, interruption, failure) to a Telegram chat.

    ``bot`` is the bot's HTTP API token (or a python-telegram-bot ``Bot``),
    ``chat_id`` the numeric id of the user or group chat (or ``"@channel"``).
    Templates (``started_text``, ``completed_text``, ``interrupted_text``,
    ``failed_text``) are ``str.format`` strings, sent with Markdown; ``None``
    sends nothing for that event. ``api_base`` overrides
    ``https://api.telegram.org`` (tests, self-hosted Bot API servers).
    """

    service_name = "Telegram"
    api_base = TELEGRAM_API_BASE
    DEFAULT_TEXTS = {
        "started": "♻ *{experiment[name]}* started at _{start_time}_ on host `{host_info[hostname]}`",
        "completed": "✅ *{experiment[name]}* completed after _{elapsed_time}_ with result=`{result}`",
        "interrupted": "⚠ *{experiment[name]}* interrupted after _{elapsed_time}_",
        "failed": (
            "❌ *{experiment[name]}* failed after _{elapsed_time}_ with `{error}`\n\n"
            "Backtrace:\n```{backtrace}```"
        ),
    }
    CONFIG_KEYS = (
        "token",
        "chat_id",
        "silent_completion",
        "proxy_url",
        "username",
        "password",
        "priority",
        "started_text",
        "completed_text",
        "interrupted_text",
        "failed_text",
        "api_base",
        "timeout",
    )

    @classmethod
    def from_config(cls, filename: Any) -> TelegramObserver:
        """Create a TelegramObserver from a json, yaml or pickle file.

        Required keys: ``token``, ``chat_id``. Optional: ``silent_completion``,
        ``proxy_url``, ``username``, ``password`` (for the proxy), ``priority``,
        ``timeout``, ``api_base`` and the ``*_text`` templates.
        """
        config = load_observer_config(filename)
        check_config_keys(config, filename, cls.__name__, ("token", "chat_id"), cls.CONFIG_KEYS)
        token = config.pop("token")
        chat_id = config.pop("chat_id")
        return cls(token, chat_id, **config)

    def __init__(
        self,
        bot: Any,
        chat_id: int | str,
        silent_completion: bool = False,
        priority: int = 10,
        *,
        proxy_url: str | None = None,
        username: str | None = None,
        password: str | None = None,
        api_base: str | None = None,
        timeout: float = 5.0,
        started_text: str | None = DEFAULT,
        completed_text: str | None = DEFAULT,
        interrupted_text: str | None = DEFAULT,
        failed_text: str | None = DEFAULT,
    ) -> None:
        name = type(self).__name__
        if isinstance(bot, str):
            token = bot.strip()
            if not token or any(c.isspace() or c in "/?#" for c in token):
                raise ValueError(
                    f"{name}: the bot token must be the non-empty token from @BotFather "
                    "(like '123456:ABC-DEF...', no spaces or slashes)"
                )
            self._token: str | None = token
            self.bot = None
        elif callable(getattr(bot, "send_message", None)):
            self._token = None
            self.bot = bot
        else:
            raise ValueError(
                f"{name}: bot must be a bot token string or an object with a send_message "
                f"method (python-telegram-bot's Bot), got {type(bot).__name__}"
            )
        if isinstance(chat_id, bool) or not isinstance(chat_id, (int, str)) or chat_id == "":
            raise ValueError(
                f"{name}: chat_id must be the numeric chat id (int) or an '@channelname' "
                f"string, got {chat_id!r}"
            )
        if not isinstance(silent_completion, bool):
            raise ValueError(
                f"{name}: silent_completion must be true or false, got {silent_completion!r}"
            )
        self.chat_id = chat_id
        self.silent_completion = silent_completion
        self.username = username
        self._password = password
        if api_base is not None:
            scheme = urllib.parse.urlsplit(str(api_base)).scheme
            if scheme not in ("http", "https"):
                raise ValueError(
                    f"{name}: api_base must be an http(s) URL like {TELEGRAM_API_BASE!r}, "
                    f"got {api_base!r}"
                )
            self.api_base = str(api_base).rstrip("/")
        self.proxy_url = _proxy_with_credentials(proxy_url, username, password, name)
        super().__init__(
            priority=priority,
            timeout=timeout,
            started_text=started_text,
            completed_text=completed_text,
            interrupted_text=interrupted_text,
            failed_text=failed_text,
        )
        self._opener = _build_opener(self.proxy_url)

    def __repr__(self) -> str:
        return f"TelegramObserver(bot='***', chat_id={self.chat_id!r}, priority={self.priority})"

    def _secrets(self) -> Iterable[str]:
        return (self._token or "", self._password or "", self.proxy_url or "")

    def _silent(self, event: str) -> bool:
        if event == "started":
            return True
        if event == "completed":
            return self.silent_completion
        return False

    def _deliver(self, text: str, event: str) -> None:
        silent = self._silent(event)
        if self.bot is not None:
            answer = self.bot.send_message(
                chat_id=self.chat_id, text=text, disable_notification=silent, parse_mode="Markdown"
            )
            if inspect.isawaitable(answer):  # python-telegram-bot >= 20 is async
                asyncio.run(_wait(answer))
            return
        message = {
            "chat_id": self.chat_id,
            "text": text,
            "parse_mode": "Markdown",
            "disable_notification": silent,
        }
        try:
            self._send_message(message)
        except TelegramAPIError as err:
            if "parse" not in str(err).lower():
                raise
            # Markdown that Telegram cannot parse (an "_" in a name): send it plain.
            del message["parse_mode"]
            self._send_message(message)

    def _send_message(self, message: dict) -> None:
        url = f"{self.api_base}/bot{self._token}/sendMessage"
        try:
            body = post_json(self._opener, url, message, self.timeout)
        except urllib.error.HTTPError as err:
            description = _api_description(read_error_body(err))
            raise TelegramAPIError(f"HTTP {err.code}: {description}") from None
        answer = _api_answer(body)
        if not answer.get("ok", False):
            raise TelegramAPIError(answer.get("description") or "the Bot API answered ok=false")


async def _wait(awaitable: Any) -> Any:
    return await awaitable


def _api_answer(body: bytes) -> dict:
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TelegramAPIError("the Bot API answered with something that is not JSON") from None
    return answer if isinstance(answer, dict) else {"ok": False, "description": "unexpected answer"}


def _api_description(body: str) -> str:
    try:
        answer = json.loads(body)
    except json.JSONDecodeError:
        return body or "no description"
    if isinstance(answer, dict) and answer.get("description"):
        return str(answer["description"])
    return body or "no description"


def _proxy_with_credentials(
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
    if scheme not in _PROXY_SCHEMES or not parts.hostname:
        raise ValueError(
            f"{owner}: proxy_url must look like PROTOCOL://PROXY_HOST:[PROXY_PORT]/ with "
            f"PROTOCOL one of {', '.join(_PROXY_SCHEMES)}; got a value with scheme {scheme!r}"
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


def _build_opener(proxy_url: str | None) -> urllib.request.OpenerDirector:
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

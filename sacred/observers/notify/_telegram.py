"""TelegramObserver: status messages through a Telegram bot.

The observer talks to the Bot HTTP API (``sendMessage``) directly over
``urllib``, so python-telegram-bot is not needed; an already constructed bot
object with a ``send_message`` method (python-telegram-bot's ``Bot``) is
accepted too. Starts are sent silently, interruptions and failures with a
notification, completions silently only with ``silent_completion=True``.

Proxies: ``proxy_url`` (``http://``, ``https://``, ``socks5://`` or
``socks5h://``, with optional ``username`` / ``password``) or else the
``HTTPS_PROXY`` / ``https_proxy`` environment variables; the openers come
from :mod:`sacred.proxy_opener`. The bot token and the proxy
password never appear in logs or in ``repr``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
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
from sacred.proxy_opener import build_proxy_opener, proxy_url_with_credentials

__all__ = ["TelegramObserver"]

TELEGRAM_API_BASE = "https://api.telegram.org"


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

    # shown (logger names, reprs, pickles) under the 0.8.7 import path users write
    __module__ = "sacred.observers.telegram_obs"

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
        ``timeout``, ``api_base`` and the ``*_text`` templates. JSON and YAML are
        read with safe loaders; loading a pickle runs any code it contains, so it
        logs a warning naming the file (``SETTINGS.CONFIG.ALLOW_PICKLE_FILES =
        False`` refuses pickles).
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
        self._token, self.bot = _token_or_bot(bot, name)
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
        self.proxy_url = proxy_url_with_credentials(proxy_url, username, password, name)
        super().__init__(
            priority=priority,
            timeout=timeout,
            started_text=started_text,
            completed_text=completed_text,
            interrupted_text=interrupted_text,
            failed_text=failed_text,
        )
        self._opener = build_proxy_opener(self.proxy_url)

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


def _token_or_bot(bot: Any, owner: str) -> tuple[str | None, Any]:
    """``(token, None)`` for a token string, ``(None, bot)`` for a bot object; else a clear error."""
    if isinstance(bot, str):
        token = bot.strip()
        if not token or any(c.isspace() or c in "/?#" for c in token):
            raise ValueError(
                f"{owner}: the bot token must be the non-empty token from @BotFather "
                "(like '123456:ABC-DEF...', no spaces or slashes)"
            )
        return token, None
    if callable(getattr(bot, "send_message", None)):
        return None, bot
    raise ValueError(
        f"{owner}: bot must be a bot token string or an object with a send_message "
        f"method (python-telegram-bot's Bot), got {type(bot).__name__}"
    )


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

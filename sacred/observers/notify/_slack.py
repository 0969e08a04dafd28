"""SlackObserver: post a message to a Slack incoming webhook when a run stops.

The shared machinery of the chat notifiers (templates, safe sending, secret
scrubbing) lives in :mod:`sacred.observers.notify`. The webhook URL is a
secret: it never appears in logs, warnings, ``repr`` or anything the observer
stores.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from sacred.observers.notify import (
    DEFAULT,
    NotifierObserver,
    check_config_keys,
    format_elapsed_time,
    load_observer_config,
    post_json,
)

__all__ = ["SlackObserver", "NotifierObserver", "DEFAULT", "format_elapsed_time"]


def _check_http_url(value: Any, what: str, owner: str) -> str:
    """Validate an http(s) URL without echoing it (it may be a secret)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{owner}: {what} must be a non-empty http(s) URL string")
    scheme = urllib.parse.urlsplit(value.strip()).scheme.lower()
    if scheme not in ("http", "https") or not urllib.parse.urlsplit(value.strip()).netloc:
        raise ValueError(
            f"{owner}: {what} must be an http:// or https:// URL "
            f"(got a value with scheme {scheme or 'none'!r}); "
            "for Slack it looks like https://hooks.slack.com/services/..."
        )
    return value.strip()


class SlackObserver(NotifierObserver):
    """Sends a message to Slack (incoming webhook) when a run completes, is
    interrupted or fails.

    ``completed_text``, ``interrupted_text`` and ``failed_text`` are
    ``str.format`` templates (see :class:`NotifierObserver` for the keys, e.g.
    ``"{ex_info[name]} completed with result=`{result}`"``); leaving one out
    keeps the default, ``None`` sends nothing for that event.
    """

    # shown (logger names, reprs, pickles) under the 0.8.7 import path users write
    __module__ = "sacred.observers.slack"

    service_name = "Slack"
    DEFAULT_TEXTS = {
        "completed": (
            ":white_check_mark: *{experiment[name]}* completed after _{elapsed_time}_ "
            "with result=`{result}`"
        ),
        "interrupted": ":warning: *{experiment[name]}* interrupted after _{elapsed_time}_",
        "failed": ":x: *{experiment[name]}* failed after _{elapsed_time}_ with `{error}`",
    }
    CONFIG_KEYS = (
        "webhook_url",
        "bot_name",
        "icon",
        "priority",
        "completed_text",
        "interrupted_text",
        "failed_text",
        "timeout",
    )

    @classmethod
    def from_config(cls, filename: Any) -> SlackObserver:
        """Create a SlackObserver from a json, yaml or pickle file.

        JSON and YAML are read with safe loaders. Loading a pickle runs any code
        it contains: it logs a warning naming the file, and
        ``SETTINGS.CONFIG.ALLOW_PICKLE_FILES = False`` refuses pickles.

        The file must give ``webhook_url`` and may give ``bot_name``, ``icon``,
        ``priority``, ``timeout`` and the ``*_text`` templates (``null`` sends
        nothing for that event).
        """
        config = load_observer_config(filename)
        check_config_keys(config, filename, cls.__name__, ("webhook_url",), cls.CONFIG_KEYS)
        return cls(**config)

    def __init__(
        self,
        webhook_url: str,
        bot_name: str = "sacred-bot",
        icon: str = ":angel:",
        priority: int = 10,
        completed_text: str | None = DEFAULT,
        interrupted_text: str | None = DEFAULT,
        failed_text: str | None = DEFAULT,
        timeout: float = 5.0,
    ) -> None:
        self.webhook_url = _check_http_url(webhook_url, "webhook_url", type(self).__name__)
        self.bot_name = bot_name
        self.icon = icon
        super().__init__(
            priority=priority,
            timeout=timeout,
            completed_text=completed_text,
            interrupted_text=interrupted_text,
            failed_text=failed_text,
        )
        self._opener = urllib.request.build_opener()

    def __repr__(self) -> str:
        return f"SlackObserver(webhook_url='***', bot_name={self.bot_name!r}, priority={self.priority})"

    def _secrets(self) -> Iterable[str]:
        url = self.webhook_url
        path = urllib.parse.urlsplit(url).path
        return (url, path if len(path) > 1 else "")

    def _deliver(self, text: str, event: str) -> None:
        payload = {"username": self.bot_name, "icon_emoji": self.icon, "text": text}
        post_json(
            self._opener,
            self.webhook_url,
            payload,
            self.timeout,
            headers={"Accept": "text/plain"},
        )

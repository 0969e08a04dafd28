"""What the chat notifiers (Slack, Telegram) share.

:class:`NotifierObserver` keeps what the run's events said in ``self.run``,
fills the user's message templates from it and sends the result without ever
failing the experiment. Messages travel as JSON over ``urllib`` (no extra
dependency, :func:`post_json`) with a short timeout. A notifier's secrets
(webhook URLs, tokens, proxy passwords) never appear in logs, warnings or
``repr``: :meth:`NotifierObserver.scrub` masks them. Config-file helpers
(:func:`load_observer_config`, :func:`check_config_keys`) serve the
``from_config`` constructors.
"""

from __future__ import annotations

import abc
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sacred.masking import MASK, mask_text
from sacred.observers.base import RunObserver

__all__ = [
    "DEFAULT",
    "NotifierObserver",
    "check_config_keys",
    "format_elapsed_time",
    "load_observer_config",
    "post_json",
    "read_error_body",
]



class _Default:
    """Sentinel: "use this observer's default message template"."""

    def __repr__(self) -> str:
        return "DEFAULT"


#: Pass as a ``*_text`` argument to keep the default template; ``None`` sends nothing.
DEFAULT: Any = _Default()

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
_MAX_ERROR_BODY = 300
# What str.format raises for a template that does not fit the run data.
_TEMPLATE_ERRORS = (KeyError, IndexError, AttributeError, ValueError, TypeError)


def format_elapsed_time(seconds: float) -> str:
    """Say how long something took: ``"1 hour, 1 minute, 1 second"``.

    Durations under a second read ``"less than a second"``; zero-valued units
    are left out (``3600`` is ``"1 hour"``).
    """
    total = int(seconds)
    if total < 1:
        return "less than a second"
    parts = []
    for name, size in _UNITS:
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return ", ".join(parts)


def _elapsed_between(start: Any, stop: Any) -> str:
    if isinstance(start, datetime) and isinstance(stop, datetime):
        return format_elapsed_time((stop - start).total_seconds())
    return "an unknown time"


def read_error_body(err: urllib.error.HTTPError) -> str:
    """The first few hundred characters of an HTTP error answer, for a warning."""
    try:
        raw = err.read(_MAX_ERROR_BODY)
    except Exception:  # the body is only a courtesy
        return ""
    return raw.decode("utf-8", errors="replace").strip()


def post_json(
    opener: urllib.request.OpenerDirector,
    url: str,
    payload: dict,
    timeout: float,
    headers: dict[str, str] | None = None,
) -> bytes:
    """POST ``payload`` as JSON to ``url`` and return the answer's body.

    Raises ``urllib.error.HTTPError`` for non-2xx answers and ``OSError``
    (``URLError``, ``TimeoutError``) when the endpoint cannot be reached.
    """
    data = json.dumps(payload).encode("utf-8")
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    request = urllib.request.Request(url, data=data, headers=all_headers, method="POST")
    with opener.open(request, timeout=timeout) as response:
        return response.read()


class NotifierObserver(RunObserver, abc.ABC):
    """Base of the chat notifiers: collects run data, fills templates, sends safely.

    Subclasses set ``DEFAULT_TEXTS`` (event name -> template), implement
    :meth:`_deliver` and :meth:`_secrets`. Templates are ``str.format``
    strings filled with the keys of ``self.run``: ``_id``, ``config``,
    ``start_time``, ``experiment`` (the ex_info; also available as
    ``ex_info``), ``command``, ``host_info``, ``meta_info`` and, depending on
    the event, ``result``, ``stop_time``, ``status``, ``interrupt_time``,
    ``fail_time``, ``fail_trace``, ``error`` (last line of the trace),
    ``backtrace`` (the whole trace) and ``elapsed_time`` (``"2 minutes, 5 seconds"``).
    """

    priority = 10
    DEFAULT_TEXTS: dict[str, str | None] = {}
    service_name = "notifier"

    def __init__(self, priority: int = 10, timeout: float = 5.0, **texts: Any) -> None:
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError(
                f"{type(self).__name__}: timeout must be a positive number of seconds, got {timeout!r}"
            )
        self.priority = priority
        self.timeout = float(timeout)
        for event, default in self.DEFAULT_TEXTS.items():
            value = texts.pop(f"{event}_text", DEFAULT)
            if value is DEFAULT:
                value = default
            elif value is not None and not isinstance(value, str):
                raise ValueError(
                    f"{type(self).__name__}: {event}_text must be a format string or None "
                    f"(send nothing), got {type(value).__name__}"
                )
            setattr(self, f"{event}_text", value)
        if texts:
            raise TypeError(
                f"{type(self).__name__} got unexpected argument(s) {', '.join(sorted(texts))}"
            )
        self.run: dict[str, Any] | None = None

    # -- events -------------------------------------------------------------

    def started_event(
        self, ex_info, command, host_info, start_time, config, meta_info, _id
    ) -> None:
        """Remember what the run is, to fill later messages."""
        self.run = {
            "_id": _id,
            "config": config,
            "start_time": start_time,
            "experiment": ex_info,
            "ex_info": ex_info,
            "command": command,
            "host_info": host_info,
            "meta_info": meta_info,
        }
        self._notify("started")

    def completed_event(self, stop_time, result) -> None:
        """Send the completion message (if its template is not None)."""
        self._notify_end("completed", stop_time, result=result, stop_time=stop_time)

    def interrupted_event(self, interrupt_time, status) -> None:
        """Send the interruption message (if its template is not None)."""
        self._notify_end("interrupted", interrupt_time, status=status, interrupt_time=interrupt_time)

    def failed_event(self, fail_time, fail_trace) -> None:
        """Send the failure message (if its template is not None)."""
        trace = list(fail_trace or [])
        self._notify_end(
            "failed",
            fail_time,
            fail_trace=trace,
            error=trace[-1].strip() if trace else "",
            backtrace="".join(trace),
            fail_time=fail_time,
        )

    # -- machinery ----------------------------------------------------------

    def _run_data(self) -> dict[str, Any]:
        if self.run is None:  # a stop event without a start (should not happen)
            self.run = {
                "_id": None,
                "config": {},
                "start_time": None,
                "experiment": {"name": "unknown experiment"},
                "command": None,
                "host_info": {"hostname": "unknown host"},
                "meta_info": {},
            }
            self.run["ex_info"] = self.run["experiment"]
        return self.run

    def _notify_end(self, event: str, end_time: Any, **fields: Any) -> None:
        """Add the end event's ``fields`` and the elapsed time to the run data, then notify."""
        run = self._run_data()
        run.update(fields)
        run["elapsed_time"] = _elapsed_between(run.get("start_time"), end_time)
        self._notify(event)

    def render(self, event: str) -> str | None:
        """The message for ``event`` ("started", "completed", ...), or None to send nothing.

        A template that cannot be filled (unknown key, broken braces) is
        reported in a warning and the default template is used instead.
        """
        template = getattr(self, f"{event}_text", None)
        if template is None:
            return None
        run = self._run_data()
        try:
            return template.format(**run)
        except _TEMPLATE_ERRORS as err:
            default = self.DEFAULT_TEXTS.get(event)
            self._logger.warning(
                "%s: cannot fill %s_text %r (%s: %s); available keys: %s.%s",
                type(self).__name__,
                event,
                template,
                type(err).__name__,
                err,
                ", ".join(sorted(run)),
                " Sending the default message instead." if default else "",
            )
            if not default or default == template:
                return None
            try:
                return default.format(**run)
            except _TEMPLATE_ERRORS:
                return None

    def _notify(self, event: str) -> None:
        text = self.render(event)
        if text is None:
            return
        try:
            self._deliver(text, event)
        except Exception as err:  # a notifier must never fail the experiment
            self._logger.warning(
                "%s could not send the %s notification: %s",
                type(self).__name__,
                event,
                self.scrub(_describe(err)),
            )

    @property
    def _logger(self) -> logging.Logger:
        # The concrete notifier's module names its warnings (sacred.observers.slack, ...).
        return logging.getLogger(type(self).__module__)

    @abc.abstractmethod
    def _deliver(self, text: str, event: str) -> None:
        """Send ``text``; raise on failure (the caller turns it into a warning)."""

    def _secrets(self) -> Iterable[str]:
        """Strings that must never appear in logs (URLs, tokens, passwords)."""
        return ()

    def scrub(self, text: str) -> str:
        """``text`` with every secret of this observer replaced by ``***``."""
        text = mask_text(str(text))
        for secret in sorted((s for s in self._secrets() if s), key=len, reverse=True):
            text = text.replace(secret, MASK)
            quoted = urllib.parse.quote(secret, safe="")
            if quoted != secret:
                text = text.replace(quoted, MASK)
        return text


def _describe(err: BaseException) -> str:
    if isinstance(err, urllib.error.HTTPError):
        body = read_error_body(err)
        return f"HTTP {err.code} {err.reason}" + (f": {body}" if body else "")
    if isinstance(err, urllib.error.URLError):
        return f"cannot reach the endpoint ({err.reason})"
    if isinstance(err, TimeoutError):
        return f"no answer in time ({err})"
    return f"{type(err).__name__}: {err}"


def load_observer_config(filename: Any) -> dict:
    """Read an observer's json / yaml / pickle config file as a dict.

    JSON and YAML are read with safe loaders; a pickle file can run code when it is
    loaded, so loading one logs a warning naming it, and
    ``SETTINGS.CONFIG.ALLOW_PICKLE_FILES = False`` refuses it.
    """
    from sacred.config.config_files import load_config_file

    return load_config_file(filename)


def check_config_keys(
    config: dict, filename: Any, owner: str, required: Iterable[str], accepted: Iterable[str]
) -> None:
    """Raise a clear error for missing or unknown keys of an observer config file."""
    accepted = tuple(accepted)
    missing = [key for key in required if key not in config]
    if missing:
        raise ValueError(
            f'{owner}: config file "{filename}" lacks the key(s) {", ".join(missing)}; '
            f"accepted keys: {', '.join(accepted)}"
        )
    unknown = sorted(str(key) for key in config if key not in accepted)
    if unknown:
        raise ValueError(
            f'{owner}: config file "{filename}" has unknown key(s) {", ".join(unknown)}; '
            f"accepted keys: {', '.join(accepted)}"
        )

"""Parsing the ``UPDATE`` arguments that follow ``with`` on the command line.

``key=value`` sets a (dotted) config entry; anything without ``=`` names a
named config or a config file. Values are Python literals read with
:func:`ast.literal_eval` (never ``eval``): numbers (``-.3e-7``, ``0b111000``,
``0x1F``, ``1_000``), ``True``/``False``/``None``, quoted strings, and lists,
tuples and dicts of those. A value that is no literal is kept as the plain
string (``name=Bob``) unless ``SETTINGS.COMMAND_LINE.STRICT_PARSING`` is set,
in which case it is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sacred.commandline.errors import CommandLineError
from sacred.settings import SETTINGS
from sacred.utils import set_by_dotted_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["parse_value", "parse_update", "split_updates", "is_update"]

# literal types a config can hold; complex, bytes and sets are refused
_UNSTORABLE = (complex, bytes, set, frozenset)
# what a config key may hold beyond this ('$', jsonpickle keywords...) is checked
# with the other config keys, under SETTINGS.CONFIG
_KEY_PART = re.compile(r"^[^\s.=]+$")


def _to_config_value(value: Any, text: str) -> Any:
    """Turn tuples into lists and refuse literals a config cannot store."""
    if isinstance(value, _UNSTORABLE):
        raise CommandLineError(
            f"Cannot use the value {text!r}: a {type(value).__name__} literal cannot be "
            "stored in a config. Use a number, True/False/None, a quoted string, "
            "a list or a dict (or quote it to pass it as a string)."
        )
    if isinstance(value, (list, tuple)):
        return [_to_config_value(v, text) for v in value]
    if isinstance(value, dict):
        return {_config_key(k, text): _to_config_value(v, text) for k, v in value.items()}
    return value


def _config_key(key: Any, text: str) -> Any:
    """A dict key from a literal: str, int, float, bool or None (what JSON can store)."""
    if key is None or isinstance(key, (str, int, float)):
        return key
    raise CommandLineError(
        f"Cannot use the value {text!r}: the dict key {key!r} is a {type(key).__name__}; "
        "config dict keys must be strings or numbers."
    )


def parse_value(text: str, key: str | None = None) -> Any:
    """Parse one command-line value: a Python literal, else the string itself.

    Surrounding whitespace is ignored for literals. Under
    ``SETTINGS.COMMAND_LINE.STRICT_PARSING`` a value that is no literal raises
    :class:`CommandLineError` naming the value (and ``key`` if given).
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_value expects a str, got {type(text).__name__}")
    import ast  # only runs given values on the command line parse them

    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        if SETTINGS.COMMAND_LINE.STRICT_PARSING:
            target = f' for "{key}"' if key else ""
            raise CommandLineError(
                f"Cannot parse the value {text!r}{target}: it is not a Python literal and "
                "SETTINGS.COMMAND_LINE.STRICT_PARSING is on. Use a number, True/False/None, "
                "a list, a dict or a quoted string; the shell removes one pair of quotes, "
                f"so write e.g. {key or 'key'}='\"{text}\"'."
            ) from None
        return text
    return _to_config_value(value, text)


def _check_key(key: str, update: str) -> str:
    parts = key.split(".")
    if not key or not all(_KEY_PART.match(p) for p in parts):
        raise CommandLineError(
            f"Invalid config update {update!r}: the key {key!r} must be a config entry or a "
            "dotted path of entries like foo.bar (no spaces, empty parts or '=')."
        )
    return key


def is_update(text: str) -> bool:
    """True if ``text`` is a ``key=value`` update (not a named config)."""
    return "=" in text


def parse_update(text: str) -> tuple[str, Any]:
    """Split ``key=value`` at the first ``=`` and parse the value.

    Returns ``(dotted_key, value)``; raises :class:`CommandLineError` for a
    missing ``=`` or a malformed key.
    """
    if "=" not in text:
        raise CommandLineError(
            f"Invalid config update {text!r}: expected the form key=value (e.g. foo.bar=17)"
        )
    key, _, raw_value = text.partition("=")
    key = _check_key(key.strip(), text)
    return key, parse_value(raw_value, key)


def split_updates(update_strings: Iterable[str]) -> tuple[dict, list[str]]:
    """Separate ``with`` arguments into config updates and named configs.

    Returns ``(config_updates, named_configs)``: a nested dict built from all
    ``key=value`` strings (a later update to the same key wins) and the
    strings without ``=`` (named configs or config files) in their order.
    """
    config_updates: dict = {}
    named_configs: list[str] = []
    for text in update_strings:
        if is_update(text):
            key, value = parse_update(text)
            set_by_dotted_path(config_updates, key, value)
        else:
            name = text.strip()
            if not name:
                raise CommandLineError(
                    "Empty argument after `with`: expected key=value or the name of a "
                    "named config or config file"
                )
            named_configs.append(name)
    return config_updates, named_configs

"""JSON text of the layout's files, byte for byte ``json.dumps``'s, at less cost.

:func:`compact_text` is ``json.dumps(obj, sort_keys=True, separators=(",", ":"))``
through the C encoder directly: ``json.dumps`` with non-default arguments builds a
``JSONEncoder`` and a closure on every call, which cost more than encoding a
small value. A run makes about twenty such calls.

``json.dumps(obj, indent=2, sort_keys=True)`` runs python's pure-Python encoder
(the C encoder cannot indent in the Pythons we support): a generator frame per
container and a yield per token. A run writes run.json twice and config.json
once, so that encoder was a good part of what a FileStorage run cost.

:func:`indented_text` gives the same text, byte for byte, two cheaper ways:

* a memo by compact text: the compact form (C encoder, needed anyway for the
  size limit) determines the indented form, which only adds line breaks and
  spaces between its tokens. A run's experiment, host and meta entries are the
  same in every run of a process, so their indented text is looked up;
* a direct walk for plain data (exact ``dict`` with ``str`` keys, ``list``,
  ``tuple``, ``str``, ``int``, ``float``, ``bool``, ``None``): one join per
  container, scalars formatted as the encoder formats them. Anything else
  (other key types, subclasses, other types) is left to ``json.dumps`` for
  that value only.
"""

from __future__ import annotations

import datetime as _dt
import json
from json.encoder import c_make_encoder, encode_basestring_ascii
from typing import Any

__all__ = [
    "compact_text",
    "indented_text",
    "scalar_text",
    "JSON_SCALARS",
    "MEMO_MAX_ENTRIES",
    "MEMO_MAX_CHARS",
]

JSON_SCALARS = frozenset({str, int, float, bool, type(None)})

#: The memo keeps this many most recently used texts ...
MEMO_MAX_ENTRIES = 64
#: ... of values whose compact text is at most this long.
MEMO_MAX_CHARS = 32 * 1024

_MEMO: dict[tuple[str, int], str] = {}
_INFINITY = float("inf")


def scalar_text(value: Any) -> str:
    """The JSON text of a ``str``, ``int``, ``float``, ``bool`` or ``None`` (exact types), as
    ``json.dumps`` writes it (ASCII-only strings, ``NaN``/``Infinity`` allowed)."""
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value:
            return "NaN"
        if value == _INFINITY:
            return "Infinity"
        if value == -_INFINITY:
            return "-Infinity"
        return float.__repr__(value)
    if value is None:
        return "null"
    raise TypeError(f"not a JSON scalar: {kind.__name__}")


def _not_serializable(obj: Any) -> Any:
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


def compact_text(obj: Any) -> str:
    """``json.dumps(obj, sort_keys=True, separators=(",", ":"))`` (same errors: TypeError for
    values JSON cannot take, ValueError for circular references)."""
    if c_make_encoder is None:  # pragma: no cover - CPython always has the C encoder
        return json.dumps(obj, sort_keys=True, separators=(",", ":"))
    encode = c_make_encoder({}, _not_serializable, encode_basestring_ascii, None, ":", ",",
                            True, False, True)
    return "".join(encode(obj, 0))


def time_text(value: Any) -> str | None:
    """The JSON text of an exact ``datetime``/``date`` as flattening stores it (ISO text), else None."""
    kind = type(value)
    if kind is _dt.datetime or kind is _dt.date:
        return encode_basestring_ascii(value.isoformat())
    return None


def indented_text(obj: Any, compact: str, level: int, memo: bool) -> str:
    """``json.dumps(obj, indent=2, sort_keys=True)``, indented as if ``level`` levels deep.

    ``compact`` is ``obj``'s compact text (``sort_keys=True, separators=(",", ":")``);
    ``obj`` must be encodable (it was, to make ``compact``). With ``memo`` the text is
    looked up by ``compact`` first and remembered (values up to :data:`MEMO_MAX_CHARS`).
    """
    if not memo or len(compact) > MEMO_MAX_CHARS:
        return _walk(obj, level)
    key = (compact, level)
    text = _MEMO.pop(key, None)
    if text is None:
        text = _walk(obj, level)
        if len(_MEMO) >= MEMO_MAX_ENTRIES:
            try:  # the least recently used; another thread may have taken it already
                _MEMO.pop(next(iter(_MEMO)), None)
            except (StopIteration, RuntimeError):
                pass
    _MEMO[key] = text
    return text


def _walk(obj: Any, level: int) -> str:
    kind = type(obj)
    if kind in JSON_SCALARS:
        return scalar_text(obj)
    inner = "\n" + "  " * (level + 1)
    if kind is dict and all(type(key) is str for key in obj):
        if not obj:
            return "{}"
        entries = [
            encode_basestring_ascii(key) + ": " + _walk(obj[key], level + 1) for key in sorted(obj)
        ]
        return "{" + inner + ("," + inner).join(entries) + "\n" + "  " * level + "}"
    if kind is list or kind is tuple:
        if not obj:
            return "[]"
        return "[" + inner + ("," + inner).join([_walk(item, level + 1) for item in obj]) + \
            "\n" + "  " * level + "]"
    return _by_json(obj, level)


def _by_json(obj: Any, level: int) -> str:
    """The encoder's own indented text for an unusual value, shifted to ``level``."""
    text = json.dumps(obj, indent=2, sort_keys=True)
    return text.replace("\n", "\n" + "  " * level) if level else text

"""JSON text of the layout's files, byte for byte ``json.dumps``'s, at less cost.

:func:`compact_text` is ``json.dumps(obj, sort_keys=True, separators=(",", ":"))``
through the C encoder directly: ``json.dumps`` with non-default arguments builds a
``JSONEncoder`` and a closure on every call, which cost more than encoding a
small value. A run makes about twenty such calls. Long lists of numbers (an
info entry collecting a loss per step, say) are encoded by orjson when it is
installed (the ``fast`` extra): float to text is most of the cost of a large
info dict, and orjson's is about ten times faster than ``float.__repr__``; the
few forms where its text differs are detected in the text and made by ``json``.

``json.dumps(obj, indent=2, sort_keys=True)`` runs python's pure-Python encoder
(the C encoder cannot indent in the Pythons we support): a generator frame per
container and a yield per token, about 1 us per float. :func:`indented_text`
gives the same text, byte for byte, cheaper:

* a memo by compact text (run.json and config.json): the compact form (needed
  anyway for the size limit) determines the indented form, which only adds line
  breaks and spaces between its tokens. A run's experiment, host and meta entries
  are the same in every run of a process, so their indented text is looked up;
* a direct walk for plain data (exact ``dict`` with ``str`` keys, ``list``,
  ``tuple``, ``str``, ``int``, ``float``, ``bool``, ``None``): one join per
  container, scalars formatted as the encoder formats them;
* flat lists of numbers at C speed: their compact text has commas only between
  items, so a newline and the indent after each comma give the indented text;
  flat lists of strings are one join.

Anything else (other key types, subclasses, other types) is left to
``json.dumps`` for that value only.
"""

from __future__ import annotations

import datetime as _dt
import json
from json.encoder import c_make_encoder, encode_basestring_ascii

from sacred._orjson import accelerator as _accelerator

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "compact_text",
    "indented_text",
    "scalar_text",
    "time_text",
    "JSON_SCALARS",
    "MEMO_MAX_ENTRIES",
    "MEMO_MAX_CHARS",
    "ORJSON_FROM_ITEMS",
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


def _orjson_may_differ(data: bytes) -> bool:
    """True if orjson's ``data`` may differ from ``json``'s text of the same list.

    orjson writes ``0.00001`` for ``1e-05``, ``1e-7`` for ``1e-07``, ``null``
    for NaN, and escapes strings differently; text holding a quote, an ``n``
    (``null``), a negative exponent or ``0.0000`` is therefore made by
    ``json`` again. The rest of a number list's text is the same: both write
    the shortest digits that read back as the same float. Single-byte
    searches come first: they run at memory speed.
    """
    return (
        b'"' in data
        or b"n" in data
        or (b"e" in data and b"e-" in data)
        or b"0.0000" in data
    )


#: Lists shorter than this are encoded by ``json`` alone: importing orjson (which imports
#: ``dataclasses`` and ``inspect``) costs more than it saves on a short list.
ORJSON_FROM_ITEMS = 1024


def _not_serializable(obj: Any) -> Any:
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


def compact_text(obj: Any) -> str:
    """``json.dumps(obj, sort_keys=True, separators=(",", ":"))`` (same errors: TypeError for
    values JSON cannot take, ValueError for circular references).

    A list or tuple of at least :data:`ORJSON_FROM_ITEMS` items is first tried
    with orjson, when installed: for lists of numbers (floats, ints up to 64
    bits, booleans; nested lists of them) its text is the same, and whatever
    text might differ (strings, ``null``, negative exponents, numbers below
    ``1e-4``, types orjson refuses) is made by ``json``.
    """
    if (type(obj) is list or type(obj) is tuple) and len(obj) >= ORJSON_FROM_ITEMS:
        fast = _accelerator()
        if fast is not None:
            try:
                data = fast.dumps(obj)
            except (TypeError, ValueError, OverflowError):
                data = None
            if data is not None and not _orjson_may_differ(data):
                return data.decode("ascii")
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
        flat = _flat_list(obj, inner)
        if flat is not None:
            return flat + "\n" + "  " * level + "]"
        return "[" + inner + ("," + inner).join([_walk(item, level + 1) for item in obj]) + \
            "\n" + "  " * level + "]"
    return _by_json(obj, level)


#: lists at least this long whose first and last items are numbers try the C-speed path
FLAT_FROM_ITEMS = 8
_NUMBERS = frozenset({int, float, bool})


def _flat_list(obj: list | tuple, inner: str) -> str | None:
    """The indented text of a flat list of numbers or strings up to its closing line, or None.

    Numbers: the compact text of a list holding no string, list or object
    has commas only between its items (both encoders write numbers with
    ``int.__repr__``/``float.__repr__``, subclasses too), so ``inner`` after each
    comma indents it. Strings (exact ``str``): one join with the encoder's own
    escaping function.
    """
    if len(obj) < FLAT_FROM_ITEMS:
        return None
    if type(obj[0]) in _NUMBERS and type(obj[-1]) in _NUMBERS:
        try:
            body = compact_text(obj)[1:-1]
        except (TypeError, ValueError, RecursionError):
            return None
        if '"' not in body and "[" not in body and "{" not in body:
            return "[" + inner + body.replace(",", "," + inner)
        return None
    if type(obj[0]) is str and all(type(item) is str for item in obj):
        return "[" + inner + ("," + inner).join(map(encode_basestring_ascii, obj))
    return None


def _by_json(obj: Any, level: int) -> str:
    """The encoder's own indented text for an unusual value, shifted to ``level``."""
    text = json.dumps(obj, indent=2, sort_keys=True)
    return text.replace("\n", "\n" + "  " * level) if level else text

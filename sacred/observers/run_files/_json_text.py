"""Indented JSON text at C speed for the common shapes of run files.

``json.dumps(obj, indent=2, sort_keys=True)`` runs CPython's pure-Python
encoder (the C encoder only makes compact text), about 1 us per float. The
files of a run are indented while they are small (under 1 MiB), and their
large values are mostly flat lists of numbers (an info entry collecting a
loss per step, say). :func:`indented_json` makes the indented text of such a
list from its compact C-encoded text, by putting each separator on its own
line with ``str.replace``, and of a flat list of strings with one ``join``.
Everything else goes through ``json.dumps`` itself, so the text is always
byte for byte ``json.dumps(obj, indent=2, sort_keys=True)``.

:func:`compact_json` makes the compact text of lists of numbers with orjson
when it is installed (the ``fast`` extra): float to text is most of the cost
of a large info dict, and orjson's is about ten times faster than
``float.__repr__``; the few forms where its text differs are detected in the
text and made by ``json`` instead.
"""

from __future__ import annotations

import json
import os
from json.encoder import encode_basestring_ascii
from typing import Any

__all__ = ["compact_json", "indented_json"]


_missing: Any = object()
_orjson: Any = _missing


def _accelerator() -> Any:
    """orjson when installed and not turned off (``SACRED_NO_ORJSON``), else None."""
    global _orjson
    if os.environ.get("SACRED_NO_ORJSON"):
        return None
    if _orjson is _missing:
        try:
            import orjson
        except ImportError:
            orjson = None
        _orjson = orjson
    return _orjson


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


def compact_json(obj: Any) -> str:
    """The compact form the run files use: sorted keys, no spaces, NaN/Infinity allowed.

    Always ``json.dumps(obj, sort_keys=True, separators=(",", ":"),
    allow_nan=True)``. A list or tuple of at least :data:`ORJSON_FROM_ITEMS`
    items is first tried with orjson, when installed: for lists of numbers (floats, ints up to 64 bits, booleans;
    nested lists of them) its text is the same and ten times faster to make,
    and whatever text might differ (strings, ``null``, negative exponents,
    numbers below ``1e-4``, types orjson refuses) is made by ``json``.
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
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=True)


def indented_json(obj: Any, compact: str | None = None) -> str:
    """``json.dumps(obj, indent=2, sort_keys=True)``, fast for flat lists of scalars.

    ``compact`` is ``compact_json(obj)`` when the caller has it already. A
    list or tuple whose compact text holds no string, list or object (only
    numbers, ``NaN``/``Infinity``, ``true``/``false``/``null``) has commas
    only between its items, so putting a newline and the indent after each
    comma gives the indented text; a list of exact ``str`` items is joined
    with the same escaping function the encoder uses. Both encoders write
    numbers with ``int.__repr__`` / ``float.__repr__`` (also for subclasses),
    so the tokens are the same.
    """
    if type(obj) is list or type(obj) is tuple:
        if not obj:
            return "[]"
        if compact is None:
            try:
                compact = compact_json(obj)
            except (TypeError, ValueError, RecursionError):
                compact = None
        if compact is not None and compact[0] == "[":
            body = compact[1:-1]
            if '"' not in body and "[" not in body and "{" not in body:
                return "[\n  " + body.replace(",", ",\n  ") + "\n]"
        if all(type(item) is str for item in obj):
            return "[\n  " + ",\n  ".join(map(encode_basestring_ascii, obj)) + "\n]"
    return json.dumps(obj, indent=2, sort_keys=True)

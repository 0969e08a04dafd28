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
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any

__all__ = ["compact_json", "indented_json"]


def compact_json(obj: Any) -> str:
    """The compact form the run files use: sorted keys, no spaces, NaN/Infinity allowed."""
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

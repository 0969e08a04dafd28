"""A FileStorage ``metrics.json`` read lazily: each metric's lists are parsed only when used.

A finished run's ``metrics.json`` is ``{name: {"steps": [...], "timestamps": [...],
"values": [...]}}``; for a long series nearly all of its bytes are in those
lists. :func:`split_metrics` cuts each list out as JSON text (a
:class:`RawList`) and parses only the rest, so the names are known at once, and
``sacred show`` parses the values it summarises but never the steps or the
timestamps.

The cut is exact or not made at all: a list is cut only when its first ``]``
certainly closes it (no nested ``[``/``{``, and no string in it that could hold
a ``]``: no backslash, an even number of quotes), and the file minus its cut
lists must parse with every cut back at the key it was taken from. Anything
else (nested values, a torn or hand-edited file) returns None and the caller
parses the whole file as before.
"""

from __future__ import annotations

import json
import os
import re
import threading

from sacred.runs._json import loads

__all__ = ["RawList", "split_metrics", "LIST_KEYS"]

LIST_KEYS = ("steps", "timestamps", "values")
_LIST_KEY = re.compile(rb'"(steps|timestamps|values)"[ \t\r\n]*:[ \t\r\n]*\[')


class RawList:
    """One list of a stored JSON file, kept as its text and parsed once, on first use (thread-safe)."""

    __slots__ = ("_text", "_value", "_lock")

    def __init__(self, text: bytes) -> None:
        self._text: bytes | None = text
        self._value: list | None = None
        self._lock = threading.Lock()

    def get(self) -> list:
        """The parsed list (the same object on every call; callers copy it before changing it).

        Raises ValueError when the text is not a JSON list.
        """
        if self._value is None:
            with self._lock:
                if self._value is None:
                    try:
                        value = loads(self._text)
                    except (ValueError, RecursionError) as exc:
                        raise ValueError(f"a stored metric list is not valid JSON ({exc})") from None
                    if not isinstance(value, list):
                        raise ValueError("a stored metric list is not a list")
                    self._value = value
                    self._text = None
        return self._value

    @property
    def text(self) -> bytes | None:
        """The JSON text, until the list has been parsed."""
        return self._text

    def __repr__(self) -> str:
        state = "parsed" if self._value is not None else f"{len(self._text or b'')} bytes"
        return f"RawList({state})"


def _flat_list_end(data: bytes, start: int) -> int:
    """The index of the ``]`` closing the list that opens at ``data[start]``, or -1 when not certain."""
    close = data.find(b"]", start)
    if close < 0:
        return -1
    if data.find(b"[", start + 1, close) >= 0 or data.find(b"{", start + 1, close) >= 0:
        return -1
    quotes = data.count(b'"', start, close)
    if quotes and (quotes % 2 or data.find(b"\\", start, close) >= 0):
        return -1
    return close


def split_metrics(data: bytes) -> dict | None:
    """``metrics.json`` bytes as ``{name: {key: RawList | value}}``, or None when the lists cannot be cut exactly.

    Lists under ``steps``, ``timestamps`` and ``values`` become :class:`RawList`;
    everything else is parsed as usual.
    """
    nonce = os.urandom(8).hex()
    pieces: list[bytes] = []
    cuts: list[tuple[str, bytes]] = []
    position = 0
    while True:
        match = _LIST_KEY.search(data, position)
        if match is None:
            break
        if match.start() > 0 and data[match.start() - 1] == 0x5C:  # a backslash: the key may sit in a string
            return None
        start = match.end() - 1
        close = _flat_list_end(data, start)
        if close < 0:
            return None
        pieces.append(data[position:start])
        pieces.append(f'"{nonce}:{len(cuts)}"'.encode())
        cuts.append((match.group(1).decode(), data[start:close + 1]))
        position = close + 1
    if not cuts:
        return None
    pieces.append(data[position:])
    try:
        skeleton = json.loads(b"".join(pieces))
    except (ValueError, RecursionError):
        return None
    if not isinstance(skeleton, dict):
        return None
    found = 0
    for series in skeleton.values():
        if not isinstance(series, dict):
            continue
        for key, value in series.items():
            if isinstance(value, str) and value.startswith(nonce):
                if found >= len(cuts) or value != f"{nonce}:{found}" or key != cuts[found][0]:
                    return None
                series[key] = RawList(cuts[found][1])
                found += 1
    if found != len(cuts):
        return None
    return skeleton

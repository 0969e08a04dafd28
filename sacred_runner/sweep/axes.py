"""The multirun ``with`` grammar: ``key=v1,v2``, ``key=range(a, b[, s])``, ``small,large``.

Outside multirun mode the ``with`` grammar stays Sacred 0.8.7's (``a=1,2`` is
a tuple); these rules apply only after ``--multirun`` / ``-M``:

* ``key=v1,v2,...`` is an axis: the text is split at commas outside brackets
  and quotes, and each part is parsed as a ``with`` value (``bs=[1,2]`` is one
  list value, ``name='a,b'`` one string);
* ``key=range(start, stop[, step])`` is an axis of integers, as Python's range;
* ``key=value`` (one value) is fixed for every point;
* ``name1,name2`` (no ``=``) is an axis of alternative named configs; a single
  name applies to every point.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sacred_runner.errors import UsageError

__all__ = [
    "Axis", "NAMED_CONFIGS_KEY", "parse_axis_values", "parse_multirun_updates", "parse_range", "range_length",
    "split_top_level",
]

#: the point key of an axis of named configs
NAMED_CONFIGS_KEY = "named_configs"

_RANGE = re.compile(r"^\s*range\s*\((?P<args>.*)\)\s*$", re.DOTALL)
_OPENERS = {"[": "]", "(": ")", "{": "}"}


def range_length(values: range) -> int:
    """How many integers ``values`` holds, without ``len()`` (which overflows past ``sys.maxsize``)."""
    if values.step > 0:
        return max(0, (values.stop - values.start + values.step - 1) // values.step)
    return max(0, (values.start - values.stop - values.step - 1) // -values.step)


@dataclass(frozen=True)
class Axis:
    """One swept dimension: a dotted config key (or named configs) and its values in order.

    ``values`` is a tuple, or a ``range`` for ``range(...)`` axes: a range is
    never materialised before the sweep's size is checked (``--max-points``).
    """

    key: str
    values: Sequence[Any]
    named: bool = False  # values are named-config names (tuples of names)

    def __post_init__(self) -> None:
        if not self.size:
            raise UsageError(f"the sweep axis {self.key!r} has no values")

    @property
    def size(self) -> int:
        """Number of values (computed, not counted, for a range)."""
        return range_length(self.values) if isinstance(self.values, range) else len(self.values)


def split_top_level(text: str) -> list[str]:
    """Split ``text`` at commas that are not inside brackets or quotes."""
    parts: list[str] = []
    depth: list[str] = []
    quote: str | None = None
    current: list[str] = []
    escaped = False
    for char in text:
        if quote is not None:
            current.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in "'\"":
            quote = char
        elif char in _OPENERS:
            depth.append(_OPENERS[char])
        elif depth and char == depth[-1]:
            depth.pop()
        elif char == "," and not depth:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def parse_range(text: str, key: str) -> range | None:
    """The integers of ``range(start, stop[, step])``, as a lazy ``range`` (None if ``text`` is no range expression)."""
    match = _RANGE.match(text)
    if match is None:
        if text.strip().startswith("range"):
            raise UsageError(f"malformed range for {key!r}: {text!r} (write range(start, stop) or range(start, stop, step))")
        return None
    arguments = [part.strip() for part in match.group("args").split(",")]
    try:
        numbers = [int(part, 0) for part in arguments]
    except ValueError:
        numbers = []
    if len(numbers) not in (2, 3) or len(numbers) != len(arguments):
        raise UsageError(
            f"malformed range for {key!r}: {text!r} (write range(start, stop) or "
            "range(start, stop, step) with integers)"
        )
    if len(numbers) == 3 and numbers[2] == 0:
        raise UsageError(f"malformed range for {key!r}: {text!r} (the step must not be 0)")
    values = range(*numbers)  # not materialised: its size is checked against --max-points first
    if not range_length(values):
        raise UsageError(f"the sweep axis {key!r} has no values: {text.strip()} is empty")
    return values


def parse_axis_values(text: str, key: str) -> Sequence[Any]:
    """The values of ``key=TEXT`` in multirun mode (one value for a fixed key)."""
    from sacred.commandline.values import parse_value
    from sacred.utils import SacredError

    values = parse_range(text, key)
    if values is not None:
        return values
    parts = split_top_level(text)
    if any(not part.strip() for part in parts):
        if len(parts) == 1:
            raise UsageError(f"the sweep axis {key!r} has no values (write {key}=v1,v2,...)")
        raise UsageError(f"the sweep axis {key!r} has an empty value in {text!r} (write {key}=v1,v2,...)")
    try:
        return tuple(parse_value(part, key) for part in parts)
    except (SacredError, ValueError) as error:
        raise UsageError(str(error)) from None


def parse_multirun_updates(tokens: list[str]) -> list[Axis]:
    """Axes (fixed keys are one-value axes) from the ``with`` arguments of a multirun."""
    from sacred.commandline.values import _check_key
    from sacred.utils import SacredError

    axes: list[Axis] = []
    for token in tokens:
        if "=" in token:
            key, _, text = token.partition("=")
            try:
                key = _check_key(key.strip(), token)
            except SacredError as error:
                raise UsageError(str(error)) from None
            axes = [axis for axis in axes if axis.key != key]  # a later update to a key wins
            axes.append(Axis(key, parse_axis_values(text, key)))
            continue
        names = [name.strip() for name in token.split(",")]
        if not token.strip() or any(not name for name in names):
            raise UsageError(f"the named-config axis {token!r} has an empty name (write small,large)")
        axes.append(Axis(NAMED_CONFIGS_KEY, tuple((name,) for name in names), named=True))
    return axes

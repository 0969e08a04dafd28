"""JSON parsing of large stored lists: orjson when it is installed, the standard library otherwise.

Both paths give equal values for every input. orjson is several times faster on
long lists of numbers but stricter and, for integers beyond 64 bits, lossy:

* ``NaN``, ``Infinity``, numbers out of the float range, lone surrogates and a
  byte-order mark are refused by orjson: the text is parsed again by
  :func:`json.loads`, which accepts them as sacred always has;
* an integer beyond 64 bits comes back from orjson as a float: a result holding
  a number of magnitude ``2**63`` or more is therefore parsed again as well.

orjson is an optional accelerator (the ``fast`` extra), imported on first use.
Setting the environment variable ``SACRED_NO_ORJSON`` to a non-empty value
turns it off (to compare both paths, or to rule it out).
"""

from __future__ import annotations

import json
from typing import Any

from sacred._orjson import accelerator

__all__ = ["loads", "loads_stdlib", "accelerator"]

_LIMIT = 2**63
_NUMBERS = (int, float)


def loads_stdlib(data: bytes | str) -> Any:
    """``json.loads``: the reference result."""
    return json.loads(data)


def loads(data: bytes | str, accelerate: bool = True) -> Any:
    """``data`` parsed as JSON, with orjson when available (``accelerate``) and safe, else the standard library.

    Raises what :func:`json.loads` raises for text that is not JSON.
    """
    fast = accelerator() if accelerate else None
    if fast is not None:
        try:
            value = fast.loads(data)
        except fast.JSONDecodeError:
            pass
        else:
            if not _may_be_rounded(value):
                return value
    return json.loads(data)


def _may_be_rounded(value: Any) -> bool:
    """Whether ``value`` holds a number of magnitude ``2**63`` or more (orjson may have rounded an integer)."""
    if isinstance(value, dict):
        return any(_may_be_rounded(item) for item in value.values())
    if not isinstance(value, list):
        return type(value) in _NUMBERS and abs(value) >= _LIMIT
    if not value:
        return False
    try:  # succeeds when all items are numbers, or all strings
        low, high = min(value), max(value)
    except TypeError:  # mixed kinds: the numbers at C speed, then the containers one by one
        numbers = [item for item in value if type(item) in _NUMBERS]
        if numbers and (min(numbers) <= -_LIMIT or max(numbers) >= _LIMIT):
            return True
        return any(_may_be_rounded(item) for item in value if type(item) in (list, dict))
    if type(low) in _NUMBERS or type(high) in _NUMBERS:
        return low <= -_LIMIT or high >= _LIMIT
    if isinstance(low, str):
        return False
    return any(_may_be_rounded(item) for item in value)  # lists (or dicts) only

"""Walk nested run data (dicts, lists, tuples) before an observer stores it.

* :func:`map_leaves`: copy a structure, converting every leaf.
* :func:`mask_secrets`: the same structure with URL passwords replaced by ``***``
  (e.g. ``--sql postgresql://user:secret@host/db`` in the meta info's options).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sacred.utils import mask_url_password

__all__ = ["map_leaves", "mask_secrets"]


def map_leaves(value: Any, convert: Callable[[Any], Any]) -> Any:
    """Copy nested dicts/lists/tuples (tuples become lists), applying ``convert`` to each leaf."""
    if isinstance(value, dict):
        return {k: map_leaves(v, convert) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [map_leaves(v, convert) for v in value]
    return convert(value)


def mask_secrets(value: Any) -> Any:
    """Copy of ``value`` with the password of every URL in its strings replaced by ``***``."""
    return map_leaves(value, mask_url_password)

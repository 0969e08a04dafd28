"""Turning run values into what the pages show: flattened configs, short texts, JSON for scripts."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "config_differences",
    "flatten",
    "format_duration",
    "format_time",
    "format_value",
    "json_for_script",
    "json_safe",
    "modified_keys",
]


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config as ``{"dotted.key": leaf value}`` (empty dicts stay as leaves)."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def format_value(value: Any, limit: int = 200) -> str:
    """A short text for a table cell (JSON-like, cut at ``limit`` characters)."""
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, dt.datetime):
        text = format_time(value)
    else:
        try:
            text = json.dumps(json_safe(value), ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_time(value: dt.datetime | None) -> str:
    """``YYYY-MM-DD HH:MM:SS`` (UTC as stored) or an empty string."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M:%S")


def format_duration(seconds: float | None) -> str:
    """``1h 02m``, ``3m 05s``, ``4.2s`` or an empty string."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as strings and unknown objects as text: JSON.parse accepts it."""
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return repr(value)


def json_for_script(value: Any) -> str:
    """JSON to embed in a ``<script type="application/json">``: ``<``, ``>`` and ``&`` escaped."""
    text = json.dumps(json_safe(value), ensure_ascii=False, allow_nan=False)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _as_keys(entry: Any) -> Iterable[str]:
    if isinstance(entry, Mapping):
        return (str(key) for key in entry)
    if isinstance(entry, list | tuple | set):
        return (str(key) for key in entry)
    return ()


def modified_keys(modifications: Mapping[str, Any] | None,
                  meta: Mapping[str, Any] | None) -> dict[str, str]:
    """``{dotted key: "added" | "modified" | "typechanged" | "updated"}`` for a run's config.

    Reads the stored config modifications where the store kept them, and the
    command line's ``config_updates`` (``meta_info``) where it did not.
    """
    marks: dict[str, str] = {}
    updates = (meta or {}).get("config_updates") or {}
    if isinstance(updates, Mapping):
        for key in flatten(updates):
            marks[key] = "updated"
    for kind in ("updated", "added", "modified", "typechanged"):
        for key in _as_keys((modifications or {}).get(kind)):
            marks[key] = kind
    return marks


def config_differences(configs: list[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """The dotted keys whose value differs between ``configs`` (or is missing in some), and the rest."""
    flats = [flatten(config) for config in configs]
    keys = sorted({key for flat in flats for key in flat})
    missing = object()
    differ, same = [], []
    for key in keys:
        values = [json.dumps(json_safe(flat.get(key, missing)), sort_keys=True)
                  if key in flat else "\0missing" for flat in flats]
        (differ if len(set(values)) > 1 else same).append(key)
    return differ, same

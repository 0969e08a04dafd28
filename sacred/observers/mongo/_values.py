"""Turn run data into what MongoDB (and the failure dump) can store.

* :func:`bsonify`: anything -> BSON-encodable data (unknown objects go through
  ``sacred.serializer.flatten``; integers beyond int64 become strings).
* :func:`to_extended_json`: datetimes and ObjectIds as MongoDB extended JSON
  (``{"$date": ...}``, ``{"$oid": ...}``) for the JSON failure dump.
* :func:`metric_value`: one logged metric value as a plain number if it is one.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from sacred.serializer import flatten
from sacred.utils import map_leaves

__all__ = [
    "bson_text",
    "bsonify",
    "force_bson_encodeable",
    "metric_value",
    "to_extended_json",
]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _is_object_id(obj: Any) -> bool:
    return type(obj).__name__ == "ObjectId"


def bson_text(text: str) -> str:
    """``text`` as BSON can hold it: a lone surrogate (``os.fsdecode(b"data_\\xff.csv")``
    gives ``'data_\\udcff.csv'``) cannot be UTF-8 encoded, so it is stored as its escape
    ``\\udcff``, the way a JSON file shows it. Other strings are returned unchanged."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def bsonify(obj: Any) -> Any:
    """Return ``obj`` as BSON-encodable data; unknown objects go through flatten.

    Integers beyond int64 become strings and strings BSON cannot encode become
    :func:`bson_text`, so no single value can make a run document unsaveable.
    """
    if isinstance(obj, str):
        return bson_text(obj)
    if obj is None or isinstance(obj, (bool, float, bytes, _dt.datetime)):
        return obj
    if isinstance(obj, int):
        return obj if _INT64_MIN <= obj <= _INT64_MAX else str(obj)
    if isinstance(obj, dict):
        return {
            bson_text(k if isinstance(k, str) else str(flatten(k))): bsonify(v) for k, v in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        return [bsonify(v) for v in obj]
    if _is_object_id(obj):
        return obj
    return bsonify(flatten(obj))


def _extended_json_leaf(obj: Any) -> Any:
    if isinstance(obj, _dt.datetime):
        return {"$date": obj.isoformat() + ("Z" if obj.tzinfo is None else "")}
    if _is_object_id(obj):
        return {"$oid": str(obj)}
    return obj


def to_extended_json(obj: Any) -> Any:
    """Copy of ``obj`` with datetimes as ``{"$date": ...}`` and ObjectIds as ``{"$oid": ...}``."""
    return map_leaves(obj, _extended_json_leaf)


def metric_value(value: Any) -> Any:
    """A logged value as stored: numbers unchanged, numpy scalars unwrapped, others bsonified.

    An integer beyond int64 (``log_scalar("m", 2**70)``) is stored as the nearest
    float (as a string if even a float cannot hold it), so it stays plottable and
    the metric document stays writable.
    """
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        value = value.item()
    if isinstance(value, int) and not isinstance(value, bool):
        if _INT64_MIN <= value <= _INT64_MAX:
            return value
        try:
            return float(value)
        except OverflowError:
            return str(value)
    if isinstance(value, float):
        return value
    return bsonify(value)


def _bson_encodable(obj: Any) -> bool:
    try:
        import bson
    except ImportError:  # without pymongo: the plain types BSON always takes
        return obj is None or isinstance(obj, (str, bool, int, float, bytes, _dt.datetime))
    try:
        bson.encode({"value": obj})
    except Exception:  # noqa: BLE001 - anything bson refuses becomes a string
        return False
    return True


def force_bson_encodeable(obj: Any) -> Any:
    """Sacred 0.8.7's last resort before storing: make ``obj`` BSON-encodable.

    In dict keys, ``.`` becomes ``,`` and ``$`` becomes ``@``; a list or tuple
    BSON refuses is converted element-wise (keeping its type); whatever BSON
    still refuses becomes its ``str()``.
    """
    if isinstance(obj, dict):
        return {
            (k.replace(".", ",").replace("$", "@") if isinstance(k, str) else str(k)): (
                force_bson_encodeable(v)
            )
            for k, v in obj.items()
        }
    if _bson_encodable(obj):
        return obj
    if isinstance(obj, (list, tuple)):
        return type(obj)(force_bson_encodeable(v) for v in obj)
    return str(obj)

"""Turn arbitrary python values into JSON-ready data, and back, safely.

``flatten`` is used by observers before storing values they do not control
(info dict, results, config). Plain JSON values pass through untouched (the
fast path); numpy scalars and arrays become python numbers and lists; pandas
objects become plain dicts; anything else is encoded with jsonpickle so that
nothing is lost and nothing crashes at the end of a long run.

``restore`` decodes data tags without ever executing code: a stored
``py/object`` or ``py/reduce`` tag cannot import or call anything.
"""

from __future__ import annotations

import datetime as _dt
import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["flatten", "restore", "dumps", "loads", "json_default"]

_PLAIN = (str, int, bool, type(None))
# exact types whose items a list keeps as they are (subclasses, e.g. numpy.float64, go
# through flatten): a run's metrics are long lists of these
_SCALAR_TYPES = frozenset({str, int, bool, type(None), float})


def _numpy_to_python(obj: Any) -> tuple[bool, Any]:
    module = type(obj).__module__
    if module == "numpy" or module.startswith("numpy."):
        if hasattr(obj, "tolist"):
            return True, obj.tolist()
        if hasattr(obj, "item"):
            return True, obj.item()
    if module.startswith("pandas"):
        if hasattr(obj, "to_dict"):
            try:
                return True, flatten(json.loads(obj.to_json()))
            except Exception:  # noqa: BLE001 - fall back to jsonpickle below
                return False, None
    return False, None


def flatten(obj: Any) -> Any:
    """Return a JSON-serialisable version of ``obj`` (see module docstring)."""
    if isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, float):
        return obj
    if isinstance(obj, dict):
        scalars = _SCALAR_TYPES  # values of these exact types are their own flat form
        return {
            (k if isinstance(k, str) else _key(k)): (v if type(v) in scalars else flatten(v))
            for k, v in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        return _flatten_items(obj)
    if isinstance(obj, (_dt.datetime, _dt.date)):
        return obj.isoformat()
    converted, value = _numpy_to_python(obj)
    if converted:
        return flatten(value)
    import jsonpickle

    return json.loads(jsonpickle.encode(obj, unpicklable=True, make_refs=False, keys=True))


def _flatten_items(items: list | tuple) -> list:
    """``[flatten(v) for v in items]``, without a call per scalar or datetime."""
    result = []
    append = result.append
    scalars = _SCALAR_TYPES
    datetime = _dt.datetime
    for value in items:
        kind = type(value)
        if kind in scalars:
            append(value)
        elif kind is datetime:
            append(value.isoformat())
        else:
            append(flatten(value))
    return result


def _key(key: Any) -> str:
    converted, value = _numpy_to_python(key)
    return str(value if converted else key)


def restore(data: Any) -> Any:
    """Decode data produced by :func:`flatten` without executing any code.

    Only data tags are decoded (``py/tuple``, ``py/set``, ``py/b64`` bytes);
    object tags (``py/object``, ``py/reduce``, ``py/function``, ...) are left
    as the plain dicts they are, because reconstructing them would import
    and call whatever stored data names. jsonpickle's own decoder is never
    used on stored data: even its "safe" mode runs ``py/reduce``.
    """
    if isinstance(data, list):
        return [restore(v) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1:
        ((tag, value),) = data.items()
        if tag == "py/tuple" and isinstance(value, list):
            return tuple(restore(v) for v in value)
        if tag == "py/set" and isinstance(value, list):
            items = [restore(v) for v in value]
            try:
                return set(items)
            except TypeError:
                return items
        if tag == "py/b64" and isinstance(value, str):
            import base64

            try:
                return base64.b64decode(value)
            except ValueError:
                return data
    return {k: restore(v) for k, v in data.items()}


def json_default(obj: Any) -> Any:
    """``json.dumps(default=...)`` hook that flattens unknown objects."""
    if isinstance(obj, (_dt.datetime, _dt.date)):
        return obj.isoformat()
    return flatten(obj)



def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` of ``flatten(obj)`` (sorted keys, stable output)."""
    kwargs.setdefault("sort_keys", True)
    return json.dumps(flatten(obj), default=json_default, **kwargs)


def loads(text: str) -> Any:
    """Inverse of :func:`dumps`."""
    return restore(json.loads(text))

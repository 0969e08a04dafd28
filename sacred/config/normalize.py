"""Validate config keys and turn config values into plain JSON-like python data.

Config entries end up in databases, so keys are checked against the rules in
``SETTINGS.CONFIG`` (no ``.``, ``=`` or ``$``, no jsonpickle keywords
such as ``py/object``...) and values are normalised: tuples become lists,
numpy scalars and arrays become python numbers and lists, pandas objects become
plain data.
"""

from __future__ import annotations

from collections.abc import Mapping

from sacred.settings import SETTINGS
from sacred.utils import InvalidConfigError, is_identifier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "assert_is_valid_key",
    "is_json_like",
    "normalize_or_die",
    "normalize_value",
    "is_numpy_type_change_ignorable",
]

JSONPICKLE_RESERVED = {
    "py/object",
    "py/type",
    "py/repr",
    "py/reduce",
    "py/function",
    "py/id",
    "py/iterator",
    "py/ref",
    "py/set",
    "py/seq",
    "py/state",
    "py/tuple",
    "py/newargs",
    "py/newargsex",
    "py/newobj",
    "py/initargs",
    "py/bytes",
    "py/b64",
    "py/b85",
    "py/mod",
    "py/property",
    "py/module",
    "py/method",
    "py/float",
}


def assert_is_valid_key(key: Any, path: str = "") -> None:
    """Raise :class:`InvalidConfigError` if ``key`` is not allowed as a config key."""
    if type(key) is str and key.isascii() and key.isidentifier():
        return  # passes every check below whatever the settings (no '.', '$', '/', '=')
    where = f' (in "{path}")' if path else ""
    cfg = SETTINGS.CONFIG
    if cfg.ENFORCE_STRING_KEYS and not isinstance(key, str):
        raise InvalidConfigError(
            f"Invalid config key {key!r}{where}: keys must be strings "
            "(SETTINGS.CONFIG.ENFORCE_STRING_KEYS)",
            conflicting_configs=(str(key),),
        )
    if not isinstance(key, str):
        return
    if cfg.ENFORCE_KEYS_MONGO_COMPATIBLE and ("." in key or "$" in key):
        raise InvalidConfigError(
            f'Invalid config key "{key}"{where}: keys must not contain "." or "$" '
            "(they are stored in MongoDB; SETTINGS.CONFIG.ENFORCE_KEYS_MONGO_COMPATIBLE)",
            conflicting_configs=(key,),
        )
    if cfg.ENFORCE_KEYS_JSONPICKLE_COMPATIBLE and key in JSONPICKLE_RESERVED:
        raise InvalidConfigError(
            f'Invalid config key "{key}"{where}: it is a reserved jsonpickle keyword '
            "(SETTINGS.CONFIG.ENFORCE_KEYS_JSONPICKLE_COMPATIBLE)",
            conflicting_configs=(key,),
        )
    if cfg.ENFORCE_VALID_PYTHON_IDENTIFIER_KEYS and not is_identifier(key):
        raise InvalidConfigError(
            f'Invalid config key "{key}"{where}: keys must be valid python identifiers '
            "(SETTINGS.CONFIG.ENFORCE_VALID_PYTHON_IDENTIFIER_KEYS)",
            conflicting_configs=(key,),
        )
    if cfg.ENFORCE_KEYS_NO_EQUALS and "=" in key:
        raise InvalidConfigError(
            f'Invalid config key "{key}"{where}: keys must not contain "=" '
            "(SETTINGS.CONFIG.ENFORCE_KEYS_NO_EQUALS)",
            conflicting_configs=(key,),
        )


class NotJsonLike(Exception):
    """A value is not JSON-like data (config scopes drop such locals; elsewhere it is an error)."""


def _numpy_value(value: Any) -> tuple[bool, Any]:
    module = type(value).__module__
    if module == "numpy" or module.startswith("numpy."):
        if hasattr(value, "tolist"):
            return True, value.tolist()
    elif module.startswith("pandas"):
        import json

        if hasattr(value, "to_json"):
            return True, json.loads(value.to_json())
    return False, None


def normalize_value(value: Any, path: str = "") -> Any:
    """Return ``value`` as plain python data or raise ``NotJsonLike``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        if type(value) not in (bool, int, float, str, type(None)):
            # subclasses such as IntEnum keep their plain value
            for base in (bool, int, float, str):
                if isinstance(value, base):
                    return base(value)
        return value
    if isinstance(value, Mapping):
        result = {}
        for key, sub in value.items():
            sub_path = f"{path}.{key}" if path else str(key)
            assert_is_valid_key(key, sub_path)
            result[key] = normalize_value(sub, sub_path)
        return result
    if isinstance(value, (list, tuple)):
        return [normalize_value(v, f"{path}[{i}]") for i, v in enumerate(value)]
    converted, plain = _numpy_value(value)
    if converted:
        return normalize_value(plain, path)
    raise NotJsonLike(path)


def is_json_like(value: Any) -> bool:
    """True if ``value`` can be a config entry (after normalisation)."""
    try:
        normalize_value(value)
    except NotJsonLike:
        return False
    return True


def normalize_or_die(value: Any, what: str = "config") -> Any:
    """Normalise ``value`` or raise an error naming the offending entry."""
    try:
        return normalize_value(value)
    except NotJsonLike as err:
        entry = err.args[0] or "<root>"
        raise InvalidConfigError(
            f'Invalid {what} entry "{entry}": value is not JSON-serialisable '
            "(use numbers, strings, booleans, None, lists or dicts)",
            conflicting_configs=(entry,),
        ) from None


def is_numpy_type_change_ignorable(old: type, new: type) -> bool:
    """True for type changes between a numpy scalar type and the python equivalent."""
    numeric = (bool, int, float)

    def kind(t: type) -> str | None:
        module = t.__module__
        if module == "numpy" or module.startswith("numpy."):
            name = t.__name__
            if name.startswith("bool"):
                return "bool"
            if "int" in name:
                return "int"
            if "float" in name:
                return "float"
            return None
        for base in numeric:
            if issubclass(t, base):
                return base.__name__
        return None

    old_kind, new_kind = kind(old), kind(new)
    is_numpy = any(t.__module__.startswith("numpy") for t in (old, new))
    return is_numpy and old_kind is not None and old_kind == new_kind

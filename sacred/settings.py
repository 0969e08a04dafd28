"""Global settings of sacred (``sacred.SETTINGS``).

The settings are a nested mapping that can be read and written with both
dict and attribute notation::

    SETTINGS['HOST_INFO']['INCLUDE_GPU_INFO'] = False
    SETTINGS.HOST_INFO.INCLUDE_GPU_INFO = False  # equivalent

The set of keys is fixed: assigning a key that does not exist raises a
``KeyError`` naming the key and the keys that do exist, so that a typo never
silently does nothing.
"""

import sys

from sacred.sacred_error import SacredError

# ``import sacred`` must stay at the interpreter's floor: typing is only for annotations, and
# annotations naming it are quoted instead of ``from __future__ import annotations`` (a module).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SETTINGS", "SettingError", "Settings"]


class SettingError(SacredError, KeyError):
    """Raised when an unknown setting is read or written (a SacredError, as in 0.8.7)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class Settings(dict):
    """A dict with a fixed set of keys that also allows attribute access."""

    def __init__(self, entries: "dict[str, Any]", path: str = "SETTINGS") -> None:
        super().__init__()
        object.__setattr__(self, "_path", path)
        for key, value in entries.items():
            if isinstance(value, dict):
                value = Settings(value, f"{path}.{key}")
            dict.__setitem__(self, key, value)

    def _unknown(self, key: object) -> SettingError:
        known = ", ".join(sorted(self))
        return SettingError(f"Unknown setting {self._path}.{key}; known keys: {known}")

    def __getitem__(self, key: str) -> "Any":
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            raise self._unknown(key) from None

    def __setitem__(self, key: str, value: "Any") -> None:
        if key not in self:
            raise self._unknown(key)
        current = dict.__getitem__(self, key)
        if isinstance(current, Settings):
            if not isinstance(value, dict):
                raise SettingError(
                    f"{self._path}.{key} is a group of settings; assign its keys instead"
                )
            for sub_key, sub_value in value.items():
                current[sub_key] = sub_value
            return
        dict.__setitem__(self, key, value)

    def __getattr__(self, key: str) -> "Any":
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            raise AttributeError(str(self._unknown(key))) from None

    def __setattr__(self, key: str, value: "Any") -> None:
        self[key] = value

    def __delitem__(self, key: str) -> None:
        raise SettingError(f"Settings cannot be deleted: {self._path}.{key}")

    def update(self, *args: "Any", **kwargs: "Any") -> None:  # type: ignore[override]
        """Update several settings at once; unknown keys raise."""
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __reduce__(self):
        return (Settings, (_plain(self), self._path))


def _plain(settings: dict) -> dict:
    return {k: _plain(v) if isinstance(v, dict) else v for k, v in settings.items()}


def _default_capture_mode() -> str:
    return "sys" if sys.platform == "win32" else "fd"


SETTINGS = Settings(
    {
        "CONFIG": {
            "ENFORCE_KEYS_MONGO_COMPATIBLE": True,
            "ENFORCE_KEYS_JSONPICKLE_COMPATIBLE": True,
            "ENFORCE_VALID_PYTHON_IDENTIFIER_KEYS": False,
            "ENFORCE_STRING_KEYS": False,
            "ENFORCE_KEYS_NO_EQUALS": True,
            "READ_ONLY_CONFIG": True,
            "IGNORED_COMMENTS": ["^pylint:", "^noinspection"],
            "NUMPY_RANDOM_LEGACY_API": False,
            "ALLOW_PICKLE_FILES": True,
        },
        "HOST_INFO": {
            "INCLUDE_GPU_INFO": True,
            "INCLUDE_CPU_INFO": True,
            "CAPTURED_ENV": [],
        },
        "COMMAND_LINE": {
            "STRICT_PARSING": False,
            "SHOW_DISABLED_OPTIONS": True,
        },
        "CAPTURE_MODE": _default_capture_mode(),
        "DISCOVER_DEPENDENCIES": "imported",
        "DISCOVER_SOURCES": "imported",
        "DEFAULT_BEAT_INTERVAL": 10.0,
        "GIT_PATCH": {
            "RECORD": True,
            "MAX_BYTES": 1_000_000,
        },
    }
)

"""Optional dependencies, as Sacred 0.8.7's ``sacred.optional`` exposes them.

``has_numpy``, ``has_tinydb``, ... are booleans computed without importing
anything. ``np``, ``pandas``, ``yaml`` and ``libc`` are loaded on first
access (``None`` when unavailable), so importing this module stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from sacred.utils import get_package_version, module_exists, parse_version

__all__ = [
    "optional_import",
    "modules_exist",
    "get_tensorflow",
    "get_package_version",
    "parse_version",
    "has_numpy",
    "has_pandas",
    "has_yaml",
    "has_mako",
    "has_tinydb",
    "has_sqlalchemy",
    "has_tensorflow",
    "libc",  # noqa: F822 - loaded on first access (module __getattr__)
    "np",  # noqa: F822
    "pandas",  # noqa: F822
    "yaml",  # noqa: F822
]


def optional_import(*package_names: str) -> tuple[bool, Any]:
    """Import every name; ``(True, first module)`` if all import, else ``(False, None)``."""
    if not package_names:
        raise TypeError("optional_import needs at least one package name")
    try:
        modules = [importlib.import_module(name) for name in package_names]
    except ImportError:
        return False, None
    return True, modules[0]


def modules_exist(*modnames: str) -> bool:
    """True if every module can be imported (checked without importing them)."""
    return all(module_exists(name) for name in modnames)


def get_tensorflow() -> Any:
    """Import and return TensorFlow (``ImportError`` when it is not installed)."""
    return importlib.import_module("tensorflow")


has_numpy = modules_exist("numpy")
has_pandas = modules_exist("pandas")
has_yaml = modules_exist("yaml")
has_mako = modules_exist("mako")
has_tinydb = modules_exist("tinydb", "tinydb_serialization", "hashfs")
has_sqlalchemy = modules_exist("sqlalchemy")
has_tensorflow = modules_exist("tensorflow")


def _load_libc() -> Any:
    import ctypes
    from ctypes.util import find_library

    try:
        return ctypes.cdll.LoadLibrary(find_library("c") or "libc.so.6")
    except OSError:
        return None


_LAZY = {
    "np": lambda: optional_import("numpy")[1],
    "pandas": lambda: optional_import("pandas")[1],
    "yaml": lambda: optional_import("yaml")[1],
    "libc": _load_libc,
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'sacred.optional' has no attribute {name!r}")
    value = _LAZY[name]()
    globals()[name] = value
    return value

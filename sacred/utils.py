"""Small helpers and the exceptions user code catches by their Sacred names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from sacred.sacred_error import SacredError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "CircularDependencyError",
    "ConfigAddedError",
    "ConfigError",
    "InvalidConfigError",
    "MissingConfigError",
    "NamedConfigNotFoundError",
    "ObserverError",
    "SacredError",
    "SacredInterrupt",
    "SignatureError",
    "TimeoutInterrupt",
    "PATHCHANGE",
    "apply_backspaces_and_linefeeds",
    "convert_camel_case_to_snake_case",
    "convert_to_nested_dict",
    "format_filtered_stacktrace",
    "format_sacred_error",
    "get_by_dotted_path",
    "get_inheritors",
    "get_package_version",
    "is_prefix",
    "iter_prefixes",
    "iterate_flattened",
    "iterate_flattened_separately",
    "join_paths",
    "module_exists",
    "module_is_in_cache",
    "parse_version",
    "rel_path",
    "map_leaves",
    "recursive_update",
    "set_by_dotted_path",
]

PATHCHANGE = object()


class SacredInterrupt(Exception):
    """Base class for custom interrupts; ``STATUS`` becomes the run's status."""

    STATUS = "INTERRUPTED"


class TimeoutInterrupt(SacredInterrupt):
    """Signal that the experiment timed out (status ``TIMEOUT``)."""

    STATUS = "TIMEOUT"


class CircularDependencyError(SacredError):
    """Raised when ingredients (or other structures) form a cycle."""

    def __init__(self, message: str = "Circular dependency detected", chain: tuple = ()):
        super().__init__(message)
        self.chain = tuple(chain)

    def __str__(self) -> str:
        base = super().__str__()
        if self.chain:
            names = "->".join(getattr(c, "path", str(c)) for c in self.chain)
            return f"{base}: {names}"
        return base


class ConfigError(SacredError):
    """There is something wrong with a configuration entry or value."""

    def __init__(self, message: str, conflicting_configs: tuple = (), **kwargs: Any):
        super().__init__(message, **kwargs)
        self.conflicting_configs = tuple(conflicting_configs)


class InvalidConfigError(ConfigError, KeyError):
    """A config key or value is not allowed (e.g. a key containing ``.``).

    A ``KeyError`` as in Sacred 0.8.7, so existing ``except KeyError`` code
    keeps working.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigAddedError(ConfigError, KeyError):
    """An update adds config entries that nothing uses."""

    def __init__(
        self,
        conflicting_configs: tuple,
        message: str = "Added new config entry that is not used anywhere",
        captured_args: tuple = (),
        suggestions: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.captured_args = tuple(captured_args)
        self.suggestions = dict(suggestions or {})
        ConfigError.__init__(self, message, conflicting_configs=conflicting_configs)

    def __str__(self) -> str:
        lines = [f"{self.args[0]}: " + ", ".join(f'"{c}"' for c in self.conflicting_configs)]
        for key in self.conflicting_configs:
            close = self.suggestions.get(key)
            if close:
                lines.append(f'  Did you mean {" or ".join(repr(c) for c in close)} instead of "{key}"?')
        if self.captured_args:
            lines.append("  Possible config keys are: " + ", ".join(sorted(self.captured_args)))
        return "\n".join(lines)


class MissingConfigError(SacredError, TypeError):
    """A captured function was called without a value for one of its parameters."""

    def __init__(self, message: str, missing_configs: tuple = (), func: Any = None) -> None:
        super().__init__(message)
        self.missing_configs = tuple(missing_configs)
        self.func = func


class SignatureError(SacredError, TypeError):
    """A captured function was called with arguments its signature cannot take."""


class NamedConfigNotFoundError(SacredError, KeyError):
    """A named config that is neither registered nor an existing config file."""

    def __init__(
        self,
        named_config: str,
        message: str = "Named config not found:",
        available_named_configs: tuple = (),
        print_traceback: bool = False,
        filter_traceback: str = "default",
        print_usage: bool = False,
    ) -> None:
        self.named_config = named_config
        self.message = message
        self.available_named_configs = tuple(available_named_configs)
        super().__init__(
            named_config,
            print_traceback=print_traceback,
            filter_traceback=filter_traceback,
            print_usage=print_usage,
        )

    def __str__(self) -> str:
        available = ", ".join(self.available_named_configs) or "none"
        return (
            f'{self.message} "{self.named_config}" is neither a named config '
            f"nor an existing config file. Available named configs: {available}"
        )


class ObserverError(SacredError):
    """An observer failed in a way that must stop the run (e.g. in started_event)."""


def join_paths(*parts: str) -> str:
    """Join dotted paths, skipping empty parts: ``join_paths('a', '', 'b') == 'a.b'``."""
    return ".".join(str(p).strip(".") for p in parts if p and str(p).strip("."))


def split_dotted(path: str) -> list[str]:
    """Split a dotted path into its parts (empty path -> empty list)."""
    return [p for p in path.split(".") if p] if path else []


def get_by_dotted_path(d: Mapping, path: str, default: Any = None) -> Any:
    """Return ``d['a']['b']`` for ``path='a.b'`` or ``default`` when absent."""
    current: Any = d
    for part in split_dotted(path):
        if not isinstance(current, Mapping) or part not in current:
            return default
        current = current[part]
    return current


def set_by_dotted_path(d: dict, path: str, value: Any) -> None:
    """Set ``d['a']['b'] = value`` for ``path='a.b'``, creating dicts on the way."""
    parts = split_dotted(path)
    current = d
    for part in parts[:-1]:
        nxt = current.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            current[part] = nxt
        current = nxt
    current[parts[-1]] = value


def recursive_update(d: dict, u: Mapping) -> dict:
    """Merge ``u`` into ``d`` in place, descending into nested dicts."""
    for key, value in u.items():
        if isinstance(value, Mapping) and isinstance(d.get(key), dict):
            recursive_update(d[key], value)
        else:
            d[key] = value
    return d


def iterate_flattened(d: Mapping, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield ``(dotted_key, value)`` for every leaf of a nested mapping, sorted."""
    for key in sorted(d, key=str):
        value = d[key]
        path = join_paths(prefix, str(key))
        if isinstance(value, Mapping) and value:
            yield from iterate_flattened(value, path)
        else:
            yield path, value


def iterate_flattened_separately(
    d: Mapping, manually_sorted_keys: Iterable[str] | None = None, prefix: str = ""
) -> Iterator[tuple[str, Any]]:
    """Yield leaves first, then each sub-dict as ``(path, PATHCHANGE)`` and its content.

    This is the order ``print_config`` shows: plain entries of a level first,
    then every nested dict under its own header. Top-level keys named in
    ``manually_sorted_keys`` come first, in that order (as in 0.8.7).
    """
    manual = [k for k in (manually_sorted_keys or ()) if k in d]
    for key in manual:
        value = d[key]
        if isinstance(value, Mapping) and value:
            path = join_paths(prefix, str(key))
            yield path, PATHCHANGE
            yield from iterate_flattened_separately(value, prefix=path)
        else:
            yield join_paths(prefix, str(key)), value
    plain = [k for k in d if k not in manual and not (isinstance(d[k], Mapping) and d[k])]
    nested = [k for k in d if k not in manual and isinstance(d[k], Mapping) and d[k]]
    for key in sorted(plain, key=str):
        yield join_paths(prefix, str(key)), d[key]
    for key in sorted(nested, key=str):
        path = join_paths(prefix, str(key))
        yield path, PATHCHANGE
        yield from iterate_flattened_separately(d[key], prefix=path)


def apply_backspaces_and_linefeeds(text: str) -> str:
    """Interpret ``\\b`` and ``\\r`` in ``text`` as a terminal would.

    Each line (split at ``\\n``) is replayed with a cursor: a carriage return
    moves the cursor to the start of the line, a backspace moves it one
    character left (never past the start, and without erasing anything), and
    every other character overwrites the one under the cursor or is appended.
    So ``"10%\\r20%"`` -> ``"20%"``, ``"abc\\rX"`` -> ``"Xbc"``,
    ``"ab\\b\\bcd"`` -> ``"cd"``.

    When the whole text ends in a carriage return it keeps one ``\\r`` at the
    end (``"10%\\r20%\\r"`` -> ``"20%\\r"``), because the next chunk of output
    will overwrite that line. Used as ``ex.captured_out_filter``.
    """
    if not isinstance(text, str):
        raise TypeError(
            f"apply_backspaces_and_linefeeds expects the captured output as str, "
            f"got {type(text).__name__}"
        )
    if "\r" not in text and "\b" not in text:
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if "\r" not in line and "\b" not in line:
            continue
        screen = ""
        cursor = 0
        for piece in re.split("([\r\b])", line):
            if piece == "\r":
                cursor = 0
            elif piece == "\b":
                cursor = max(0, cursor - 1)
            elif piece:
                screen = screen[:cursor] + piece + screen[cursor + len(piece) :]
                cursor += len(piece)
        lines[index] = screen
    if text.endswith("\r"):
        lines[-1] += "\r"
    return "\n".join(lines)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_identifier(name: str) -> bool:
    """True if ``name`` is a valid python identifier (ascii)."""
    return bool(_IDENTIFIER.match(name))


def map_leaves(value: Any, convert: Any) -> Any:
    """Copy nested dicts/lists/tuples (tuples become lists), applying ``convert`` to each leaf."""
    if isinstance(value, Mapping):
        return {k: map_leaves(v, convert) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [map_leaves(v, convert) for v in value]
    return convert(value)


# --- helpers Sacred 0.8.7 exposed here (tools and observers import them) -----------


def is_prefix(pre_path: str, path: str) -> bool:
    """True if dotted ``pre_path`` is a strict prefix of ``path`` (``""`` prefixes all)."""
    pre = pre_path.strip(".")
    return not pre or (path.strip(".") + ".").startswith(pre + ".") and path.strip(".") != pre


def iter_prefixes(path: str) -> Iterator[str]:
    """``'a.b.c'`` -> ``'a'``, ``'a.b'``, ``'a.b.c'``."""
    parts = split_dotted(path)
    for i in range(1, len(parts) + 1):
        yield ".".join(parts[:i])


def rel_path(base: str, path: str) -> str:
    """``path`` relative to dotted ``base``; ``AssertionError`` if ``base`` is no prefix of it."""
    if not base:
        return path
    if base == path:
        return ""
    assert is_prefix(base, path), f"{base} not a prefix of {path}"
    return path[len(base) :].strip(".")


def convert_to_nested_dict(dotted_dict: Mapping) -> dict:
    """``{'a.b': 1, 'c': {'d.e': 2}}`` -> ``{'a': {'b': 1}, 'c': {'d': {'e': 2}}}``."""
    nested: dict = {}
    for key, value in iterate_flattened(dotted_dict):
        set_by_dotted_path(nested, key, value)
    return nested


def convert_camel_case_to_snake_case(name: str) -> str:
    """``'CamelCaseHTTPServer'`` -> ``'camel_case_http_server'``."""
    step = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", step).lower()


def get_inheritors(cls: type) -> set[type]:
    """Every (direct or indirect) subclass of ``cls``."""
    found: set[type] = set()
    todo = [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def parse_version(version_string: str) -> Any:
    """A comparable ``packaging`` version."""
    from packaging.version import parse

    return parse(version_string)


def get_package_version(name: str) -> Any:
    """The installed version of module ``name`` (``ModuleNotFoundError`` if it is absent)."""
    import importlib
    import importlib.metadata

    module = importlib.import_module(name)
    version = getattr(module, "__version__", None)
    if version is None:
        version = importlib.metadata.version(name)
    return parse_version(str(version))


def module_exists(modname: str) -> bool:
    """True if ``modname`` can be imported (checked without importing it)."""
    import importlib.util

    try:
        return importlib.util.find_spec(modname) is not None
    except (ImportError, ValueError):
        return False


def module_is_in_cache(modname: str) -> bool:
    """True if ``modname`` was imported already."""
    import sys

    return modname in sys.modules


def format_filtered_stacktrace(filter_traceback: Any = "default") -> str:
    """The exception being handled as traceback text, without sacred's frames.

    ``"default"`` and ``"always"`` filter; ``"never"`` (or any false value)
    gives the full traceback.
    """
    import sys

    from sacred.run import format_filtered_stacktrace as lines_of

    _, err, _ = sys.exc_info()
    if err is None:
        return ""
    full = filter_traceback not in ("default", "always")
    return "".join(lines_of(err, debug=full))


def format_sacred_error(e: BaseException, short_usage: str) -> str:
    """How the command line reports ``e``: usage, traceback and the error line as asked."""
    lines = []
    if getattr(e, "print_usage", False):
        lines.append(short_usage)
    if getattr(e, "print_traceback", False):
        lines.append(format_filtered_stacktrace(getattr(e, "filter_traceback", "default")))
    else:
        cls = type(e)
        lines.append(f"{cls.__module__}.{cls.__qualname__}: {e}\n")
    return "\n".join(line.rstrip("\n") for line in lines) + "\n"

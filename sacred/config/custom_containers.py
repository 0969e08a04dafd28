"""Containers used while evaluating configs and inside captured functions.

* :class:`DogmaticDict` is the ``locals`` mapping a config scope runs in: it
  refuses to overwrite fixed values (config updates), merges fixed nested
  entries into dicts the scope assigns, and serves fallback values (other
  ingredients' configs) that are visible but not stored.
* :class:`ReadOnlyDict` / :class:`ReadOnlyList` hand the configuration to
  captured functions; they raise on every mutation, with a message that says
  how to change a config instead, yet still pickle and deep-copy.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from sacred.utils import SacredError, join_paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

__all__ = [
    "DogmaticDict",
    "DogmaticList",
    "ReadOnlyDict",
    "ReadOnlyList",
    "fallback_dict",
    "make_read_only",
    "undogmatize",
]


class DogmaticDict(dict):
    """A dict whose fixed entries cannot be overwritten by assignments."""

    def __init__(self, fixed: Mapping | None = None, fallback: Mapping | None = None) -> None:
        super().__init__()
        self.fixed = dict(fixed or {})
        self.fallback = dict(fallback or {})
        self.assigned: set[str] = set()
        # key -> value the scope tried to assign to a fixed entry (for typechanges)
        self.blocked: dict[Any, Any] = {}
        self.nested_blocked: dict[str, Any] = {}
        # dotted paths of fixed entries the scope never assigned (added by updates)
        self.revealed: list[str] = []

    def __setitem__(self, key: Any, value: Any) -> None:
        self.assigned.add(key)
        if key not in self.fixed:
            dict.__setitem__(self, key, value)
            return
        fixed_value = self.fixed[key]
        if isinstance(fixed_value, Mapping) and isinstance(value, Mapping):
            nested = DogmaticDict(fixed=fixed_value)
            for sub_key, sub_value in value.items():
                nested[sub_key] = sub_value
            dict.__setitem__(self, key, nested)
        else:
            self.blocked[key] = value
            dict.__setitem__(self, key, fixed_value)

    def __getitem__(self, key: Any) -> Any:
        if key in self.fixed:
            value = self.fixed[key]
            if not dict.__contains__(self, key):
                dict.__setitem__(self, key, value)
            elif isinstance(value, Mapping):
                return dict.__getitem__(self, key)
            # like 0.8.7, the scope gets a copy: `lst.append(1)` cannot change an update
            return copy.deepcopy(value) if isinstance(value, (list, set)) else value
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        if key in self.fallback:
            return self.fallback[key]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.fixed or key in self.fallback

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __delitem__(self, key: Any) -> None:
        if key in self.fixed:
            return
        dict.__delitem__(self, key)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def revelate(self, path: str = "") -> None:
        """Add fixed entries never assigned; collect blocked assignments recursively."""
        for key, fixed_value in self.fixed.items():
            if not dict.__contains__(self, key):
                dict.__setitem__(self, key, fixed_value)
                self.revealed.append(join_paths(path, str(key)))
        for key, value in dict.items(self):
            sub_path = join_paths(path, str(key))
            if isinstance(value, DogmaticDict):
                value.revelate(sub_path)
                for nested_path, attempted in value.nested_blocked.items():
                    self.nested_blocked[nested_path] = attempted
                self.revealed.extend(value.revealed)
        for key, attempted in self.blocked.items():
            self.nested_blocked[join_paths(path, str(key))] = attempted


class DogmaticList(list):
    """A fixed list inside a config scope: changing it in place does nothing (as 0.8.7).

    A config update fixed the list, so the scope's ``lst.append(x)`` must not
    change it; every in-place change is silently ignored. ``pop`` raises a
    ``TypeError`` instead, since it would have to return an element it
    cannot remove.
    """

    def _ignore(self, *args: Any, **kwargs: Any) -> None:
        return None

    append = extend = insert = remove = sort = reverse = clear = _ignore
    __setitem__ = __delitem__ = _ignore

    def __iadd__(self, other: Any) -> DogmaticList:
        return self

    def __imul__(self, other: Any) -> DogmaticList:
        return self

    def pop(self, *args: Any) -> NoReturn:
        raise TypeError("a list fixed by a config update cannot be changed with pop()")

    def revelation(self) -> set:
        """Paths of entries added by updates (a list has none)."""
        return set()


def fallback_dict(fallback: Mapping, **kwargs: Any) -> dict:
    """A plain dict of ``fallback`` updated with ``kwargs``."""
    result = dict(fallback)
    result.update(kwargs)
    return result


def undogmatize(value: Any) -> Any:
    """Turn nested DogmaticDicts back into plain dicts."""
    if isinstance(value, dict):
        return {k: undogmatize(v) for k, v in dict.items(value)}
    if isinstance(value, list):
        return [undogmatize(v) for v in value]
    return value


_READ_ONLY_MESSAGE = (
    "The configuration is read-only in a captured function; {what} is not allowed. "
    "Change configuration values with config updates (e.g. 'with {example}') or named "
    "configs instead, or copy the value first (e.g. dict(value), list(value)). "
    "SETTINGS.CONFIG.READ_ONLY_CONFIG = False turns this check off."
)


class ReadOnlyError(SacredError, TypeError):
    """Raised when a captured function tries to change the configuration."""


def _raise_read_only(container: Any, what: str, key: Any = None) -> NoReturn:
    path = getattr(container, "_path", "")
    if key is not None and isinstance(key, str):
        path = join_paths(path, key)
    raise ReadOnlyError(_READ_ONLY_MESSAGE.format(what=what, example=f"{path or 'key'}=..."))


class ReadOnlyDict(dict):
    """A dict that refuses modification; pickles and deep-copies as itself."""

    def __init__(self, *args: Any, _path: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        object.__setattr__(self, "_path", _path)

    def __setitem__(self, key: Any, value: Any) -> NoReturn:
        _raise_read_only(self, f"setting item {key!r}", key)

    def __delitem__(self, key: Any) -> NoReturn:
        _raise_read_only(self, f"deleting item {key!r}", key)

    def clear(self) -> NoReturn:
        _raise_read_only(self, "clear()")

    def pop(self, *args: Any) -> NoReturn:
        _raise_read_only(self, "pop()")

    def popitem(self) -> NoReturn:
        _raise_read_only(self, "popitem()")

    def setdefault(self, *args: Any) -> NoReturn:
        _raise_read_only(self, "setdefault()")

    def update(self, *args: Any, **kwargs: Any) -> NoReturn:
        _raise_read_only(self, "update()")

    def __ior__(self, other: Any) -> NoReturn:
        _raise_read_only(self, "|=")

    def __reduce__(self):
        return (_rebuild_read_only_dict, (dict(self), self._path))

    def __copy__(self) -> ReadOnlyDict:
        return ReadOnlyDict(dict(self), _path=self._path)

    def __deepcopy__(self, memo: dict) -> ReadOnlyDict:
        return ReadOnlyDict(copy.deepcopy(dict(self), memo), _path=self._path)


def _rebuild_read_only_dict(items: dict, path: str) -> ReadOnlyDict:
    return ReadOnlyDict(items, _path=path)


class ReadOnlyList(list):
    """A list that refuses modification; pickles and deep-copies as itself."""

    def __init__(self, *args: Any, _path: str = "") -> None:
        super().__init__(*args)
        object.__setattr__(self, "_path", _path)

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        _raise_read_only(self, "changing a list")

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def __reduce__(self):
        return (_rebuild_read_only_list, (list(self), self._path))

    def __copy__(self) -> ReadOnlyList:
        return ReadOnlyList(list(self), _path=self._path)

    def __deepcopy__(self, memo: dict) -> ReadOnlyList:
        return ReadOnlyList(copy.deepcopy(list(self), memo), _path=self._path)


def _rebuild_read_only_list(items: list, path: str) -> ReadOnlyList:
    return ReadOnlyList(items, _path=path)


def make_read_only(value: Any, path: str = "") -> Any:
    """Recursively wrap dicts and lists of ``value`` in read-only containers."""
    if isinstance(value, dict):
        prefix = f"{path}." if path else ""
        return ReadOnlyDict(
            {
                k: make_read_only(v, f"{prefix}{k}") if isinstance(v, (dict, list)) else v
                for k, v in value.items()
            },
            _path=path,
        )
    if isinstance(value, list):
        return ReadOnlyList([make_read_only(v, path) for v in value], _path=path)
    return value

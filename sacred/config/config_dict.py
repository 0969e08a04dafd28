"""ConfigDict: configuration given as a plain dict (or loaded from a file)."""

from __future__ import annotations

import copy
from collections.abc import Mapping

from sacred.config.config_scope import compute_changes
from sacred.config.config_summary import ConfigSummary
from sacred.config.normalize import normalize_or_die
from sacred.utils import recursive_update

__all__ = ["ConfigDict"]


class ConfigDict:
    """A fixed dict of config entries; values must be JSON-like (checked eagerly)."""

    def __init__(self, d: Mapping, doc: str | None = None) -> None:
        if not isinstance(d, Mapping):
            raise TypeError(f"ConfigDict needs a dict, got {type(d).__name__}")
        self._conf = normalize_or_die(dict(d))
        self.__doc__ = doc
        self.docs: dict[str, str] = {}

    @property
    def doc(self) -> str | None:
        """Documentation of this config (named configs can carry one)."""
        return self.__doc__

    def __call__(
        self,
        fixed: Mapping | None = None,
        preset: Mapping | None = None,
        fallback: Mapping | None = None,
    ) -> ConfigSummary:
        """Merge the dict over ``preset``; ``fixed`` values win."""
        fixed = dict(fixed or {})
        defaults = copy.deepcopy(dict(preset or {}))
        # validate again: the key rules in SETTINGS may have changed since construction
        recursive_update(defaults, normalize_or_die(self._conf))
        result = copy.deepcopy(defaults)
        recursive_update(result, copy.deepcopy(fixed))
        summary = compute_changes(result, fixed, defaults=defaults)
        summary.defaults = copy.deepcopy(self._conf)
        return summary

    def __repr__(self) -> str:
        return f"ConfigDict({self._conf!r})"

"""Sacred 0.8.7's ``sacred.config.utils``: key checks, normalisation, scope chaining.

Thin re-exports of :mod:`sacred.config.normalize` and
:mod:`sacred.config.custom_containers`, plus :func:`chain_evaluate_config_scopes`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

from sacred.config.custom_containers import DogmaticDict, DogmaticList, undogmatize
from sacred.config.normalize import assert_is_valid_key, normalize_or_die

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DogmaticDict",
    "DogmaticList",
    "assert_is_valid_key",
    "chain_evaluate_config_scopes",
    "normalize_or_die",
    "undogmatize",
]


def chain_evaluate_config_scopes(
    config_scopes: Iterable[Any],
    fixed: Mapping | None = None,
    preset: Mapping | None = None,
    fallback: Mapping | None = None,
) -> tuple[dict, list]:
    """Evaluate config scopes (or dicts) one after another.

    Each sees the entries of the ones before it as preset; ``fixed`` values
    win everywhere. Returns ``(final_config, [result of each scope])``.
    """
    fixed = dict(fixed or {})
    final = copy.deepcopy(dict(preset or {}))
    results = []
    for scope in config_scopes:
        result = scope(fixed=fixed, preset=final, fallback=dict(fallback or {}))
        results.append(result)
        final.update(copy.deepcopy(dict(result)))
    if not results:
        final.update(copy.deepcopy(fixed))
    return undogmatize(final), results

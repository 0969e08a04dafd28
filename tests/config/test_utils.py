"""sacred.config.utils and sacred.config.chain_evaluate_config_scopes (0.8.7 paths)."""

from __future__ import annotations

import numpy as np
import pytest

from sacred.config import ConfigDict, ConfigScope, chain_evaluate_config_scopes
from sacred.config.utils import normalize_or_die
from sacred.utils import InvalidConfigError


def scope_one():
    a = 1
    b = 2


def scope_two(a):
    c = a + 10


def test_chain_evaluates_in_order_with_fixed_and_preset():
    final, results = chain_evaluate_config_scopes(
        [ConfigScope(scope_one), ConfigScope(scope_two), ConfigDict({"d": 4})],
        fixed={"b": 20},
        preset={"z": 0},
        fallback={},
    )
    # numbers as Sacred 0.8.7 returns them for the same scopes
    assert final == {"z": 0, "a": 1, "b": 20, "c": 11, "d": 4}
    assert [dict(r) for r in results] == [
        {"z": 0, "a": 1, "b": 20},
        {"z": 0, "a": 1, "b": 20, "c": 11},
        {"z": 0, "a": 1, "b": 20, "c": 11, "d": 4},
    ]
    assert chain_evaluate_config_scopes([]) == ({}, [])
    assert chain_evaluate_config_scopes([], fixed={"x": 1}) == ({"x": 1}, [])


def test_normalize_or_die():
    assert normalize_or_die({"a": (1, 2), "b": np.int64(3), "c": np.array([1.5])}) == {
        "a": [1, 2],
        "b": 3,
        "c": [1.5],
    }
    with pytest.raises(KeyError, match="a.b"):
        normalize_or_die({"a.b": 1})
    with pytest.raises(InvalidConfigError, match='"a"'):
        normalize_or_die({"a": object()})

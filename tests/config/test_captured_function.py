"""create_captured_function as 0.8.7 tools call it (outside any run)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from sacred.config.captured_function import create_captured_function
from sacred.utils import MissingConfigError


def test_wrapped_function_takes_config_and_specials():
    def f(a, b=2, _log=None, _seed=None):
        return a, b, _log, _seed

    cf = create_captured_function(f, prefix="p")
    assert (cf.prefix, cf.config, cf.run, cf.uses_randomness) == ("p", {}, None, True)
    assert str(cf.signature) == "f(a, b=2, _log=None, _seed=None)"
    cf.config = {"a": 1}
    cf.logger = logging.getLogger("t")
    cf.rnd = np.random.default_rng(1)
    a, b, log, seed = cf()
    # the first draw of a generator seeded with 1, as in Sacred 0.8.7
    assert (a, b, log.name, seed) == (1, 2, "t", 473188698)
    assert cf(5, b=7)[:2] == (5, 7)
    assert create_captured_function(cf) is cf


def test_missing_value_is_named():
    cf = create_captured_function(lambda x: x)
    with pytest.raises(MissingConfigError, match="'x'"):
        cf()

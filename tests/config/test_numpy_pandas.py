"""numpy and pandas values in the config become plain python data."""

import numpy as np
import pandas as pd

from sacred import Experiment
from sacred.config.normalize import normalize_or_die


def test_numpy_and_pandas_values_normalize():
    value = {
        "f": np.float32(0.5),
        "b": np.bool_(True),
        "arr": np.arange(3),
        "series": pd.Series([1, 2], index=["a", "b"]),
    }
    assert normalize_or_die(value) == {"f": 0.5, "b": True, "arr": [0, 1, 2], "series": {"a": 1, "b": 2}}


def test_numpy_values_in_updates_and_dicts_become_python():
    ex = Experiment("np_updates")
    ex.add_config({"weights": np.ones(2)})

    @ex.main
    def main(weights, lr):
        return weights, lr

    run = ex.run(config_updates={"lr": np.float64(0.1)})
    assert run.config["weights"] == [1.0, 1.0] and type(run.config["lr"]) is float

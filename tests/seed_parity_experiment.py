"""Seed parity with Sacred 0.8.7: prints every _seed and _rnd draw as JSON."""
import os
import sys

if os.environ.get("SEED_PARITY_NO_NUMPY"):
    class _BlockNumpy:
        def find_spec(self, name, path=None, target=None):
            if name == "numpy" or name.startswith("numpy."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _BlockNumpy())

import json  # noqa: E402
import random  # noqa: E402

from sacred import SETTINGS, Experiment, Ingredient  # noqa: E402

SETTINGS.CONFIG.NUMPY_RANDOM_LEGACY_API = bool(os.environ.get("SEED_PARITY_LEGACY"))


def draw(rnd):
    if hasattr(rnd, "integers"):
        return int(rnd.integers(0, 10**6))
    if hasattr(rnd, "random_sample"):
        return int(rnd.randint(0, 10**6))
    return rnd.randint(0, 10**6)


paths = Ingredient("data.paths")


@paths.capture
def paths_f(_seed, _rnd):
    return [_seed, draw(_rnd)]


data = Ingredient("data", ingredients=[paths])


@data.config
def data_cfg():
    size = 3


@data.capture
def data_f(_seed):
    return _seed


@data.capture
def data_g(_rnd):
    return draw(_rnd)


@data.command
def stats(_seed):
    return {"stats": _seed, "paths_f": paths_f()}


fixed = Ingredient("fixed")


@fixed.config
def fixed_cfg():
    seed = 7


@fixed.capture
def fixed_f(_seed):
    return _seed


model = Ingredient("model")


@model.capture
def model_f(_seed):
    return _seed


ex = Experiment("seed_parity", ingredients=[data, fixed, model])


@ex.config
def cfg():
    a = 1


@ex.config_hook
def hook(config, command_name, logger):
    return {}


@ex.capture
def first(_seed, _rnd):
    return [_seed, draw(_rnd)]


@ex.pre_run_hook
def pre(_seed):
    pass


@ex.main
def main(_seed, _rnd):
    import_numpy = "numpy" in sys.modules
    result = {
        "main": [_seed, draw(_rnd)],
        "first": [first(), first()],
        "data_f": [data_f(), data_f()],
        "data_g": data_g(),
        "paths_f": paths_f(),
        "fixed_f": fixed_f(),
        "model_f": model_f(),
        "random": random.randint(0, 10**6),
    }
    if import_numpy:
        import numpy

        result["numpy_global"] = int(numpy.random.randint(0, 10**6))
    return result


@ex.command
def report():
    return {"second_command": first()}


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "main"
    run = ex.run(command, config_updates={"seed": 12345}, options={"--loglevel": "ERROR"})
    print(json.dumps(run.result, sort_keys=True))

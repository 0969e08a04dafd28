"""Seeds: root seed, _seed per call, hierarchical independence (Controlling Randomness)."""

import random

import numpy as np
import pytest

from sacred import SETTINGS, Experiment


def make_randomness_experiment():
    ex = Experiment("randomness")

    @ex.config
    def cfg():
        reverse = False
        numbers = 1

    @ex.capture
    def do_random_stuff(numbers, _rnd):
        return [int(_rnd.integers(0, 100)) for _ in range(numbers)]

    @ex.capture
    def do_more_random_stuff(_seed):
        return _seed

    @ex.main
    def run(reverse):
        if reverse:
            return [do_more_random_stuff(), do_random_stuff(), do_random_stuff(), do_random_stuff()]
        return [do_random_stuff(), do_random_stuff(), do_more_random_stuff(), do_random_stuff()]

    return ex


def test_seed_is_in_every_config_and_settable():
    ex = make_randomness_experiment()
    assert isinstance(ex.run().config["seed"], int)
    assert ex.run(config_updates={"seed": 12345}).config["seed"] == 12345


def test_same_seed_same_numbers():
    ex = make_randomness_experiment()
    first = ex.run(config_updates={"seed": 12345}).result
    second = ex.run(config_updates={"seed": 12345}).result
    assert first == second
    assert ex.run(config_updates={"seed": 54321}).result != first


def test_calls_of_one_function_are_independent_of_numbers():
    ex = make_randomness_experiment()
    one = ex.run(config_updates={"seed": 12345}).result
    three = ex.run(config_updates={"seed": 12345, "numbers": 3}).result
    assert [r[0] for r in (three[0], three[1], three[3])] == [one[0][0], one[1][0], one[3][0]]
    assert three[2] == one[2]


def test_calls_to_different_functions_do_not_interfere():
    ex = make_randomness_experiment()
    normal = ex.run(config_updates={"seed": 12345, "numbers": 3}).result
    reverse = ex.run(config_updates={"seed": 12345, "numbers": 3, "reverse": True}).result
    assert reverse == [normal[2], normal[0], normal[1], normal[3]]


def test_seed_differs_per_call():
    ex = Experiment("seeds")

    @ex.capture
    def get(_seed):
        return _seed

    @ex.main
    def main():
        return [get() for _ in range(5)]

    assert len(set(ex.run().result)) == 5


def test_rnd_type_follows_settings():
    ex = Experiment("rnd_type")

    @ex.main
    def main(_rnd):
        return type(_rnd)

    assert ex.run().result is np.random.Generator
    SETTINGS.CONFIG.NUMPY_RANDOM_LEGACY_API = True
    assert ex.run().result is np.random.RandomState


def test_rnd_without_numpy_is_random_random(monkeypatch):
    import sacred.randomness as randomness

    monkeypatch.setattr(randomness, "_numpy_available", False)
    assert isinstance(randomness.create_rnd(3), random.Random)


def test_global_generators_are_seeded_from_root_seed():
    ex = Experiment("global_seed")

    @ex.main
    def main():
        return random.random(), float(np.random.random())

    a = ex.run(config_updates={"seed": 7}).result
    b = ex.run(config_updates={"seed": 7}).result
    assert a == b


def test_libraries_imported_during_the_run_are_seeded(tmp_path, monkeypatch):
    import sys

    fake = tmp_path / "fake_torch_for_seed_test.py"
    fake.write_text("seeded = []\ndef manual_seed(s):\n    seeded.append(s)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from sacred import randomness

    monkeypatch.setattr(randomness.GlobalSeeder, "LIBRARIES", ("fake_torch_for_seed_test",))
    monkeypatch.setattr(
        randomness,
        "_seed_module",
        lambda name, module, seed: module.manual_seed(seed),
    )
    ex = Experiment("late_import")

    @ex.main
    def main():
        import fake_torch_for_seed_test

        return list(fake_torch_for_seed_test.seeded)

    try:
        assert ex.run(config_updates={"seed": 99}).result == [99]
    finally:
        sys.modules.pop("fake_torch_for_seed_test", None)
    assert not any(isinstance(f, randomness.GlobalSeeder) for f in sys.meta_path)


@pytest.mark.parametrize("name", ["torch", "tensorflow"])
def test_start_up_does_not_import_heavy_libraries(name):
    import subprocess
    import sys

    code = (
        "import sys\nfrom sacred import Experiment\nex = Experiment('x', interactive=True)\n"
        "@ex.main\ndef main():\n    pass\nex.run()\n"
        f"print({name!r} in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")

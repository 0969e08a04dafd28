"""Seeds identical to Sacred 0.8.7: the documented derivation, checked number by number.

The expected numbers were captured by running ``tests/seed_parity_experiment.py``
under Sacred 0.8.7 (numpy 2.x). The same file also runs under 0.8.7 (the
``peer_python`` fixture of ``tests/fixtures/peer.py``) and both outputs are
compared side by side.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sacred import SETTINGS, Experiment, Ingredient
from sacred.randomness import RunSeeds, create_rnd, get_seed, ingredient_seeds

PARITY_EXPERIMENT = Path(__file__).with_name("seed_parity_experiment.py")
EXAMPLE_06 = Path(__file__).parents[1] / "examples" / "06_randomness.py"


MODES = {
    "numpy": {},
    "legacy": {"SEED_PARITY_LEGACY": "1"},
    "no-numpy": {"SEED_PARITY_NO_NUMPY": "1"},
}

# captured from Sacred 0.8.7 with seed=12345
EXPECTED = {
    ("numpy", "main"): {
        "data_f": [783819110, 697749456],
        "data_g": 753054,
        "first": [[459059766, 852744], [349242804, 183669]],
        "fixed_f": 821284816,
        "main": [140922607, 631588],
        "model_f": 370252331,
        "numpy_global": 741858,
        "paths_f": [429703581, 204803],
        "random": 436857,
    },
    ("numpy", "data.stats"): {"paths_f": [429703581, 204803], "stats": 521770567},
    ("numpy", "report"): {"second_command": [459059766, 852744]},
    ("legacy", "main"): {
        "data_f": [435000908, 576829221],
        "data_g": 119879,
        "first": [[537920285, 275758], [385182351, 80929]],
        "fixed_f": 788370471,
        "main": [74500610, 122296],
        "model_f": 344588998,
        "numpy_global": 741858,
        "paths_f": [963830829, 658169],
        "random": 436857,
    },
    ("legacy", "data.stats"): {"paths_f": [963830829, 658169], "stats": 305299665},
    ("legacy", "report"): {"second_command": [537920285, 275758]},
    ("no-numpy", "main"): {
        "data_f": [105035803, 969576763],
        "data_g": 857054,
        "first": [[609627053, 846724], [432464629, 43638]],
        "fixed_f": 371561337,
        "main": [840596570, 432949],
        "model_f": 975020410,
        "paths_f": [832171849, 372581],
        "random": 436857,
    },
    ("no-numpy", "data.stats"): {"paths_f": [832171849, 372581], "stats": 560824749},
    ("no-numpy", "report"): {"second_command": [609627053, 846724]},
}

# `06_randomness.py with seed=12345 numbers=3 -l WARNING` under Sacred 0.8.7
# (the spec's printout, 695891797 ..., comes from an older Sacred whose _rnd was
# always a RandomState; 0.8.7 itself prints these)
EXPECTED_06 = {
    "numpy": "[86, 6, 28]\n[19, 73, 15]\n274546103\n[36, 87, 15]\n",
    "legacy": "[47, 97, 45]\n[34, 95, 50]\n866790559\n[67, 42, 25]\n",
    "no-numpy": "[29, 11, 36]\n[6, 6, 100]\n458690024\n[11, 3, 55]\n",
}


def run_file(python: str, path: Path, args: list[str], mode: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEED_PARITY")}
    env.update(MODES[mode])
    env["PYTHONPATH"] = ""
    out = subprocess.run(
        [python, str(path), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("command", ["main", "data.stats", "report"])
def test_seeds_match_captured_087_numbers(mode, command, tmp_path):
    out = run_file(sys.executable, PARITY_EXPERIMENT, [command], mode, tmp_path)
    assert json.loads(out) == EXPECTED[(mode, command)]


@pytest.mark.parametrize("mode", list(MODES))
def test_06_randomness_example_matches_087(mode, tmp_path):
    args = ["with", "seed=12345", "numbers=3", "-l", "WARNING"]
    if mode == "no-numpy":
        # the example file has no switch of its own: run it through the parity
        # file's numpy blocker by importing it first
        wrapper = tmp_path / "no_numpy_06.py"
        wrapper.write_text(
            "import runpy, sys\n"
            f"sys.path.insert(0, {str(PARITY_EXPERIMENT.parent)!r})\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'numpy':\n"
            "            raise ModuleNotFoundError(name, name=name)\n"
            "sys.meta_path.insert(0, Block())\n"
            f"sys.argv = [{str(EXAMPLE_06)!r}] + sys.argv[1:]\n"
            f"runpy.run_path({str(EXAMPLE_06)!r}, run_name='__main__')\n"
        )
        path = wrapper
    elif mode == "legacy":
        path = tmp_path / "legacy_06.py"
        path.write_text(
            EXAMPLE_06.read_text().replace(
                "from sacred import Experiment\n",
                "from sacred import SETTINGS, Experiment\n"
                "SETTINGS.CONFIG.NUMPY_RANDOM_LEGACY_API = True\n",
            )
        )
    else:
        path = EXAMPLE_06
    assert run_file(sys.executable, path, args, mode, tmp_path) == EXPECTED_06[mode]


@pytest.mark.parametrize("mode", list(MODES))
def test_seeds_side_by_side_with_087(mode, tmp_path, peer_python):
    for command in ("main", "data.stats"):
        ours = run_file(sys.executable, PARITY_EXPERIMENT, [command], mode, tmp_path)
        theirs = run_file(str(peer_python), PARITY_EXPERIMENT, [command], mode, tmp_path)
        assert json.loads(ours) == json.loads(theirs)


# --- the derivation's parts ---------------------------------------------------------


def test_get_seed_uses_integers_randint_or_the_random_module():
    generator = np.random.default_rng(12345)
    assert get_seed(generator) == int(np.random.default_rng(12345).integers(1, 10**9))
    assert get_seed(np.random.RandomState(3)) == np.random.RandomState(3).randint(1, 10**9)
    assert get_seed(random.Random(3)) == random.Random(3).randint(1, 10**9)
    random.seed(11)
    expected = random.Random(11).randint(1, 10**9)
    assert get_seed() == expected
    assert all(1 <= get_seed(random.Random(i)) < 10**9 for i in range(50))


def test_create_rnd_follows_numpy_and_the_legacy_setting():
    assert isinstance(create_rnd(1), np.random.Generator)
    SETTINGS.CONFIG.NUMPY_RANDOM_LEGACY_API = True
    assert isinstance(create_rnd(1), np.random.RandomState)


def test_function_generators_draw_in_registration_order():
    ex, data, leaf, outside, other, order = _tree()
    for index in range(3):
        data.capture(lambda index=index: index)
    seeds = RunSeeds(ex, {"seed": 12345}, order)
    scaffold = np.random.default_rng(seeds.seed_of(data))
    expected = [get_seed(np.random.default_rng(get_seed(scaffold))) for _ in range(3)]
    # asked out of order: the numbers depend only on the position
    got = {i: get_seed(seeds.function_rnd(data, i)) for i in (2, 0, 1)}
    assert [got[i] for i in range(3)] == expected
    assert seeds.seed_of(ex) == 12345


def _tree():
    leaf = Ingredient("data.paths", _caller_globals={"__file__": __file__})
    outside = Ingredient("settings", _caller_globals={"__file__": __file__})
    data = Ingredient("data", ingredients=[leaf, outside], _caller_globals={"__file__": __file__})
    other = Ingredient("other", _caller_globals={"__file__": __file__})
    ex = Experiment("tree", ingredients=[data, other], interactive=True)
    order = [(leaf, "data.paths"), (outside, "settings"), (data, "data"), (other, "other"), (ex, "")]
    return ex, data, leaf, outside, other, order


def test_ingredient_seeds_reverse_order_and_prefix_rule():
    ex, data, leaf, outside, other, order = _tree()
    seeds = ingredient_seeds(ex, {"seed": 12345}, order)
    root = np.random.default_rng(12345)
    assert seeds[id(other)] == get_seed(root)  # the last added ingredient draws first
    assert seeds[id(data)] == get_seed(root)
    assert seeds[id(leaf)] == get_seed(np.random.default_rng(seeds[id(data)]))
    # not under "data": 0.8.7 used fresh entropy; we continue the parent's draws
    assert seeds[id(outside)] == ingredient_seeds(ex, {"seed": 12345}, order)[id(outside)]


def test_ingredient_with_seed_in_its_config_uses_it_without_drawing():
    ex, data, leaf, outside, other, order = _tree()
    seeds = ingredient_seeds(ex, {"seed": 12345, "other": {"seed": 7}}, order)
    assert seeds[id(other)] == 7
    assert seeds[id(data)] == get_seed(np.random.default_rng(12345))


def test_sub_ingredient_outside_its_parents_path_is_reproducible():
    settings = Ingredient("settings", _caller_globals={"__file__": __file__})

    @settings.capture
    def draw(_seed):
        return _seed

    data = Ingredient("data", ingredients=[settings], _caller_globals={"__file__": __file__})
    ex = Experiment("outside", ingredients=[data], interactive=True)

    @ex.main
    def main():
        return draw()

    assert ex.run(config_updates={"seed": 5}).result == ex.run(config_updates={"seed": 5}).result


def test_a_run_without_randomness_does_not_import_numpy():
    code = (
        "import sys\nfrom sacred import Experiment\nex = Experiment('x', interactive=True)\n"
        "@ex.main\ndef main():\n    return 1\n"
        "ex.run(options={'--loglevel': 'ERROR'})\nprint('numpy' in sys.modules)\n"
        "@ex.command\ndef draw(_seed):\n    return _seed\n"
        "print(ex.run('draw', config_updates={'seed': 12345}, options={'--loglevel': 'ERROR'}).result)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # the sixth captured function (four built-ins, main, draw): draw index 5, as in 0.8.7
    assert out.stdout.split() == ["False", "274546103"]


def test_library_looked_up_before_it_is_imported_is_still_seeded(tmp_path, monkeypatch):
    import importlib.util

    from sacred import randomness

    (tmp_path / "fake_lib_for_seed_test.py").write_text("seeded = []\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(randomness.GlobalSeeder, "LIBRARIES", ("fake_lib_for_seed_test",))
    monkeypatch.setattr(randomness, "_seed_module", lambda name, module, seed: module.seeded.append(seed))
    ex = Experiment("late_lookup", interactive=True)

    @ex.main
    def main():
        assert importlib.util.find_spec("fake_lib_for_seed_test") is not None  # no import yet
        import fake_lib_for_seed_test

        return list(fake_lib_for_seed_test.seeded)

    try:
        assert ex.run(config_updates={"seed": 99}).result == [99]
    finally:
        sys.modules.pop("fake_lib_for_seed_test", None)


@pytest.mark.parametrize("bad", ["abc", 1.5, True, [1]])
def test_a_seed_that_is_not_an_integer_is_a_clear_config_error(bad):
    from sacred import Experiment
    from sacred.utils import ConfigError

    ex = Experiment("bad_seed")
    ex.main(lambda _seed: _seed)
    with pytest.raises(ConfigError, match="'seed' must be an integer"):
        ex.run(config_updates={"seed": bad})

"""Sweep identity, seeds and point items."""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from sacred_runner.items import RunItem
from sacred_runner.sweep.plan import (
    SEED_LIMIT,
    SweepIdentity,
    point_item,
    point_seed,
    seed_of_sweep,
)
from sacred_runner.sweep.space import SweepPoint

BASE = RunItem(path="/p/exp_a.py", relpath="exp_a.py", attribute="ex", experiment_name="a", node_name="a",
               command="main", config_updates={"opt": {"momentum": 0.9}}, named_configs=("default",))


def test_point_items_merge_updates_carry_the_sweep_and_pickle():
    sweep = SweepIdentity.create(4, "s1")
    item = point_item(BASE, SweepPoint({"opt.lr": 0.1, "bs": 32}, ("large",)), 2, sweep)
    assert item.config_updates == {"opt": {"momentum": 0.9, "lr": 0.1}, "bs": 32, "seed": point_seed(sweep.seed, 2)}
    assert item.named_configs == ("default", "large")
    assert item.meta_info["sweep"] == {"id": "s1", "index": 2, "count": 4, "seed": sweep.seed,
                                       "point": {"opt.lr": 0.1, "bs": 32, "named_configs": ["large"]}}
    assert item.nodeid == "exp_a.py::a::main[opt.lr=0.1,bs=32,large]"
    assert pickle.loads(pickle.dumps(item)) == item
    assert BASE.config_updates == {"opt": {"momentum": 0.9}} and BASE.meta_info == {}


def test_a_fixed_or_swept_seed_is_kept():
    sweep = SweepIdentity.create(1)
    assert point_item(BASE, SweepPoint({"seed": 5}), 0, sweep).config_updates["seed"] == 5
    assert "seed" not in point_item(BASE, SweepPoint({}), 0, sweep, fixed_seed=True).config_updates


@given(st.text(min_size=1, max_size=20), st.integers(0, 10_000))
def test_seeds_are_a_function_of_sweep_id_and_index(sweep_id, index):
    seed = seed_of_sweep(sweep_id)
    assert seed == seed_of_sweep(sweep_id) and 0 <= seed < SEED_LIMIT
    assert point_seed(seed, index) == point_seed(seed, index) and 0 <= point_seed(seed, index) < SEED_LIMIT

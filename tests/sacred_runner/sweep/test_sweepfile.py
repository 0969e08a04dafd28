"""Sweep files: grid, points, random search, and errors with file and line."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred_runner.errors import UsageError
from sacred_runner.sweep.space import DEFAULT_MAX_POINTS, Grid, check_size
from sacred_runner.sweep.sweepfile import load_sweep_file, parse_sweep_text


def parse(text, seed=0):
    return parse_sweep_text(textwrap.dedent(text), "sweep.yaml", seed)


def test_grid_with_range_fixed_value_and_named_configs():
    space = parse("""\
        grid:
          lr: [0.1, 0.01]
          bs: range(16, 49, 16)
          opt.name: adam
          named_configs: [small, [large, fast]]
        """)
    points = list(space.points())
    assert space.size == len(points) == 12
    assert points[0].updates == {"lr": 0.1, "bs": 16, "opt.name": "adam"}
    assert points[0].named_configs == ("small",)
    assert points[1].named_configs == ("large", "fast")
    assert points[-1].point == {"lr": 0.01, "bs": 48, "opt.name": "adam", "named_configs": ["large", "fast"]}


def test_points_are_taken_as_written():
    space = parse("""\
        points:
          - {lr: 0.1, bs: 32}
          - {lr: 0.01, named_configs: large}
        """)
    assert [p.point for p in space.points()] == [{"lr": 0.1, "bs": 32}, {"lr": 0.01, "named_configs": ["large"]}]


def test_random_search_is_reproducible_and_inside_its_distributions():
    text = """\
        random: {trials: 50, seed: 7}
        parameters:
          lr: loguniform(1e-4, 1e-1)
          bs: choice(32, 64)
          dropout: {uniform: [0.0, 0.5]}
          layers: randint(1, 5)
        fixed: {epochs: 3}
        """
    first, second = list(parse(text).points()), list(parse(text).points())
    assert first == second and len(first) == 50
    for point in first:
        assert 1e-4 <= point.updates["lr"] <= 1e-1
        assert point.updates["bs"] in (32, 64)
        assert 0.0 <= point.updates["dropout"] <= 0.5
        assert point.updates["layers"] in (1, 2, 3, 4)
        assert point.updates["epochs"] == 3
    assert len({p.updates["layers"] for p in first}) > 1


def test_random_search_without_seed_uses_the_sweeps_seed():
    text = "random: {trials: 3}\nparameters: {x: 'uniform(0, 1)'}\n"
    assert list(parse(text, seed=1).points()) == list(parse(text, seed=1).points())
    assert list(parse(text, seed=1).points()) != list(parse(text, seed=2).points())


@pytest.mark.parametrize("text, message", [
    ("random: {trials: 3}\nparameters:\n  lr: normal(0, 1)\n", "sweep.yaml:3: 'lr': unknown distribution 'normal'"),
    ("random: {trials: 3}\nparameters:\n  x: choice(1)\n  lr: {gauss: [0, 1]}\n", "sweep.yaml:4: 'lr': unknown distribution 'gauss'"),
    ("random: {trials: 3}\nparameters:\n  lr: loguniform(0, 1)\n", "sweep.yaml:3: 'lr': loguniform needs 0 < low"),
    ("random: {trials: 0}\nparameters: {x: 'choice(1)'}\n", "sweep.yaml:1: random.trials must be a positive integer"),
    ("random: {trials: 2}\n", "a random search needs 'parameters'"),
    ("grid:\n  lr: []\n", "sweep.yaml:2: the sweep axis 'lr' has no values"),
    ("grid:\n  bs: range(1,)\n", "sweep.yaml:2: malformed range"),
    ("grid: {a: [1]}\npoints: [{a: 1}]\n", "exactly one of grid, points or random"),
    ("gird:\n  a: [1]\n", "sweep.yaml:1: unknown key 'gird'"),
    ("grid: [1, 2\n", "sweep.yaml:2: not valid YAML"),
    ("", "the sweep file is empty"),
])
def test_bad_sweep_files_name_file_and_line(text, message):
    with pytest.raises(UsageError) as error:
        parse_sweep_text(text, "sweep.yaml")
    assert message in str(error.value)


def test_a_missing_sweep_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot read the sweep file"):
        load_sweep_file(tmp_path / "nope.yaml")


def test_more_than_max_points_asks_for_max_points_without_expanding():
    from sacred_runner.sweep.axes import Axis

    huge = Grid([Axis(f"k{i}", tuple(range(10))) for i in range(9)])  # 10**9 points
    with pytest.raises(UsageError, match="1,000,000,000 points, more than --max-points 10,000; pass --max-points"):
        check_size(huge, DEFAULT_MAX_POINTS)
    check_size(Grid([Axis("a", (1, 2))]), 4, per_item=2)
    with pytest.raises(UsageError, match="6 points"):
        check_size(Grid([Axis("a", (1, 2))]), 4, per_item=3)


@pytest.mark.parametrize("text, points", [
    ('grid: {lr: "range(1, 1000000000001)"}', "1,000,000,000,000"),
    ('grid: {lr: "range(0, 1000000)", bs: "range(0, 1000000)"}\nfixed: {x: 1}', "1,000,000,000,000"),
    ("random: {trials: 1000000000000}\nparameters: {lr: 'uniform(0, 1)'}", "1,000,000,000,000"),
])
def test_a_huge_sweep_file_is_refused_by_its_size_before_any_point_exists(text, points):
    space = parse_sweep_text(text, "huge.yaml")
    with pytest.raises(UsageError, match=f"the sweep has {points} points, more than --max-points 10,000"):
        check_size(space, DEFAULT_MAX_POINTS)


@given(st.dictionaries(st.from_regex(r"[a-z]{1,5}", fullmatch=True),
                       st.lists(st.integers(-5, 5), min_size=1, max_size=3), min_size=1, max_size=3))
def test_a_grid_file_has_the_product_of_its_axes(axes):
    import yaml

    space = parse_sweep_text(yaml.safe_dump({"grid": axes}), "g.yaml")
    points = list(space.points())
    expected = 1
    for values in axes.values():
        expected *= len(values)
    assert len(points) == space.size == expected
    assert all(set(p.updates) == set(axes) for p in points)

"""``sacred compare`` on every store kind: config differences, metrics table, plots, sweeps."""

from __future__ import annotations

import json

from sacred.runs import open_store
from tests.sacred_runner.tools.helpers import sacred


def _ids(spec: str, *lrs: float) -> list[str]:
    with open_store(spec) as store:
        by_lr = {run.config["lr"]: run.id for run in store.query()}
    return [by_lr[lr] for lr in lrs]


def test_compare_on_every_store(any_store) -> None:
    ids = _ids(any_store.spec, 0.01, 0.1, 0.2)
    result = sacred("compare", *ids, "--store", any_store.spec)
    assert result.ret == 0, result.err
    config = result.out.split("Config (only the keys that differ)\n")[1].split("\n\n")[0].splitlines()
    keys = [line.split()[0] for line in config[2:]]
    assert keys == ["depth", "fail", "lr", "seed"]  # opt.* is the same everywhere
    assert config[2].split()[1:] == ["2", "3", "2"]
    if any_store.has_metrics:
        assert "Metrics (final, min..max)" in result.out
        assert "0.002 (0.002..0.01)" in result.out


def test_plot_and_json(file_store_dir) -> None:
    basedir, _ = file_store_dir
    result = sacred("compare", "1", "3", "--store", str(basedir), "--plot", "loss")
    assert result.ret == 0, result.err
    plot = result.out.split("\nloss\n")[1].splitlines()
    assert plot[0].strip().startswith("0.5 |o")           # run 3's first point is the top
    assert "* run 1   o run 3" in result.out
    data = json.loads(sacred("compare", "1", "3", "--store", str(basedir), "--json").out)
    assert data["config"]["lr"] == [0.01, 0.5]
    assert data["metrics"]["loss"][1]["max"] == 0.5


def test_sweep(file_store_dir) -> None:
    basedir, _ = file_store_dir
    result = sacred("compare", "--sweep", "sw1", "--store", str(basedir))
    assert result.ret == 0 and "run 5" in result.out
    missing = sacred("compare", "--sweep", "nope", "--store", str(basedir))
    assert missing.ret == 4 and "no runs of sweep 'nope'" in missing.err


def test_bad_input(file_store_dir) -> None:
    basedir, _ = file_store_dir
    assert "give two or more run ids" in sacred("compare", "1", "--store", str(basedir)).err
    unknown = sacred("compare", "1", "77", "--store", str(basedir))
    assert unknown.ret == 4 and "no run with id '77'" in unknown.err
    no_metric = sacred("compare", "1", "2", "--store", str(basedir), "--plot", "nope")
    assert no_metric.ret == 4 and "metrics: acc, loss" in no_metric.err

"""``sacred run --multirun`` / ``--sweep``: points as runs, meta_info, seeds, the table, bad input."""

from __future__ import annotations

import json

import pytest

GRID_EXPERIMENT = """\
    from sacred import Experiment
    ex = Experiment("grid")
    @ex.config
    def cfg():
        lr = 0.1
        bs = 16
        opt = {"name": "sgd"}
    @ex.named_config
    def small():
        bs = 2
    @ex.named_config
    def large():
        bs = 200
    @ex.automain
    def main(lr, bs, opt, seed, _run):
        _run.log_scalar("loss", lr * bs)
        _run.log_scalar("loss", lr * bs / 2)
        if lr < 0:
            raise ValueError("negative learning rate")
        return lr * bs
    """


def runs(tester):
    folder = tester.path / ".sacred" / "runs"
    found = {}
    for run_dir in folder.iterdir():
        if run_dir.name.isdigit():
            entry = json.loads((run_dir / "run.json").read_text())
            entry["config"] = json.loads((run_dir / "config.json").read_text())
            found[int(run_dir.name)] = entry
    return found


def test_a_grid_runs_every_point_and_records_the_sweep(sacredtester):
    sacredtester.write("exp_grid.py", GRID_EXPERIMENT)
    result = sacredtester.run("run", "--multirun", "--color=no", "with", "lr=0.1,0.01", "bs=range(10,40,10)")
    assert result.ret == 0, result.stderr + result.stdout
    stored = runs(sacredtester)
    assert len(stored) == 6
    sweeps = [entry["meta"]["sweep"] for entry in stored.values()]
    assert len({s["id"] for s in sweeps}) == 1
    assert sorted(s["index"] for s in sweeps) == list(range(6)) and {s["count"] for s in sweeps} == {6}
    points = sorted((s["point"]["lr"], s["point"]["bs"]) for s in sweeps)
    assert points == sorted((lr, bs) for lr in (0.1, 0.01) for bs in (10, 20, 30))
    for entry in stored.values():  # the point's values are the run's config; each point its own seed
        assert entry["config"]["lr"] == entry["meta"]["sweep"]["point"]["lr"]
        assert entry["config"]["bs"] == entry["meta"]["sweep"]["point"]["bs"]
    assert len({entry["config"]["seed"] for entry in stored.values()}) == 6
    summary = result.stdout.split("summary")[1]
    assert summary.splitlines()[1].split() == ["#", "lr", "bs", "status", "duration", "result", "loss", "run", "id"]
    assert "exp_grid.py::grid::main[lr=0.1,bs=20] COMPLETED" in result.stdout


def test_seeds_derive_from_the_sweep_id_and_a_fixed_seed_applies_to_all(sacredtester):
    sacredtester.write("exp_grid.py", GRID_EXPERIMENT)
    assert sacredtester.run("run", "-M", "--sweep-id", "abc", "with", "lr=1,2").ret == 0
    assert sacredtester.run("run", "-M", "--sweep-id", "abc", "with", "lr=1,2").ret == 0
    assert sacredtester.run("run", "-M", "with", "lr=1,2", "seed=7").ret == 0
    stored = runs(sacredtester)
    first, second, fixed = [stored[1], stored[2]], [stored[3], stored[4]], [stored[5], stored[6]]
    assert [e["config"]["seed"] for e in first] == [e["config"]["seed"] for e in second]
    assert first[0]["config"]["seed"] != first[1]["config"]["seed"]
    assert first[0]["meta"]["sweep"]["id"] == "abc"
    assert [e["config"]["seed"] for e in fixed] == [7, 7]


def test_named_config_axis_and_dotted_keys(sacredtester):
    sacredtester.write("exp_grid.py", GRID_EXPERIMENT)
    result = sacredtester.run("run", "-M", "with", "small,large", "opt.name=adam,sgd")
    assert result.ret == 0, result.stderr
    stored = sorted(runs(sacredtester).values(), key=lambda e: e["meta"]["sweep"]["index"])
    assert [(e["config"]["bs"], e["config"]["opt"]["name"]) for e in stored] == [
        (2, "adam"), (2, "sgd"), (200, "adam"), (200, "sgd")]
    assert stored[0]["meta"]["sweep"]["point"] == {"opt.name": "adam", "named_configs": ["small"]}


def test_outside_multirun_the_with_grammar_is_0_8_7s(sacredtester):
    sacredtester.write("exp_tuple.py", """\
        from sacred import Experiment
        ex = Experiment("tuple")
        @ex.config
        def cfg():
            a = 0
        @ex.automain
        def main(a):
            return a
        """)
    result = sacredtester.run("run", "with", "a=1,2")
    assert result.ret == 0
    (entry,) = runs(sacredtester).values()
    assert entry["config"]["a"] == [1, 2] and "sweep" not in entry["meta"]


def test_an_objective_metric_no_run_logged_is_warned_about_once_naming_the_logged_ones(sacredtester):
    sacredtester.write("exp_grid.py", GRID_EXPERIMENT)
    result = sacredtester.run("run", "-M", "--color=no", "--objective", "metric:los", "with", "lr=0.1,0.2")
    assert result.ret == 0, result.stderr
    warning = "no run of the sweep logged a metric 'los' (logged: loss)"
    assert result.stdout.count(warning) == 1, result.stdout
    named = sacredtester.run("run", "-M", "--color=no", "--objective", "metric:loss", "with", "lr=0.1,0.2")
    assert named.ret == 0 and "no run of the sweep logged" not in named.stdout


def test_objective_sorts_the_table_best_first_and_failures_last(sacredtester):
    sacredtester.write("exp_grid.py", GRID_EXPERIMENT)
    result = sacredtester.run("run", "-M", "--objective", "metric:loss:min", "--direction", "maximize",
                              "--color=no", "with", "lr=0.1,-1,0.3", "bs=10")
    assert result.ret == 1
    rows = result.stdout.split(" summary ")[1].split("sweep id")[0].strip().splitlines()[1:]
    assert rows[0].split()[:6] == ["#", "lr", "bs", "status", "duration", "loss"]
    assert [row.split()[1] for row in rows[1:]] == ["0.3", "0.1", "-1"]
    assert rows[1].split()[5] == "1.5" and rows[3].split()[3] == "FAILED"


def test_an_experiment_without_the_swept_key_is_deselected(sacredtester):
    sacredtester.write("exp_grid.py", GRID_EXPERIMENT)
    sacredtester.experiment("exp_other.py")
    result = sacredtester.run("run", "-M", "with", "lr=1,2")
    assert result.ret == 0
    assert "deselected exp_other.py::exp_other::main: does not use lr" in result.stdout
    only_other = sacredtester.run("run", "-M", "exp_other.py", "with", "lr=1,2")
    assert only_other.ret == 4 and "no selected experiment accepts the sweep" in only_other.stderr


def test_sweep_file_and_collect_multirun_lists_points_without_running(sacredtester):
    sacredtester.write("exp_grid.py", GRID_EXPERIMENT)
    sacredtester.write("sweep.yaml", """\
        random: {trials: 3, seed: 1}
        parameters:
          lr: loguniform(0.001, 0.1)
          bs: choice(8, 16)
        """)
    listing = sacredtester.run("collect", "--sweep", "sweep.yaml", "with", "opt.name=a,b")
    assert listing.ret == 0, listing.stderr
    assert "3 points x 1 experiment" not in listing.stdout and "6 points x 1 experiment = 6 runs" in listing.stdout
    assert listing.stdout.count("  [") == 6
    assert not (sacredtester.path / ".sacred" / "runs").exists()
    ran = sacredtester.run("run", "--sweep", "sweep.yaml", "with", "opt.name=a,b")
    assert ran.ret == 0 and len(runs(sacredtester)) == 6


@pytest.mark.parametrize("args", [
    ("run", "-M", "-q", "with", "lr=range(0,1000000000000)"),
    ("run", "-M", "-q", "with", "lr=range(0,1000000)", "bs=range(0,1000000)"),
    ("collect", "-M", "with", "lr=range(0,1000000000000)"),
    ("run", "--sweep", "huge.yaml"),
])
def test_a_mistyped_huge_range_is_refused_at_once_by_its_size(sacredtester, args):
    # listing 10**12 values would take terabytes: the refusal comes from len(range), computed
    sacredtester.write("exp_grid.py", GRID_EXPERIMENT)
    sacredtester.write("huge.yaml", 'grid: {lr: "range(1, 1000000000001)"}\n')
    result = sacredtester.run(*args)
    assert result.ret == 4, result.stdout
    assert "the sweep has 1,000,000,000,000 points, more than --max-points 10,000" in result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    assert not (sacredtester.path / ".sacred" / "runs").exists()


def test_bad_sweep_input_is_a_usage_error_before_anything_runs(sacredtester):
    sacredtester.write("exp_grid.py", GRID_EXPERIMENT)
    sacredtester.write("bad.yaml", "random: {trials: 2}\nparameters:\n  lr: normal(0, 1)\n")
    cases = {
        ("run", "-M", "with", "lr="): "the sweep axis 'lr' has no values",
        ("run", "-M", "with", "bs=range(1,)"): "malformed range",
        ("run", "--sweep", "bad.yaml"): "bad.yaml:3: 'lr': unknown distribution 'normal'",
        ("run", "-M", "with", "lr=range(0,101)", "bs=range(0,100)"): "10,100 points, more than --max-points 10,000",
        ("run", "--objective", "result"): "--objective belongs to a sweep",
        ("run", "-M", "--objective", "metric:"): "--objective: expected 'result' or 'metric:NAME",
        ("run", "-M", "--sweeper", "bayes"): "unknown sweeper 'bayes'",
    }
    for args, message in cases.items():
        result = sacredtester.run(*args)
        assert result.ret == 4, (args, result.stdout)
        assert message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
    assert not (sacredtester.path / ".sacred" / "runs").exists()
    refused = sacredtester.run("run", "-M", "--max-points", "3", "with", "lr=1,2", "bs=1,2")
    assert refused.ret == 4 and "4 points, more than --max-points 3; pass --max-points 4" in refused.stderr
    assert sacredtester.run("run", "-M", "--max-points", "4", "with", "lr=1,2", "bs=1,2").ret == 0
    assert len(runs(sacredtester)) == 4

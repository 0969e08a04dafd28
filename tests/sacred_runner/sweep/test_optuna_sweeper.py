"""``--sweeper optuna``: trials as observed runs, a persisted study that resumes, objectives."""

from __future__ import annotations

import pytest

from tests.sacred_runner.launch.helpers import file_runs

optuna = pytest.importorskip("optuna")

QUADRATIC = """\
    from sacred import Experiment
    ex = Experiment("quad")
    @ex.config
    def cfg():
        x = 0.0
        y = 1
        shape = "round"
    @ex.automain
    def main(x, y, shape, _run):
        for step in range(3):
            _run.log_scalar("score", -((x - 3) ** 2) - y + step)
        return (x - 3) ** 2 + y
    """
SPACE = "random: {trials: 1}\nparameters:\n  x: uniform(-10, 10)\n  y: randint(0, 3)\n"


def summary_rows(stdout):
    block = stdout.split(" summary ")[1].split("sweep id")[0].strip().splitlines()
    return [line.split() for line in block[2:]]  # after the separator and the header


def test_trials_are_runs_best_first_and_the_study_resumes(sacredtester):
    sacredtester.write("exp_quad.py", QUADRATIC)
    sacredtester.write("space.yaml", SPACE)
    storage = f"sqlite:///{sacredtester.path / 'study.db'}"
    args = ("run", "--sweeper", "optuna", "--sweep", "space.yaml", "--objective", "result",
            "--study", "quad", "--study-storage", storage, "--color=no")
    first = sacredtester.run(*args, "--trials", "6")
    assert first.ret == 0, first.stderr
    stored = file_runs(sacredtester.path / ".sacred" / "runs")
    assert len(stored) == 6
    for entry in stored.values():
        sweep = entry["meta"]["sweep"]
        assert sweep["id"] == "quad" and sweep["count"] == 6
        assert -10 <= entry["config"]["x"] <= 10 and entry["config"]["y"] in (0, 1, 2)
        assert sweep["point"] == {"x": entry["config"]["x"], "y": entry["config"]["y"]}
    results = [float(row[5]) for row in summary_rows(first.stdout)]
    assert results == sorted(results) and len(results) == 6
    resumed = sacredtester.run(*args, "--trials", "8")
    assert resumed.ret == 0, resumed.stderr
    assert len(file_runs(sacredtester.path / ".sacred" / "runs")) == 8
    study = optuna.load_study(study_name="quad", storage=storage)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 8
    assert study.best_value == min(e["result"] for e in file_runs(sacredtester.path / ".sacred" / "runs").values())


def test_a_trial_left_running_by_an_interrupted_session_is_failed_and_replaced(sacredtester):
    sacredtester.write("exp_quad.py", QUADRATIC)
    storage = f"sqlite:///{sacredtester.path / 'study.db'}"
    stale = optuna.create_study(study_name="s", storage=storage)
    stale.ask({"x": optuna.distributions.CategoricalDistribution([1.0, 2.0, 5.0])})  # RUNNING forever
    result = sacredtester.run("run", "-M", "--sweeper", "optuna", "--objective", "metric:score:max",
                              "--direction", "maximize", "--study", "s", "--study-storage", storage,
                              "--trials", "3", "-n", "2", "with", "x=1.0,2.0,5.0", "shape=square")
    assert result.ret == 0, result.stderr
    study = optuna.load_study(study_name="s", storage=storage)
    assert [t.state.name for t in study.trials] == ["FAIL", "COMPLETE", "COMPLETE", "COMPLETE"]
    stored = file_runs(sacredtester.path / ".sacred" / "runs")
    assert len(stored) == 3 and {e["config"]["shape"] for e in stored.values()} == {"square"}
    for entry in stored.values():  # the objective is the max of the logged metric
        x, y = entry["config"]["x"], entry["config"]["y"]
        trial = study.trials[entry["meta"]["sweep"]["index"]]
        assert trial.value == pytest.approx(-((x - 3) ** 2) - y + 2)


def test_a_study_with_another_space_is_a_usage_error(sacredtester):
    sacredtester.write("exp_quad.py", QUADRATIC)
    storage = f"sqlite:///{sacredtester.path / 'study.db'}"
    study = optuna.create_study(study_name="s", storage=storage)
    study.tell(study.ask({"x": optuna.distributions.CategoricalDistribution([1.0, 2.0])}), 1.0)
    result = sacredtester.run("run", "-M", "--sweeper", "optuna", "--objective", "result", "--study", "s",
                              "--study-storage", storage, "--trials", "3", "with", "x=1.0,7.0")
    assert result.ret == 4 and "has another search space than this sweep" in result.stderr


def test_optuna_bad_input(sacredtester):
    sacredtester.write("exp_quad.py", QUADRATIC)
    sacredtester.write("points.yaml", "points:\n  - {x: 1.0}\n")
    cases = {
        ("run", "--sweeper", "optuna", "--trials", "3", "-M", "with", "x=1.0,2.0"): "--sweeper optuna needs --objective",
        ("run", "--sweeper", "optuna", "--objective", "result", "-M", "with", "x=1.0,2.0"): "--sweeper optuna needs --trials",
        ("run", "--sweeper", "optuna", "--objective", "result", "--trials", "0", "-M"): "--trials: expected a positive integer",
        ("run", "--sweeper", "optuna", "--objective", "result", "--trials", "2", "--sweep", "points.yaml"): "not a list of points",
        ("run", "--sweeper", "optuna", "--objective", "result", "--trials", "2", "-M", "with", "x=1.0"): "needs something to search",
    }
    for args, message in cases.items():
        result = sacredtester.run(*args)
        assert result.ret == 4 and message in result.stderr, (args, result.stderr)


def test_a_huge_range_axis_is_refused_instead_of_listed_as_a_categorical(sacredtester):
    sacredtester.write("exp_quad.py", QUADRATIC)
    result = sacredtester.run("run", "-M", "--sweeper", "optuna", "--objective", "result", "--trials", "2",
                              "--study-storage", f"sqlite:///{sacredtester.path / 'study.db'}",
                              "with", "x=range(0,1000000000000)")
    assert result.ret == 4, result.stdout
    assert "the axis 'x' has 1,000,000,000,000 values, more than 10,000 choices" in result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr

"""D8: a truncated metrics.json is reported as BROKEN by ``sacred show`` (it silently hid every metric)."""

from __future__ import annotations

from sacred.runs import open_store
from tests.sacred_runner.tools.helpers import sacred
from tests.sacred_runner.tools.trial_runs import run_experiment


def _logged(run):
    for step in range(3):
        run.log_scalar("loss", 1.0 / (step + 1), step)


def test_show_says_a_torn_metrics_file_is_broken(tmp_path) -> None:
    store = tmp_path / "runs"
    run_id = run_experiment(store, _logged)
    assert "Metrics\n" in sacred("show", run_id, "--store", str(store)).out
    (store / run_id / "metrics.json").write_text('{"loss": {"steps": [0,1')
    result = sacred("show", run_id, "--store", str(store))
    assert result.ret == 0, result.err
    assert "  BROKEN: metrics.json is not valid JSON (" in result.out
    with open_store(str(store)) as opened:
        assert opened.get(run_id).metrics_error().startswith("metrics.json is not valid JSON")
    (store / run_id / "metrics.json").write_text("[1, 2]")
    assert "  BROKEN: metrics.json is not a JSON object" in sacred("show", run_id, "--store", str(store)).out


def test_intact_and_missing_metrics_are_not_broken(tmp_path) -> None:
    store = tmp_path / "runs"
    with_metrics = run_experiment(store, _logged)
    without = run_experiment(store, lambda run: None)
    (store / without / "metrics.json").unlink(missing_ok=True)
    for run_id in (with_metrics, without):
        assert "BROKEN" not in sacred("show", run_id, "--store", str(store)).out

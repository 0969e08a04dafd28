"""What a user trial of ``sacred ui`` found, over HTTP (Starlette test client, stores written by real runs)."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("starlette")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

from sacred.runs import open_store  # noqa: E402
from sacred_runner.ui.app import create_app  # noqa: E402
from tests.sacred_runner.tools.trial_runs import run_experiment  # noqa: E402


def _client(store) -> TestClient:
    return TestClient(create_app([open_store(str(store))], allowed_hosts={"testserver"}))


def test_huge_integer_metric_draws_and_sorts(tmp_path) -> None:
    store = tmp_path / "runs"

    def log(run):
        for step, value in enumerate([1, 10**400, 3]):
            run.log_scalar("big", value, step)

    run_id = run_experiment(store, log)
    run_experiment(store, lambda run: run.log_scalar("big", 2))
    with _client(store) as client:
        chart = client.get(f"/s/0/run/{run_id}/metric?name=big")
        assert chart.status_code == 200, chart.text
        for sort in ("metric:big", "-metric:big"):
            page = client.get(f"/s/0/?sort={sort}")
            assert page.status_code == 200, page.text


def test_run_page_and_chart_say_a_torn_metrics_file_is_broken(tmp_path) -> None:
    store = tmp_path / "runs"
    run_id = run_experiment(store, lambda run: [run.log_scalar("loss", v, i) for i, v in enumerate([3, 2, 1])])
    (store / run_id / "metrics.json").write_text('{"loss": {"steps": [0,1')
    with _client(store) as client:
        page = client.get(f"/s/0/run/{run_id}")
        assert page.status_code == 200
        assert "BROKEN: metrics.json is not valid JSON (" in page.text
        chart = client.get(f"/s/0/run/{run_id}/metric?name=loss")
        assert chart.status_code == 422 and "metrics.json is not valid JSON" in chart.text


def test_sweep_prefix_in_the_table_and_the_sweep_page(tmp_path) -> None:
    from tests.sacred_runner.tools.test_sweep_prefix import sweep_store

    store = sweep_store(tmp_path)
    with _client(store) as client:
        page = client.get("/s/0/sweep/5d37")
        assert page.status_code == 200 and "5d375efa3ab5" in page.text
        table = client.get("/s/0/?sweep=5d37")
        assert table.status_code == 200 and 'href="/s/0/run/1"' in table.text and 'href="/s/0/run/3"' not in table.text
        ambiguous = client.get("/s/0/?sweep=5d")
        assert "ambiguous" in ambiguous.text

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

"""D12: what the user trial of the store commands found odd (compare ranges, hidden columns, --status,
--sort -KEY, requeued attempts in show, strict --json)."""

from __future__ import annotations

import json

import pytest

from tests.sacred_runner.tools.helpers import sacred
from tests.sacred_runner.tools.trial_runs import run_experiment


def _strict(text: str):
    def refuse(constant):
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_compare_range_is_not_joined_to_an_ellipsis(tmp_path) -> None:
    store = tmp_path / "runs"
    first = run_experiment(store, lambda run: [run.log_scalar("loss", v) for v in (0.12339, 0.0111657)])
    second = run_experiment(store, lambda run: [run.log_scalar("loss", v) for v in (0.2, 0.02)], {"x": 2})
    out = sacred("compare", first, second, "--store", str(store)).out
    loss = next(line for line in out.splitlines() if line.strip().startswith("loss"))
    assert "0.0111657 (0.01117..0.1234)" in loss and "…" not in loss


def test_hidden_varying_config_keys_are_named(tmp_path) -> None:
    store = tmp_path / "runs"
    for n in range(2):
        run_experiment(store, lambda run: None, config={"x": {f"k{i}": n for i in range(6)}})
    out = sacred("runs", "--store", str(store)).out
    assert out.splitlines()[-1] == ("config keys that vary but are not shown: x.k4, x.k5 "
                                    "(--columns id,status,x.k0,x.k1,x.k2,x.k3,x.k4,x.k5 shows them)")
    assert "not shown" not in sacred("runs", "--store", str(store), "--columns", "id,x.k0").out


def test_unknown_status_is_a_usage_error(tmp_path) -> None:
    store = tmp_path / "runs"
    run_experiment(store, lambda run: None)
    result = sacred("runs", "--store", str(store), "--status", "BOGUS")
    assert result.ret == 4 and result.out == ""
    assert "'BOGUS' is not a status: use QUEUED, RUNNING, COMPLETED, FAILED, INTERRUPTED, TIMEOUT, DEAD" in result.err
    assert sacred("runs", "--store", str(store), "--status", "completed,dead").ret == 0


@pytest.mark.parametrize("argv, first", [(["--sort", "-id"], "3"), (["--sort=-id"], "3"), (["--sort", "id"], "1")])
def test_sort_takes_a_descending_key_as_its_own_word(tmp_path, argv, first) -> None:
    store = tmp_path / "runs"
    for n in range(3):
        run_experiment(store, lambda run: None, {"x": n})
    result = sacred("runs", "--store", str(store), *argv)
    assert result.ret == 0, result.err
    assert result.out.splitlines()[2].split()[0] == first


def test_show_names_attempts_and_never_prints_claim_tokens(tmp_path) -> None:
    store = tmp_path / "runs"
    dead, attempt = run_experiment(store, lambda run: None), run_experiment(store, lambda run: None)
    queue = {"file": "exp.py", "command": "main", "priority": 0,
             "claim": {"token": "SECRET-TOKEN-1234", "worker": "host:99", "time": "2026-01-01T00:00:00"}}
    for run_id, extra in ((dead, {"requeued_as": attempt}), (attempt, {"attempt_of": dead, "attempt": 2})):
        path = store / run_id / "run.json"
        entry = json.loads(path.read_text())
        entry["meta"].update(extra, queue=queue)
        path.write_text(json.dumps(entry))
    shown = sacred("show", attempt, "--store", str(store)).out
    assert f"attempt:       2 of run {dead}\n" in shown
    assert "queue:         exp.py main, priority 0, claimed by host:99 at 2026-01-01T00:00:00" in shown
    assert f"requeued as:   run {attempt}\n" in sacred("show", dead, "--store", str(store)).out
    for run_id in (dead, attempt):
        for extra in ([], ["--json"]):
            assert "SECRET-TOKEN" not in sacred("show", run_id, "--store", str(store), *extra).out


def test_json_is_strict(tmp_path) -> None:
    store = tmp_path / "runs"

    def body(run):
        run.log_scalar("loss", float("nan"))
        run.log_scalar("gain", float("inf"))
        return float("-inf")

    first, second = run_experiment(store, body), run_experiment(store, body, {"x": 2})
    shown = _strict(sacred("show", first, "--store", str(store), "--json").out)
    assert shown["result"] == "-Infinity" and shown["metrics"]["loss"]["values"] == ["NaN"]
    listed = _strict(sacred("runs", "--store", str(store), "--json").out)
    assert listed[0]["final_metrics"] == {"loss": "NaN", "gain": "Infinity"}
    _strict(sacred("compare", first, second, "--store", str(store), "--json").out)

"""``sacred show ID`` on every store kind: config with modifications, metrics, host, sources, output."""

from __future__ import annotations

import json

from tests.sacred_runner.tools.helpers import sacred


def _id_of(spec: str, where: str) -> str:
    from sacred.runs import open_store

    with open_store(spec) as store:
        [run] = store.query(where)
        return run.id


def test_show_on_every_store(any_store) -> None:
    run_id = _id_of(any_store.spec, "config.lr == 0.1")
    result = sacred("show", run_id, "--store", any_store.spec)
    assert result.ret == 0, result.err
    out = result.out
    assert out.startswith(f"Run {run_id}  toy  COMPLETED")
    assert "comment:       baseline run" in out
    if any_store.has_meta:
        assert " * depth = 3" in out and " * lr = 0.1" in out and "   opt.name = sgd" in out
    else:
        assert "depth = 3" in out
    assert "Host\n  hostname:" in out
    assert "Sources\n  " in out and "peer_experiment.py" in out
    assert "Artifacts\n" in out and "weights.txt" in out
    assert "training with lr=0.1" in out
    if any_store.has_metrics:
        metrics = out.split("Metrics\n")[1].split("\n\n")[0].splitlines()
        loss = next(line for line in metrics if line.strip().startswith("loss"))
        assert loss.split()[1:5] == ["5", "0.02", "0.02", "0.1"]
        assert "█" in loss and "▁" in loss


def test_show_failed_run_has_its_trace(any_store) -> None:
    run_id = _id_of(any_store.spec, "status == 'FAILED'")
    out = sacred("show", run_id, "--store", any_store.spec).out
    assert "Fail trace\n" in out and "RuntimeError: diverged" in out


def test_output_tail_and_full(file_store_dir) -> None:
    basedir, _ = file_store_dir
    cout = basedir / "1" / "cout.txt"
    cout.write_text("".join(f"line {i}\n" for i in range(100)))
    tail = sacred("show", "1", "--store", str(basedir)).out
    assert "Output (last 20 of 100 lines; --output for all)" in tail
    assert "line 79\n" not in tail and "line 80\n" in tail and "line 99" in tail
    full = sacred("show", "1", "--store", str(basedir), "--output").out
    assert "  line 0\n" in full and "line 99" in full


def test_json(file_store_dir) -> None:
    basedir, _ = file_store_dir
    data = json.loads(sacred("show", "2", "--store", str(basedir), "--json").out)
    assert data["config"]["depth"] == 3 and data["comment"] == "baseline run"
    assert data["metrics"]["loss"]["steps"] == [0, 1, 2, 3, 4]
    assert data["artifacts"][0]["name"] == "weights.txt"


def test_git_patch_is_shown(file_store_dir) -> None:
    basedir, _ = file_store_dir
    run_json = basedir / "1" / "run.json"
    entry = json.loads(run_json.read_text())
    entry["experiment"]["repositories"] = [{"url": "git:/x", "commit": "abc123", "dirty": True}]
    entry["meta"]["git_patch"] = {"commit": "abc123", "bytes": 42, "patch": "diff", "truncated": False}
    run_json.write_text(json.dumps(entry))
    out = sacred("show", "1", "--store", str(basedir)).out
    assert "abc123 (dirty: uncommitted changes)  git:/x" in out
    assert "patch of uncommitted changes recorded (42 bytes)" in out


def test_unknown_id_names_the_nearest(file_store_dir) -> None:
    basedir, _ = file_store_dir
    result = sacred("show", "12", "--store", str(basedir))
    assert result.ret == 4
    assert result.err.startswith("ERROR: no run with id '12'") and "nearest ids: 3, 4, 5" in result.err


def test_broken_run_is_shown_as_broken(file_store_dir) -> None:
    basedir, _ = file_store_dir
    (basedir / "3" / "run.json").write_text("{")
    result = sacred("show", "3", "--store", str(basedir))
    assert result.ret == 0, result.err
    assert result.out.startswith("Run 3  ?  BROKEN") and "BROKEN: run.json is not valid JSON" in result.out


def _long_run(basedir, values) -> None:
    from sacred.observers.run_files._layout import dump_json

    folder = basedir / "1"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"status": "COMPLETED", "experiment": {"name": "long"}}))
    (folder / "config.json").write_text("{}")
    stamps = ["2024-01-01T00:00:00"] * len(values)
    (folder / "metrics.json").write_bytes(dump_json({
        "loss": {"steps": list(range(len(values))), "values": values, "timestamps": stamps},
        "acc": {"steps": [0, 1], "values": [0.25, 0.5], "timestamps": stamps[:2]}}))


def test_a_long_series_shows_the_same_on_both_parse_paths(tmp_path, monkeypatch) -> None:
    values = [1 / (i + 1) for i in range(50_000)] + [float("nan"), float("inf"), -0.0, 2**70, None, 3]
    _long_run(tmp_path / "store", values)
    outputs = []
    for disabled in ("", "1"):
        monkeypatch.setenv("SACRED_NO_ORJSON", disabled)
        result = sacred("show", "1", "--store", str(tmp_path / "store"))
        assert result.ret == 0, result.err
        outputs.append(result.out)
    assert outputs[0] == outputs[1]
    loss = next(line for line in outputs[0].splitlines() if line.strip().startswith("loss"))
    # finite numbers only: 50,000 + -0.0 + 2**70 + 3; final 3, min -0.0 (the smallest), max 2**70
    assert loss.split()[1:5] == ["50003", "3", "-0", "1.18059e+21"]


def test_a_damaged_list_is_named_and_the_other_metrics_still_show(tmp_path) -> None:
    _long_run(tmp_path / "store", [0.5, 0.25])
    path = tmp_path / "store" / "1" / "metrics.json"
    path.write_bytes(path.read_bytes().replace(b"0.5,\n      0.25", b"0.5,,0.25").replace(b"[0.5,0.25]", b"[0.5,,0.25]"))
    result = sacred("show", "1", "--store", str(tmp_path / "store"))
    assert result.ret == 0, result.err
    lines = result.out.split("Metrics\n")[1].splitlines()
    assert any(line.split()[:2] == ["acc", "2"] for line in lines)
    assert any(line.split()[:2] == ["loss", "?"] and "unreadable: a stored metric list is not valid JSON" in line
               for line in lines)
    data = json.loads(sacred("show", "1", "--store", str(tmp_path / "store"), "--json").out)
    assert data["metrics"]["acc"]["values"] == [0.25, 0.5] and "not valid JSON" in data["metrics"]["loss"]["error"]

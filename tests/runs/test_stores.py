"""The same questions to every store kind (ours and sacred 0.8.7's): the same answers."""

from __future__ import annotations

import datetime as dt

import pytest

from sacred.runs import FilterError, RunNotFound, open_store


def _lr(run) -> float:
    return run.config["lr"]


def test_listing_and_filters(any_store) -> None:
    with open_store(any_store.spec) as store:
        runs = store.query()
        assert len(runs) == store.count() == 5
        assert sorted(_lr(r) for r in runs) == [0.01, 0.1, 0.2, 0.3, 0.5]
        assert {r.experiment for r in runs} == {"toy"}
        assert [r.status for r in runs if r.status != "COMPLETED"] == ["FAILED"]
        completed = {p["id"] for p in any_store.played if p["id"] is not None}
        assert {r.id for r in runs if r.status == "COMPLETED"} == completed

        picked = store.query("config.lr > 0.1 and status == 'COMPLETED'", sort="config.lr")
        assert [_lr(r) for r in picked] == [0.3, 0.5]
        assert store.count("config.opt.name == 'sgd' and config.depth >= 3") == 1
        assert [_lr(r) for r in store.query(status="FAILED")] == [0.2]
        assert store.count(status=["COMPLETED", "FAILED"]) == 5
        assert store.count(experiment="toy") == 5 and store.count(experiment="other") == 0
        if any_store.has_meta:
            assert [_lr(r) for r in store.query(sweep="sw1")] == [0.3]
            assert [_lr(r) for r in store.query(sweep="sw")] == [0.3] and store.count(sweep="sw") == 1  # a prefix
            assert store.query(sweep="sw2") == [] and store.count(sweep="sw2") == 0
            assert [r.sweep["point"] for r in store.query("sweep.index == 0")] == [{"lr": 0.3}]
        assert [_lr(r) for r in store.query(text="BASELINE")] == [0.1]
        assert store.count(since=dt.datetime(2000, 1, 1)) == 5
        assert store.count(until=dt.datetime(2000, 1, 1)) == 0

        by_lr = store.query(sort="config.lr", descending=True)
        assert [_lr(r) for r in by_lr] == [0.5, 0.3, 0.2, 0.1, 0.01]
        page = store.query(sort="config.lr", offset=1, limit=2)
        assert [_lr(r) for r in page] == [0.1, 0.2]
        assert len(store.query(limit=2)) == 2 and len(store.query(offset=4)) == 1
        assert [_lr(r) for r in store.query(sort="start_time")] == [0.01, 0.1, 0.5, 0.2, 0.3]
        assert all(r.duration is not None and r.duration >= 0 for r in runs)
        if any_store.has_metrics:
            assert [_lr(r) for r in store.query(sort="metric:loss")] == [0.01, 0.1, 0.2, 0.3, 0.5]
            assert [_lr(r) for r in store.query("metrics.loss < 0.03")] == [0.01, 0.1]
        with pytest.raises(FilterError, match="column"):
            store.query("config.lr >> 1")


def test_records(any_store) -> None:
    with open_store(any_store.spec) as store:
        runs = {_lr(r): r for r in store.query()}
        record = store.get(runs[0.1].id)
        assert record.config["depth"] == 3 and record.config["opt"] == {"name": "sgd", "momentum": 0.9}
        assert record.result == pytest.approx(0.3)
        assert record.comment == "baseline run"
        assert "training with lr=0.1" in record.captured_out()
        assert record.host.get("hostname")
        assert record.experiment_info["name"] == "toy"
        if any_store.has_meta:
            assert record.config_modifications["updated"] == ["depth", "lr"]
            assert store.get(runs[0.5].id).config_modifications["named_configs"] == ["fast"]
        [artifact] = record.artifacts()
        assert artifact.name == "weights.txt" and artifact.read() == b"weights 0.1"
        [source] = record.sources()
        assert source.name.endswith("peer_experiment.py")
        assert source.md5 and len(source.md5) == 32
        assert b"def make_experiment" in source.read()
        failed = store.get(runs[0.2].id)
        assert failed.status == "FAILED" and "RuntimeError: diverged" in "".join(failed.fail_trace)
        if any_store.has_metrics:
            assert record.metric_names() == ["acc", "loss"]
            loss = record.metric("loss")
            assert loss.steps == [0, 1, 2, 3, 4]
            assert loss.values == pytest.approx([0.1, 0.05, 0.1 / 3, 0.025, 0.02])
            assert len(loss.timestamps) == 5 and all(isinstance(t, dt.datetime) for t in loss.timestamps)
            assert runs[0.1].final_metrics["loss"] == pytest.approx(0.02)
        assert [r.id for r in store.get_many([runs[0.3].id, runs[0.01].id])] == [runs[0.3].id, runs[0.01].id]


def test_unknown_id(any_store) -> None:
    with open_store(any_store.spec) as store:
        with pytest.raises(RunNotFound) as error:
            store.get("999999")
        message = str(error.value)
        assert "'999999'" in message and "nearest ids:" in message
        assert isinstance(error.value, KeyError)

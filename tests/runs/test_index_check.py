"""D9: a run whose run.json was torn after its index line was written is listed as broken
(``sacred runs`` listed it COMPLETED from the index while ``sacred show`` said BROKEN)."""

from __future__ import annotations

from sacred.runs import file_store, open_store
from tests.sacred_runner.tools.helpers import sacred
from tests.sacred_runner.tools.trial_runs import run_experiment


def _store(tmp_path):
    store = tmp_path / "runs"
    ids = [run_experiment(store, lambda run: None, {"x": n}) for n in range(3)]
    assert (store / "runs.index.jsonl").exists()
    return store, ids


def _listed(store) -> dict[str, str]:
    out = sacred("runs", "--store", str(store), "--columns", "id,status").out
    return {line.split()[0]: line.split()[1] for line in out.splitlines()[2:-1]}


def test_torn_run_json_is_listed_broken_as_show_says(tmp_path) -> None:
    store, ids = _store(tmp_path)
    assert set(_listed(store).values()) == {"COMPLETED"}
    (store / ids[0] / "run.json").write_text('{"status": "COMPL')
    assert _listed(store) == {ids[0]: "BROKEN", ids[1]: "COMPLETED", ids[2]: "COMPLETED"}
    assert "BROKEN: run.json is not valid JSON" in sacred("show", ids[0], "--store", str(store)).out
    completed = sacred("runs", "--store", str(store), "--status", "COMPLETED").out
    assert f"\n {ids[0]} " not in completed and "1-2 of 2 runs" in completed
    with open_store(str(store)) as opened:
        [run] = opened.query(f"id == {ids[0]}")
        assert run.broken and run.status is None


def test_a_status_changed_since_the_index_line_is_read_from_the_folder(tmp_path) -> None:
    store, ids = _store(tmp_path)
    run_json = store / ids[1] / "run.json"
    run_json.write_text(run_json.read_text().replace('"COMPLETED"', '"FAILED"'))
    assert _listed(store)[ids[1]] == "FAILED"


def test_an_unchanged_run_json_is_parsed_once_per_store_object(tmp_path, monkeypatch) -> None:
    store, _ = _store(tmp_path)
    reads = []
    original = file_store._read_json
    monkeypatch.setattr(file_store, "_read_json", lambda path: reads.append(path) or original(path))
    with open_store(str(store)) as opened:
        assert len(opened.query(limit=10)) == 3
        first = len(reads)
        assert len(opened.query(limit=10)) == 3
        assert len(reads) == first

"""FileStorage creates only the files its layout and durability need.

Creating a file costs more than writing its bytes on a busy disk, so a run
folder gets no placeholder ``metrics.json`` (sacred 0.8.7 has none during a
run either) and a short run, whose points all arrive in one delivery at its
end, never creates the metrics journal. The journal, when it exists, holds
every delivered point (its first line is a seed with the whole series), so
readers of a live or crashed run lose nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from layout_helpers import reference_dump, start, utcnow

from sacred.observers.file_storage import FileStorageObserver, LocalBackend
from sacred.observers.run_files._layout import METRICS_JOURNAL, read_metrics

T0 = dt.datetime(2026, 3, 4, 5, 6, 7, 250)


class RecordingBackend(LocalBackend):
    """The local backend (real files), noting the names of the files each write creates or
    removes in a run folder (``_sources`` and the runs index are left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.created: list[str] = []
        self.removed: list[str] = []

    @staticmethod
    def _in_run_folder(path: str) -> bool:
        return os.path.basename(os.path.dirname(path)).isdigit()

    def _note(self, path: str) -> None:
        if self._in_run_folder(path):
            self.created.append(os.path.basename(path))

    def write_bytes_atomic(self, path: str, data: bytes) -> None:
        self._note(path)  # a new temporary file, renamed over ``path``
        super().write_bytes_atomic(path, data)

    def append_bytes(self, path: str, data: bytes) -> None:
        if not os.path.exists(path):
            self._note(path)
        super().append_bytes(path, data)

    def create_file(self, path: str, data: bytes) -> None:
        self._note(path)
        super().create_file(path, data)

    def upload_file(self, local_filename: str, path: str) -> None:
        self._note(path)
        super().upload_file(local_filename, path)

    def remove(self, path: str) -> None:
        if os.path.exists(path) and self._in_run_folder(path):
            self.removed.append(os.path.basename(path))
        super().remove(path)


def recording_observer(basedir: Path) -> FileStorageObserver:
    obs = FileStorageObserver(basedir)
    obs.backend = RecordingBackend()
    return obs


def batch(start_step: int, count: int, name: str = "loss") -> dict:
    """``count`` points of ``name`` with fixed timestamps (two observers given them store the same bytes)."""
    steps = list(range(start_step, start_step + count))
    return {name: {"name": name, "steps": steps, "values": [s * 0.25 for s in steps],
                   "timestamps": [T0 + dt.timedelta(seconds=s) for s in steps]}}


def expected_series(total: int, name: str = "loss") -> dict:
    """What ``batch`` deliveries of ``total`` points in all store, decoded."""
    steps = list(range(total))
    return {name: {"steps": steps, "timestamps": [(T0 + dt.timedelta(seconds=s)).isoformat() for s in steps],
                   "values": [s * 0.25 for s in steps]}} if total else {}


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- metrics.json: none while running, always one at the end ---------------------------------------


def test_a_running_run_folder_holds_what_sacred_087s_does(tmp_path):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, str(tmp_path / "src"))
    run_dir = tmp_path / "runs" / "1"
    assert names(run_dir) == ["config.json", "cout.txt", "run.json"]
    obs.heartbeat_event({}, "hello\n", utcnow(), None)
    assert names(run_dir) == ["config.json", "cout.txt", "run.json"]
    assert read_metrics(obs.backend, str(run_dir)) == {}  # a live run without metrics.json: no metrics yet
    obs.log_metrics(batch(0, 2), {})
    assert names(run_dir) == ["config.json", "cout.txt", "metrics.json", "run.json"]
    assert json.loads((run_dir / "metrics.json").read_text()) == expected_series(2)


@pytest.mark.parametrize("ending", ["completed", "failed", "interrupted"])
def test_every_ending_of_a_run_without_metrics_writes_an_empty_metrics_json(tmp_path, ending):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, str(tmp_path / "src"))
    obs.heartbeat_event({}, "", utcnow(), None)
    if ending == "completed":
        obs.completed_event(utcnow(), 1)
    elif ending == "failed":
        obs.failed_event(utcnow(), ["Traceback\n", "ValueError: boom\n"])
    else:
        obs.interrupted_event(utcnow(), "INTERRUPTED")
    run_dir = tmp_path / "runs" / "1"
    assert (run_dir / "metrics.json").read_bytes() == b"{}"
    assert names(run_dir) == ["config.json", "cout.txt", "metrics.json", "run.json"]


@pytest.mark.parametrize("ending", ["completed", "failed", "interrupted"])
@pytest.mark.parametrize("sizes", [[3], [1, 1, 1, 1, 1], [5, 1, 1, 2, 8, 1, 1, 1, 30, 2]])
def test_metrics_json_of_a_run_with_points_keeps_its_bytes(tmp_path, ending, sizes):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, str(tmp_path / "src"))
    delivered = 0
    for size in sizes:
        obs.log_metrics(batch(delivered, size), {})
        delivered += size
    if ending == "completed":
        obs.completed_event(utcnow(), None)
    elif ending == "failed":
        obs.failed_event(utcnow(), ["trace\n"])
    else:
        obs.interrupted_event(utcnow(), "TIMEOUT")
    run_dir = tmp_path / "runs" / "1"
    # json.dumps(metrics, indent=2, sort_keys=True): sacred 0.8.7's bytes, and this layout's before
    assert (run_dir / "metrics.json").read_bytes() == reference_dump(expected_series(delivered))
    assert not (run_dir / METRICS_JOURNAL).exists()


# --- the journal: only when a delivery does not rewrite metrics.json -------------------------------


def test_a_run_whose_only_delivery_is_at_its_end_creates_no_journal(tmp_path):
    obs = recording_observer(tmp_path / "runs")
    start(obs, str(tmp_path / "src"))
    run_dir = tmp_path / "runs" / "1"
    obs.heartbeat_event({}, "out\n", utcnow(), None)
    assert not (run_dir / METRICS_JOURNAL).exists()
    obs.log_metrics(batch(0, 1), {})
    assert not (run_dir / METRICS_JOURNAL).exists()
    obs.heartbeat_event({}, "out\nmore\n", utcnow(), None)
    obs.completed_event(utcnow(), None)
    created = obs.backend.created
    assert METRICS_JOURNAL not in created and obs.backend.removed == []
    # run.json twice (start, end), config.json, cout.txt, metrics.json once (no placeholder)
    assert sorted(created) == ["config.json", "cout.txt", "metrics.json", "run.json", "run.json"]
    assert (run_dir / "metrics.json").read_bytes() == reference_dump(expected_series(1))


def test_a_real_short_experiment_creates_five_files_and_no_journal(tmp_path):
    from sacred import Experiment

    ex = Experiment("short")
    obs = recording_observer(tmp_path / "runs")
    ex.observers.append(obs)

    @ex.main
    def main(_run):
        _run.log_scalar("loss", 0.5)
        return 1

    for _ in range(3):
        before = len(obs.backend.created)
        ex.run(options={"--loglevel": "ERROR"})
        created = obs.backend.created[before:]
        assert METRICS_JOURNAL not in created
        assert created.count("metrics.json") == 1
        assert len(created) == 5, created  # run.json x2, config.json, cout.txt, metrics.json
    assert obs.backend.removed == []
    for run in ("1", "2", "3"):
        stored = json.loads((tmp_path / "runs" / run / "metrics.json").read_text())
        assert stored["loss"]["values"] == [0.5]


def test_a_journal_starts_with_a_seed_of_every_point_delivered_so_far(tmp_path):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, str(tmp_path / "src"))
    run_dir = tmp_path / "runs" / "1"
    journal = run_dir / METRICS_JOURNAL
    obs.log_metrics(batch(0, 4), {})  # 4 >= 2 * 0: rewrite
    obs.log_metrics(batch(4, 4), {})  # 8 >= 2 * 4: rewrite
    assert not journal.exists()
    obs.log_metrics(batch(8, 3), {})  # 11 < 16: journaled, with the 8 points before
    lines = journal.read_bytes().splitlines()
    assert len(lines) == 1 and json.loads(lines[0]) == expected_series(11)
    assert json.loads((run_dir / "metrics.json").read_text()) == expected_series(8)
    obs.log_metrics(batch(11, 2), {})  # 13 < 16: its own line
    lines = journal.read_bytes().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["loss"]["steps"] == [11, 12]
    assert read_metrics(obs.backend, str(run_dir)) == expected_series(13)
    obs.completed_event(utcnow(), None)
    assert not journal.exists()
    assert json.loads((run_dir / "metrics.json").read_text()) == expected_series(13)


# --- long runs, live reads and crashes --------------------------------------------------------------


def _journal_alone(run_dir: Path) -> dict:
    """The series the journal's complete lines hold (what read_metrics replays)."""
    merged: dict = {}
    for line in (run_dir / METRICS_JOURNAL).read_bytes().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        for name, series in record.items():
            into = merged.setdefault(name, {"steps": [], "timestamps": [], "values": []})
            for key in into:
                into[key].extend(series[key])
    return merged


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=25),
       data=st.data())
def test_every_delivered_point_is_readable_during_the_run_and_after_a_crash(sizes, data):
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        crash_after = data.draw(st.integers(min_value=0, max_value=len(sizes)), label="crash_after")
        obs = FileStorageObserver(runs)
        start(obs, os.path.join(tmp, "src"))
        run_dir = runs / "1"
        delivered = 0
        for size in sizes[:crash_after]:
            obs.log_metrics(batch(delivered, size), {})
            delivered += size
            assert read_metrics(LocalBackend(), str(run_dir)) == expected_series(delivered)
            if (run_dir / METRICS_JOURNAL).exists():  # the journal alone holds every point
                assert _journal_alone(run_dir) == expected_series(delivered)
        # the process dies here: no more events; a fresh reader sees every delivered point
        assert read_metrics(LocalBackend(), str(run_dir)) == expected_series(delivered)
        if crash_after == len(sizes):
            obs.completed_event(utcnow(), None)
            assert (run_dir / "metrics.json").read_bytes() == reference_dump(expected_series(delivered))
            assert not (run_dir / METRICS_JOURNAL).exists()


def _twin_record(tmp: str, sizes: list[int]) -> bytes | None:
    """The journal bytes the last of ``sizes``'s deliveries appends (None: it appends nothing)."""
    twin = FileStorageObserver(Path(tmp) / "twin")
    start(twin, os.path.join(tmp, "src"))
    journal = Path(tmp) / "twin" / "1" / METRICS_JOURNAL
    delivered = 0
    before = b""
    for i, size in enumerate(sizes):
        if i == len(sizes) - 1:
            before = journal.read_bytes() if journal.exists() else b""
        twin.log_metrics(batch(delivered, size), {})
        delivered += size
    after = journal.read_bytes() if journal.exists() else b""
    return after[len(before):] or None


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(min_value=1, max_value=30), min_size=2, max_size=20),
       data=st.data())
def test_a_torn_journal_line_loses_no_point_that_was_written(sizes, data):
    """The process dies while appending the record of delivery k+1 (the seed or a later line)."""
    with tempfile.TemporaryDirectory() as tmp:
        k = data.draw(st.integers(min_value=1, max_value=len(sizes) - 1), label="k")
        record = _twin_record(tmp, sizes[:k + 1])
        if record is None:
            return  # delivery k+1 only rewrites metrics.json (atomically): nothing can be torn
        cut = data.draw(st.integers(min_value=1, max_value=len(record) - 1), label="cut")
        obs = FileStorageObserver(Path(tmp) / "runs")
        start(obs, os.path.join(tmp, "src"))
        delivered = 0
        for size in sizes[:k]:
            obs.log_metrics(batch(delivered, size), {})
            delivered += size
        run_dir = Path(tmp) / "runs" / "1"
        with open(run_dir / METRICS_JOURNAL, "ab") as f:  # what the killed append left
            f.write(record[:cut])
        if cut == len(record) - 1:  # only the newline is missing: the record is whole, its points count
            delivered += sizes[k]
        assert read_metrics(LocalBackend(), str(run_dir)) == expected_series(delivered)


def test_a_torn_seed_falls_back_to_metrics_json(tmp_path):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, str(tmp_path / "src"))
    obs.log_metrics(batch(0, 10), {})
    run_dir = tmp_path / "runs" / "1"
    seed = json.dumps(expected_series(12), separators=(",", ":")).encode()
    (run_dir / METRICS_JOURNAL).write_bytes(seed[: len(seed) // 2])  # died writing the seed of 12 points
    assert read_metrics(LocalBackend(), str(run_dir)) == expected_series(10)


# --- readers of a live run folder without metrics.json ----------------------------------------------


def test_readers_of_a_live_run_without_metrics_json(tmp_path):
    from sacred.runs import open_store
    from tests.sacred_runner.tools.helpers import sacred

    store = tmp_path / "runs"
    done = FileStorageObserver(store)
    start(done, str(tmp_path / "src"))
    done.log_metrics(batch(0, 3), {})
    done.completed_event(utcnow(), 1)
    live = FileStorageObserver(store)
    start(live, str(tmp_path / "src"))
    live.heartbeat_event({}, "working\n", utcnow(), None)
    assert not (store / "2" / "metrics.json").exists()

    with open_store(str(store)) as opened:
        record = opened.get("2")
        assert record.status == "RUNNING"
        assert record.metric_names() == [] and record.metrics_error() is None
        assert opened.get("1").metric_names() == ["loss"]
        assert {r.id: r.final_metrics for r in opened.query()} == {"1": {"loss": 0.5}, "2": {}}
    shown = sacred("show", "2", "--store", str(store))
    assert shown.ret == 0, shown.err
    assert "RUNNING" in shown.out and "BROKEN" not in shown.out
    listed = sacred("runs", "--store", str(store))
    assert listed.ret == 0, listed.err
    assert "RUNNING" in listed.out and "BROKEN" not in listed.out
    compared = sacred("compare", "1", "2", "--store", str(store))
    assert compared.ret == 0, compared.err
    assert "BROKEN" not in compared.out

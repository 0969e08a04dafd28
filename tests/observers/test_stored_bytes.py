"""The exact bytes FileStorage stores for metrics and run.json (0.8.7 layout), end to end.

These pin the format before any encoder change: ``metrics.json`` is
``json.dumps(metrics, indent=2, sort_keys=True)`` while its compact form is
under 1 MiB and compact (``separators=(",", ":")``) above; timestamps are
``datetime.fromtimestamp(t, UTC)`` naive ``isoformat()`` strings of the float
time each point was logged at.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import types

import pytest

from sacred import Experiment
from sacred.observers import FileStorageObserver

np = pytest.importorskip("numpy")

# timestamps with the edge cases of microsecond rounding: a whole second (no
# fraction in isoformat), a fraction that rounds up into the next second, halves
STAMPS = [
    1_765_000_000.0,
    1_765_000_000.9999996,
    1_765_000_001.0000004,
    1_765_000_001.5,
    1_765_000_002.0000005,
    1_765_000_002.0000015,
    1_765_000_002.123456789,
    1_765_003_599.999999,
    1_765_003_600.25,
    1_000_000_000.000001,
]
VALUES = [
    0.5, -0.0, math.nan, math.inf, -math.inf, 10**30, True, np.float32(0.1), np.int64(7), 1e16,
]
# what the run stores for each value (bools become ints, numpy scalars python numbers)
STORED_VALUES = [0.5, -0.0, math.nan, math.inf, -math.inf, 10**30, 1, float(np.float32(0.1)), 7, 1e16]


def iso(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).replace(tzinfo=None).isoformat()


def fake_clock(stamps: list[float]) -> types.SimpleNamespace:
    """A ``time`` module stand-in whose ``time()`` returns ``stamps`` in turn (then the last)."""
    pending = list(stamps)

    def now() -> float:
        return pending.pop(0) if len(pending) > 1 else pending[0]

    return types.SimpleNamespace(time=now)


def run_logging(tmp_path, monkeypatch, names, values, stamps, beat=None):
    monkeypatch.setattr("sacred.metrics_logger.time", fake_clock(stamps))
    ex = Experiment("bytes")
    store = tmp_path / "runs"
    ex.observers.append(FileStorageObserver(store))

    @ex.main
    def main(_run):
        for i, value in enumerate(values):
            _run.log_scalar(names[i % len(names)], value)

    options = {"--capture": "no"}
    if beat is not None:
        options["--beat_interval"] = beat
    ex.run(options=options)
    return store / "1"


def expected_metrics(names, values, stamps) -> dict:
    expected: dict = {}
    for i, value in enumerate(values):
        series = expected.setdefault(names[i % len(names)], {"steps": [], "timestamps": [], "values": []})
        series["steps"].append(len(series["steps"]))
        series["values"].append(value)
        series["timestamps"].append(iso(stamps[min(i, len(stamps) - 1)]))
    return expected


def test_small_metrics_json_is_indented_like_087_with_exact_numbers_and_times(tmp_path, monkeypatch):
    names = ["loss", "acc"]
    run_dir = run_logging(tmp_path, monkeypatch, names, VALUES, STAMPS)
    expected = json.dumps(expected_metrics(names, STORED_VALUES, STAMPS), indent=2, sort_keys=True)
    assert (run_dir / "metrics.json").read_bytes() == expected.encode()
    # the literal text of the edge cases, independent of how the expectation was built
    text = (run_dir / "metrics.json").read_text()
    for literal in ('"2025-12-06T05:46:40"', '"2025-12-06T05:46:41"', "NaN", "-Infinity",
                    "1000000000000000000000000000000", "1e+16", "-0.0", '"2001-09-09T01:46:40.000001"'):
        assert literal in text


def test_large_metrics_json_is_compact(tmp_path, monkeypatch):
    count = 30_000  # over 1 MiB compact
    stamps = [1_765_000_000.0 + i * 0.000137 for i in range(count)]
    values = [i * 0.25 if i % 5 else i for i in range(count)]
    names = ["a", "b", "c"]
    run_dir = run_logging(tmp_path, monkeypatch, names, values, stamps, beat=0.01)
    expected = json.dumps(expected_metrics(names, values, stamps), sort_keys=True, separators=(",", ":"))
    assert len(expected) > 1 << 20
    assert (run_dir / "metrics.json").read_bytes() == expected.encode()


def test_metrics_given_as_datetimes_by_other_senders_are_stored_the_same(tmp_path):
    """``log_metrics`` called with the documented datetime form (forwarders, tests, plugins)."""
    obs = FileStorageObserver(tmp_path / "runs")
    from layout_helpers import start

    start(obs, str(tmp_path / "src"))
    times = [dt.datetime(2025, 1, 2, 3, 4, 5, 678), dt.datetime(2025, 1, 2, 3, 4, 6)]
    obs.log_metrics({"x": {"name": "x", "steps": [3, 4], "values": [1.5, np.float64(2.0)],
                           "timestamps": times}}, {})
    obs.log_metrics({"w": {"name": "w", "steps": [0], "values": ["text, with comma"],
                           "timestamps": times[:1]}}, {})
    obs.completed_event(dt.datetime(2025, 1, 2, 3, 5), None)
    expected = {
        "w": {"steps": [0], "timestamps": ["2025-01-02T03:04:05.000678"], "values": ["text, with comma"]},
        "x": {"steps": [3, 4], "timestamps": ["2025-01-02T03:04:05.000678", "2025-01-02T03:04:06"],
              "values": [1.5, 2.0]},
    }
    data = (tmp_path / "runs" / "1" / "metrics.json").read_bytes()
    assert data == json.dumps(expected, indent=2, sort_keys=True).encode()


def test_run_json_bytes_are_sorted_and_indented_like_087(tmp_path):
    obs = FileStorageObserver(tmp_path / "runs")
    from layout_helpers import start

    start(obs, str(tmp_path / "src"))
    obs.heartbeat_event({"k": [1, 2]}, "out\n", dt.datetime(2025, 1, 2, 3, 4, 5, 6), 0.5)
    obs.completed_event(dt.datetime(2025, 1, 2, 3, 4, 7), {"acc": math.inf})
    run_dir = tmp_path / "runs" / "1"
    entry = json.loads((run_dir / "run.json").read_text())
    assert entry["heartbeat"] == "2025-01-02T03:04:05.000006"
    assert entry["stop_time"] == "2025-01-02T03:04:07"
    assert (run_dir / "run.json").read_bytes() == json.dumps(entry, indent=2, sort_keys=True).encode()
    assert (run_dir / "info.json").read_bytes() == b'{\n  "k": [\n    1,\n    2\n  ]\n}'
    assert not any(name.startswith(".") for name in os.listdir(run_dir))


def test_heartbeats_update_run_json_at_most_once_a_gap_and_the_end_writes_the_last(tmp_path, monkeypatch):
    from layout_helpers import start

    from sacred.observers.run_files import _layout

    clock = [1000.0]
    monkeypatch.setattr(_layout.time, "monotonic", lambda: clock[0])
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, str(tmp_path / "src"))
    run_json = tmp_path / "runs" / "1" / "run.json"
    beat = [dt.datetime(2025, 1, 1, 0, 0, s) for s in range(4)]
    obs.heartbeat_event({}, "", beat[0], 1)  # right after the start: left to the next write
    assert json.loads(run_json.read_text())["heartbeat"] is None
    clock[0] += _layout.RUN_JSON_BEAT_GAP
    obs.heartbeat_event({}, "", beat[1], 2)  # a long run's beat: written
    stored = json.loads(run_json.read_text())
    assert stored["heartbeat"] == beat[1].isoformat() and stored["result"] == 2
    obs.heartbeat_event({}, "", beat[2], 3)
    assert json.loads(run_json.read_text())["heartbeat"] == beat[1].isoformat()
    clock[0] += 10 * _layout.RUN_JSON_BEAT_GAP
    obs.heartbeat_event({}, "", beat[3], 4)
    assert json.loads(run_json.read_text())["heartbeat"] == beat[3].isoformat()
    obs.heartbeat_event({}, "", beat[0].replace(minute=5), 5)  # the final beat
    obs.completed_event(beat[0].replace(minute=6), 5)
    stored = json.loads(run_json.read_text())
    assert stored["heartbeat"] == "2025-01-01T00:05:00" and stored["status"] == "COMPLETED"


KILLED_RUN = """
import sys, time
sys.path.insert(0, {repo!r})
from sacred import Experiment
from sacred.observers import FileStorageObserver

ex = Experiment("killed")
ex.observers.append(FileStorageObserver(sys.argv[1]))


@ex.main
def main(_run):
    print("started", flush=True)
    i = 0
    while True:
        _run.log_scalar("loss", i * 0.5)
        _run.info["i"] = i
        if i % 1000 == 0:
            print("line", i)
        i += 1


ex.run(options={{"--beat_interval": 0.02}})
"""


def _wait_for_first_delivery(run_dir, deadline_seconds: float) -> float:
    """Seconds until ``run_dir`` holds delivered metric points (metrics.json or the journal).

    Polls every 10 ms, for at most ``deadline_seconds`` (then fails): points
    are delivered within about 1 s on an idle machine, later under load.
    """
    import time

    start = time.monotonic()
    while time.monotonic() - start < deadline_seconds:
        if (run_dir / "metrics.json").exists() or (run_dir / ".metrics.journal").exists():
            return time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError(f"{run_dir} got no metric points within {deadline_seconds} s")


def test_a_run_killed_at_random_moments_leaves_valid_files_and_loses_no_delivered_point(tmp_path):
    import random
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from sacred.observers.run_files._layout import read_metrics

    repo = str(Path(__file__).resolve().parents[2])
    script = tmp_path / "killed.py"
    script.write_text(KILLED_RUN.format(repo=repo))
    runs = tmp_path / "runs"
    rng = random.Random(18)
    waits = []
    for attempt in range(6):
        proc = subprocess.Popen([sys.executable, str(script), str(runs)], stdout=subprocess.PIPE)
        try:
            while proc.stdout.readline().strip() not in (b"started", b""):
                pass  # the run's log lines come first (fd capture shows them on stdout)
            if attempt < 5:
                waits.append(rng.uniform(0.05, 0.6))
                time.sleep(waits[-1])
            else:  # killed right after its first delivery, however slow the machine
                waits.append(_wait_for_first_delivery(runs / "6", deadline_seconds=60))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()
    run_dirs = sorted((d for d in runs.iterdir() if d.name.isdigit()), key=lambda d: int(d.name))
    assert len(run_dirs) == 6
    for run_dir, waited in zip(run_dirs, waits, strict=True):
        for name in ("run.json", "config.json"):
            json.loads((run_dir / name).read_text())  # old or new content, never torn
        if (run_dir / "info.json").exists():
            json.loads((run_dir / "info.json").read_text())
        # metrics.json comes with the first delivered points: a run killed before has none
        metrics_json = run_dir / "metrics.json"
        stored = json.loads(metrics_json.read_text()) if metrics_json.exists() else {}
        steps = stored.get("loss", {}).get("steps", [])
        assert steps == list(range(len(steps)))
        journaled = read_metrics(FileStorageObserver(runs).backend, str(run_dir)).get("loss", {})
        steps = journaled.get("steps", [])  # none when killed before the first point was delivered
        assert steps == list(range(len(steps)))  # every delivered point, in order
        if run_dir.name == "6":  # killed after its first delivery: those points are kept
            assert steps, f"run 6 delivered points within {waited:.2f} s, but none were read back"
        assert journaled.get("values", []) == [s * 0.5 for s in steps]


def test_metrics_assigned_back_from_the_store_are_written_unchanged(tmp_path):
    """sacred_runner's salvage finishes a dead run by assigning the metrics it read back."""
    from layout_helpers import start

    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, str(tmp_path / "src"))
    stored = {"loss": {"steps": [0, 1], "timestamps": ["2025-01-02T03:04:05.000006", "2025-01-02T03:04:06"],
                       "values": [0.5, math.nan]}}
    obs.metrics = stored
    assert json.dumps(obs.metrics, sort_keys=True) == json.dumps(stored, sort_keys=True)
    obs._metrics_dirty = True
    obs.completed_event(dt.datetime(2025, 1, 2, 3, 5), None)
    data = (tmp_path / "runs" / "1" / "metrics.json").read_bytes()
    assert data == json.dumps(stored, indent=2, sort_keys=True).encode()

"""The per-run bench's device I/O counts and how the FileStorage target reports them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def bench_modules(monkeypatch):
    """bench/ and bench/scenarios/ importable as the scripts import each other."""
    monkeypatch.syspath_prepend(str(BENCH / "scenarios"))
    monkeypatch.syspath_prepend(str(BENCH))
    yield
    for name in ("_bench", "aggregate", "entries", "targets"):
        sys.modules.pop(name, None)


def _outcome(samples: dict[str, dict[str, float]]) -> dict:
    return {"metrics": {name: {"value": value, "unit": "ms/run", "better": "lower"}
                        for name, value in samples.items()}, "checks": {}}


def test_the_filestorage_target_names_the_flushes_and_writes_of_ours_and_the_floor(bench_modules):
    from aggregate import EntryResults
    from targets import evaluate

    entry = EntryResults()
    ours = {"file_storage": 3.5, "floor_file_storage": 3.4, "file_storage_flushes": 5.0,
            "file_storage_writes": 14.8, "floor_flushes": 5.0, "floor_writes": 11.5}
    entry.add("ours", 0, _outcome(ours))
    entry.add("peer", 0, _outcome({"file_storage": 10.5, "floor_file_storage": 4.8,
                                   "file_storage_flushes": 0.0, "file_storage_writes": 2.0,
                                   "floor_flushes": 5.0, "floor_writes": 11.3}))
    target = next(t for t in evaluate({"per_run": entry}, []) if t.name == "per-run, FileStorage")
    assert target.status() == "MISSED"
    assert "floor 3.4 = 0.32x" in target.measured
    assert target.measured.endswith("in 5 flushes and 14.8 writes, the floor's in 5 and 11.5")


def test_without_device_counts_the_target_says_only_the_times(bench_modules):
    from aggregate import EntryResults
    from targets import evaluate

    entry = EntryResults()
    entry.add("ours", 0, _outcome({"file_storage": 2.0, "floor_file_storage": 1.0}))
    entry.add("peer", 0, _outcome({"file_storage": 10.0, "floor_file_storage": 1.0}))
    target = next(t for t in evaluate({"per_run": entry}, []) if t.name == "per-run, FileStorage")
    assert target.status() == "MET"
    assert target.measured == "0.2x (2 vs 10 ms/run; floor 1 = 0.1x)"


def test_block_device_io_counts_what_an_fsync_sends_to_the_disk(bench_modules, tmp_path):
    from _bench import BlockDeviceIO, Result, block_device_counts

    if block_device_counts(str(tmp_path)) is None:
        pytest.skip("no /sys/dev/block stat for this file system (not Linux, or tmpfs)")
    with BlockDeviceIO(str(tmp_path)) as io:
        for k in range(3):
            with open(tmp_path / f"f{k}", "wb") as f:
                f.write(b"x" * 4096)
                f.flush()
                os.fsync(f.fileno())
    assert io.counts is not None
    # other processes share the device, so only a lower bound holds
    assert io.counts["writes"] >= 3
    device = os.stat(tmp_path).st_dev
    cache = Path(f"/sys/dev/block/{os.major(device)}:{os.minor(device)}/queue/write_cache")
    if cache.exists() and cache.read_text().strip() == "write back":
        assert io.counts["flushes"] >= 3  # each fsync empties the device's write cache
    result = Result()
    io.record(result, "probe", runs=3)
    assert set(result.metrics) == {"probe_writes", "probe_flushes"}
    assert result.metrics["probe_writes"]["value"] == io.counts["writes"] / 3


def test_block_device_io_records_nothing_where_the_device_is_unknown(bench_modules):
    from _bench import BlockDeviceIO, Result, block_device_counts

    if not os.path.isdir("/dev/shm") or block_device_counts("/dev/shm") is not None:
        pytest.skip("needs a tmpfs /dev/shm")
    with BlockDeviceIO("/dev/shm") as io:
        pass
    result = Result()
    io.record(result, "probe", runs=1)
    assert io.counts is None and result.metrics == {}

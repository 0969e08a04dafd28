"""The speed and completeness targets, evaluated on aggregated results.

A target is met, missed, or not measured (its scenario was not selected or
failed). Ratios are always ours / peer (sacred 0.8.7) in the same session.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from aggregate import EntryResults
from entries import Entry


@dataclass
class TargetOutcome:
    """One target: what it asks, what was measured and whether it is met (None: not measured)."""

    name: str
    goal: str
    measured: str
    met: bool | None
    reference: bool = False

    def status(self) -> str:
        """MET, MISSED or n/a; INFO for figures shown only for reference (the peer's)."""
        if self.reference:
            return "INFO"
        return {True: "MET", False: "MISSED", None: "n/a"}[self.met]


def _ratio(results, key: str, metric: str) -> float | None:
    entry = results.get(key)
    series = entry.metrics.get(metric) if entry else None
    return series.ratio() if series else None


def _median(results, key: str, metric: str, label: str = "ours") -> float | None:
    entry = results.get(key)
    series = entry.metrics.get(metric) if entry else None
    return series.median(label) if series else None


def _ratio_target(results, name, key, metric, bound, at_most=True,
                  floor: str | None = None) -> TargetOutcome:
    """``metric`` ours/peer against ``bound``; with ``floor``, the absolute figures beside it."""
    ratio = _ratio(results, key, metric)
    goal = f"{'<=' if at_most else '>='} {bound}x peer"
    if ratio is None:
        return TargetOutcome(name, goal, "not measured", None)
    met = ratio <= bound if at_most else ratio >= bound
    text = f"{ratio:.3g}x"
    if floor is not None:
        series = results[key].metrics[metric]
        ours, peer, bare = series.median("ours"), series.median("peer"), _median(results, key, floor)
        if ours is not None and peer is not None and bare is not None:
            # the floor's own ratio: above the bound, no code of ours could meet it
            text += f" ({_fmt(ours)} vs {_fmt(peer)} {series.unit}; floor {_fmt(bare)} = {bare / peer:.2g}x)"
    return TargetOutcome(name, goal, text, met)


def _file_storage_per_run(results) -> TargetOutcome:
    """Per run with FileStorage, with the device writes and flushes a run of ours and the floor made."""
    outcome = _ratio_target(results, "per-run, FileStorage", "per_run", "file_storage", 0.3,
                            floor="floor_file_storage")
    io = {who: (_median(results, "per_run", f"{who}_flushes"), _median(results, "per_run", f"{who}_writes"))
          for who in ("file_storage", "floor")}
    if outcome.met is not None and None not in io["file_storage"] + io["floor"]:
        (ours_flushes, ours_writes), (floor_flushes, floor_writes) = io["file_storage"], io["floor"]
        outcome.measured += (f"; a run reached the disk in {ours_flushes:.3g} flushes and {ours_writes:.3g}"
                             f" writes, the floor's in {floor_flushes:.3g} and {floor_writes:.3g}")
    return outcome


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _absolute_target(results, name, key, metric, bound, unit, scale=1.0) -> TargetOutcome:
    """Our own median of ``metric`` (times ``scale``) at most ``bound`` ``unit``."""
    goal = f"<= {bound:g} {unit} (ours)"
    ours = _median(results, key, metric)
    if ours is None:
        return TargetOutcome(name, goal, "not measured", None)
    peer = _median(results, key, metric, "peer")
    peer_text = f"; peer {_fmt(peer * scale)} {unit}" if peer is not None else ""
    return TargetOutcome(name, goal, f"{_fmt(ours * scale)} {unit}{peer_text}",
                         ours * scale <= bound)


def _within_floor(results) -> TargetOutcome:
    goal = "import <= 1.5x python -c pass (ours)"
    entry = results.get("cold_start")
    if not entry or "import" not in entry.metrics or "pass" not in entry.metrics:
        return TargetOutcome("import vs interpreter floor", goal, "not measured", None)
    pairs = zip(entry.metrics["import"].samples.get("ours", []),
                entry.metrics["pass"].samples.get("ours", []), strict=False)
    ratios = [a / b for a, b in pairs if a is not None and b]
    if not ratios:
        return TargetOutcome("import vs interpreter floor", goal, "not measured", None)
    value = statistics.median(ratios)
    floor = entry.metrics["pass"].median("ours")
    return TargetOutcome("import vs interpreter floor", goal,
                         f"{value:.3g}x (floor {_fmt(floor * 1000)} ms)", value <= 1.5)


def _exponent(results, entries: list[Entry], prefix: str, metric: str, label: str):
    points = []
    for entry in entries:
        if entry.script == prefix and entry.key in results:
            series = results[entry.key].metrics.get(metric)
            value = series.median(label) if series else None
            if value:
                points.append((entry.size, value))
    if len(points) < 2:
        return None
    points.sort()
    (n0, t0), (n1, t1) = points[0], points[-1]
    return math.log(t1 / t0) / math.log(n1 / n0)


def _linear(results, entries) -> TargetOutcome:
    name = "metrics time-to-disk linear in points"
    goal = "growth exponent <= 1.15 (1 = linear)"
    ours = _exponent(results, entries, "metrics.py", "time_to_disk", "ours")
    peer = _exponent(results, entries, "metrics.py", "time_to_disk", "peer")
    if ours is None:
        return TargetOutcome(name, goal, "not measured (needs the scaling scenario)", None)
    peer_text = f", peer {peer:.2f}" if peer is not None else ""
    return TargetOutcome(name, goal, f"ours {ours:.2f}{peer_text}", ours <= 1.15)


def _heartbeat(results, entries) -> TargetOutcome:
    name = "heartbeat overhead at every size"
    goal = "<= 5% over the unobserved run (1.05x)"
    measured = []
    for entry in entries:
        if entry.script == "heartbeat.py" and entry.key in results:
            series = results[entry.key].metrics.get("overhead")
            ours = series.median("ours") if series else None
            peer = series.median("peer") if series else None
            if ours is not None:
                measured.append((entry.size, ours, peer))
    if not measured:
        return TargetOutcome(name, goal, "not measured", None)
    measured.sort()
    text = ", ".join(
        f"{size} steps: {ours:.1f}%" + (f" (peer {peer:.0f}%)" if peer is not None else "")
        for size, ours, peer in measured
    )
    return TargetOutcome(name, goal, text, all(ours <= 5 for _, ours, _ in measured))


def _flat(results, key: str) -> TargetOutcome:
    name = f"{key}: flat ms per run"
    goal = "last fifth <= 1.1x first fifth"
    entry = results.get(key)
    series = entry.metrics.get("growth") if entry else None
    ours = series.median("ours") if series else None
    if ours is None:
        return TargetOutcome(name, goal, "not measured", None)
    peer = series.median("peer")
    first = entry.metrics["first_fifth"].median("ours")
    last = entry.metrics["last_fifth"].median("ours")
    peer_text = f"; peer {peer:.2f}x" if peer is not None else ""
    floor = entry.metrics.get("floor_growth")
    bare = floor.median("ours") if floor else None
    floor_text = f"; bare floor, interleaved {bare:.2f}x" if bare is not None else ""
    return TargetOutcome(name, goal, f"{first:.1f} -> {last:.1f} ms ({ours:.2f}x){peer_text}{floor_text}",
                         ours <= 1.1)


def _nothing_lost(results) -> list[TargetOutcome]:
    outcomes = []
    for label in ("ours", "peer"):
        measured = [r for r in results.values() if r.checks or r.errors.get(label)]
        if not measured:
            continue
        failing = [key for key, r in results.items() if not r.complete(label)]
        lost = sum(r.lost(label) for r in results.values())
        text = "all checks passed" if not failing else f"failing: {', '.join(failing)}; {lost} items lost"
        outcomes.append(TargetOutcome(f"nothing lost ({label})",
                                      "0 lines/points/runs lost, no observer errors",
                                      text, not failing, reference=label == "peer"))
    return outcomes


def evaluate(results: dict[str, EntryResults], entries: list[Entry]) -> list[TargetOutcome]:
    """Every target, in the order the issue lists them."""
    outcomes = [
        _ratio_target(results, "import sacred", "cold_start", "import", 0.12, floor="pass"),
        _within_floor(results),
        _ratio_target(results, "hello world", "cold_start", "hello", 0.3, floor="pass"),
        _absolute_target(results, "hello world after import sacred", "cold_start",
                         "import_to_exit", 40, "ms", scale=1000),
        _absolute_target(results, "first run in a process", "per_run", "first_run", 8, "ms"),
        _ratio_target(results, "per-run, no observer", "per_run", "no_observer", 0.25),
        _file_storage_per_run(results),
        _ratio_target(results, "log_scalar calls/s", "metrics", "calls_per_s", 5, at_most=False),
        _ratio_target(results, "metrics time to disk", "metrics", "time_to_disk", 0.2,
                      floor="floor_write"),
        _ratio_target(results, "metrics bytes stored", "metrics", "bytes_stored", 1.0),
        _linear(results, entries),
        _heartbeat(results, entries),
        _flat(results, "many_fs"),
        _flat(results, "many_tinydb"),
        _flat(results, "many_sql"),
        _ratio_target(results, "list 500 FileStorage runs", "many_fs", "list_all", 0.5,
                      floor="floor_list"),
        _ratio_target(results, "config build (2,000 entries)", "config", "build", 0.15),
        _ratio_target(results, "run storing 10 MB strings (masking)", "masking", "run", 2.0),
    ]
    return outcomes + _nothing_lost(results)

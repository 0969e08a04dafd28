"""The runner's observer of every run: forwards each run event to the plugin hooks.

:class:`HookRelayObserver` is appended to a run's observers (with the
lowest priority, so it sees the final run id). It records what the
reporter and the summary need in a :class:`RunOutcome` and calls
``sacred_run_event`` for every event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sacred.observers.forwarding import ForwardingObserver
from sacred.run_events import RunEvent
from sacred_runner.items import RunItem, RunOutcome

__all__ = ["HookRelayObserver", "utc_now", "describe_store", "latest_metric_values"]

LOWEST_PRIORITY = -(2**31)


def utc_now() -> dt.datetime:
    """Naive UTC now, as the core stamps events."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def latest_metric_values(metrics_by_name: dict | None) -> dict[str, Any]:
    """``{metric name: its newest value}`` from a ``log_metrics`` event's ``metrics_by_name``."""
    return {name: series["values"][-1] for name, series in (metrics_by_name or {}).items() if series.get("values")}


def _short_repr(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - display only
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _update_metric_stats(stats: dict[str, dict[str, Any]], metrics_by_name: dict | None) -> None:
    """Fold the new points of ``metrics_by_name`` into ``{name: {"last", "min", "max"}}`` (numbers only)."""
    for name, series in (metrics_by_name or {}).items():
        numbers = [v for v in series.get("values", []) if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if not numbers:
            continue
        entry = stats.get(name)
        if entry is None:
            stats[name] = {"last": numbers[-1], "min": min(numbers), "max": max(numbers)}
        else:
            entry.update(last=numbers[-1], min=min(entry["min"], *numbers), max=max(entry["max"], *numbers))


class HookRelayObserver(ForwardingObserver):
    """Forward every event of one run to ``hook.sacred_run_event`` and track its outcome.

    The run's duration leaves out the time observers took to record its
    start (an unreachable database is not part of the run): this observer
    comes last and notes how late the start event reached it.
    """

    priority = LOWEST_PRIORITY

    def __init__(self, item: RunItem, hook: Any) -> None:
        super().__init__(priority=LOWEST_PRIORITY)
        self.item = item
        self.hook = hook
        self.outcome = RunOutcome(status="PENDING")
        self.started = False
        self.finished = False
        self._start_delay = 0.0

    def forward(self, event: RunEvent) -> Any:
        """Update the outcome from ``event``, then call ``sacred_run_event``."""
        track = getattr(self, "_track_" + event.name, None)
        if track is not None:
            track(**event.kwargs)
        self.hook.sacred_run_event(item=self.item, event=event.name, payload=event.kwargs)
        return None

    def _start(self, status: str, time: Any, _id: Any) -> None:
        self.started = True
        self.outcome.status = status
        self.outcome.run_id = _id
        self.outcome.start_time = time
        if isinstance(time, dt.datetime):
            self._start_delay = max(0.0, (utc_now() - time).total_seconds())

    def _track_queued_event(self, queue_time: Any, _id: Any, **_: Any) -> None:
        self._start("QUEUED", queue_time, _id)
        self.finished = True

    def _track_started_event(self, start_time: Any, _id: Any, **_: Any) -> None:
        self._start("RUNNING", start_time, _id)

    def _track_log_metrics(self, metrics_by_name: dict, **_: Any) -> None:
        self.outcome.metrics.update(latest_metric_values(metrics_by_name))
        _update_metric_stats(self.outcome.metric_stats, metrics_by_name)

    def _stop(self, status: str, time: Any) -> None:
        self.finished = True
        self.outcome.status = status
        self.outcome.stop_time = time
        if isinstance(self.outcome.start_time, dt.datetime) and isinstance(time, dt.datetime):
            elapsed = (time - self.outcome.start_time).total_seconds() - self._start_delay
            self.outcome.duration = max(0.0, elapsed)

    def _track_completed_event(self, stop_time: Any, result: Any) -> None:
        self._stop("COMPLETED", stop_time)
        self.outcome.result = None if result is None else _short_repr(result)
        self.outcome.result_value = result

    def _track_interrupted_event(self, interrupt_time: Any, status: str) -> None:
        self._stop(status, interrupt_time)

    def _track_failed_event(self, fail_time: Any, fail_trace: Any) -> None:
        self._stop("FAILED", fail_time)
        self.outcome.fail_trace = list(fail_trace or [])


def describe_store(observer: Any, run_id: Any) -> str:
    """Where ``observer`` put the run ``run_id``, for the summary."""
    import os

    directory = getattr(observer, "dir", None)
    if isinstance(directory, (str, os.PathLike)) and directory:
        path = os.path.abspath(directory)
        try:
            shown = os.path.relpath(path)
        except ValueError:
            shown = path
        return shown if not shown.startswith("../../") else path
    runs = getattr(observer, "runs", None)
    full_name = getattr(runs, "full_name", None)
    if isinstance(full_name, str):
        return f"mongodb:{full_name}/{run_id}"
    return f"{type(observer).__name__}:{run_id}"

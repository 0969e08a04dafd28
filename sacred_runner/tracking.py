"""The RunObserver adapter: forwards each run event to the plugin hooks.

:class:`HookRelayObserver` is appended to a run's observers (with the
lowest priority, so it sees the final run id). It records what the
reporter and the summary need in a :class:`RunOutcome` and calls
``sacred_run_event`` for every event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sacred.observers.base import RunObserver
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


class HookRelayObserver(RunObserver):
    """Forward every event of one run to ``hook.sacred_run_event`` and track its outcome."""

    priority = LOWEST_PRIORITY

    def __init__(self, item: RunItem, hook: Any) -> None:
        self.item = item
        self.hook = hook
        self.outcome = RunOutcome(status="PENDING")
        self.started = False
        self.finished = False

    def _emit(self, event: str, payload: dict) -> None:
        self.hook.sacred_run_event(item=self.item, event=event, payload=payload)

    def _start(self, status: str, time: Any, _id: Any) -> None:
        self.started = True
        self.outcome.status = status
        self.outcome.run_id = _id
        self.outcome.start_time = time

    def queued_event(self, ex_info, command, host_info, queue_time, config, meta_info, _id):  # noqa: D102
        self._start("QUEUED", queue_time, _id)
        self.finished = True
        self._emit("queued_event", dict(ex_info=ex_info, command=command, host_info=host_info,
                                        queue_time=queue_time, config=config, meta_info=meta_info, _id=_id))

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):  # noqa: D102
        self._start("RUNNING", start_time, _id)
        self._emit("started_event", dict(ex_info=ex_info, command=command, host_info=host_info,
                                         start_time=start_time, config=config, meta_info=meta_info, _id=_id))

    def heartbeat_event(self, info, captured_out, beat_time, result):  # noqa: D102
        self._emit("heartbeat_event", dict(info=info, captured_out=captured_out,
                                           beat_time=beat_time, result=result))

    def log_metrics(self, metrics_by_name, info):  # noqa: D102
        self.outcome.metrics.update(latest_metric_values(metrics_by_name))
        _update_metric_stats(self.outcome.metric_stats, metrics_by_name)
        self._emit("log_metrics", dict(metrics_by_name=metrics_by_name, info=info))

    def _stop(self, status: str, time: Any) -> None:
        self.finished = True
        self.outcome.status = status
        self.outcome.stop_time = time
        if self.outcome.start_time is not None and time is not None:
            self.outcome.duration = max(0.0, (time - self.outcome.start_time).total_seconds())

    def completed_event(self, stop_time, result):  # noqa: D102
        self._stop("COMPLETED", stop_time)
        self.outcome.result = None if result is None else _short_repr(result)
        self.outcome.result_value = result
        self._emit("completed_event", dict(stop_time=stop_time, result=result))

    def interrupted_event(self, interrupt_time, status):  # noqa: D102
        self._stop(status, interrupt_time)
        self._emit("interrupted_event", dict(interrupt_time=interrupt_time, status=status))

    def failed_event(self, fail_time, fail_trace):  # noqa: D102
        self._stop("FAILED", fail_time)
        self.outcome.fail_trace = list(fail_trace or [])
        self._emit("failed_event", dict(fail_time=fail_time, fail_trace=fail_trace))

    def resource_event(self, filename):  # noqa: D102
        self._emit("resource_event", dict(filename=filename))

    def artifact_event(self, name, filename, metadata=None, content_type=None):  # noqa: D102
        self._emit("artifact_event", dict(name=name, filename=filename, metadata=metadata,
                                          content_type=content_type))


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

"""The one table a sweep ends with: a row per point, best first when an objective is named."""

from __future__ import annotations

from typing import Any

from sacred_runner.sweep.objective import Objective

__all__ = ["sweep_table", "format_value"]

MAX_METRIC_COLUMNS = 4


def format_value(value: Any) -> str:
    """A compact cell: ``0.001``, ``32``, ``'adam'``, ``-``."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return ",".join(format_value(v) for v in value)
    return str(value)


def sweep_table(results: list[tuple[Any, Any]], objective: Objective | None) -> tuple[list[str], list[list[str]]] | None:
    """``(headers, rows)`` for the sweep points among ``results`` (None when there are none).

    Columns: the experiment (when several), the point's index, each swept
    key, status, duration, the objective (or the final value of up to four
    metrics), run id. Rows are best first with an objective, else in point order.
    """
    points = [(item, outcome) for item, outcome in results if item.meta_info.get("sweep")]
    if not points:
        return None
    keys: list[str] = []
    for item, _ in points:
        for key in item.meta_info["sweep"]["point"]:
            if key not in keys:
                keys.append(key)
    experiments = {f"{item.relpath}::{item.node_name}::{item.command}" for item, _ in points}
    if objective is not None:
        value_headers = [objective.label]
        values = {id(outcome): objective.value(outcome) for _, outcome in points}
        ordered = sorted(points, key=lambda pair: (objective.sort_key(values[id(pair[1])]),
                                                     pair[0].meta_info["sweep"]["index"]))
    else:
        value_headers = []
        for _, outcome in points:
            for name in outcome.metrics:
                if name not in value_headers and len(value_headers) < MAX_METRIC_COLUMNS:
                    value_headers.append(name)
        if any(outcome.result is not None for _, outcome in points):
            value_headers = ["result", *value_headers]
        ordered = sorted(points, key=lambda pair: pair[0].meta_info["sweep"]["index"])
    shown = {name: (f"metric {name}" if name in keys and objective is None else name) for name in value_headers}
    headers = (["experiment"] if len(experiments) > 1 else []) + ["#", *keys, "status", "duration",
                                                                  *(shown[h] for h in value_headers), "run id"]
    rows = []
    for item, outcome in ordered:
        sweep = item.meta_info["sweep"]
        row = [f"{item.relpath}::{item.node_name}::{item.command}"] if len(experiments) > 1 else []
        row.append(str(sweep["index"]))
        row.extend(format_value(sweep["point"].get(key)) for key in keys)
        row.extend([outcome.status, f"{outcome.duration:.2f}s"])
        if objective is not None:
            row.append(format_value(objective.value(outcome)))
        else:
            for name in value_headers:
                row.append(outcome.result if name == "result" and outcome.result is not None
                           else format_value(outcome.metrics.get(name)) if name != "result" else "-")
        row.append(str(outcome.run_id) if outcome.run_id is not None else "-")
        rows.append(row)
    return headers, rows

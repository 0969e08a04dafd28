"""``sacred compare ID ID ... | --sweep ID``: config differences side by side, metrics table, curves.

    sacred compare 3 7 12 [--store S] [--all] [--plot METRIC] [--json]
    sacred compare --sweep SWEEP_ID [--plot loss]
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from sacred_runner.color import add_color_option, paint_status, wants_color
from sacred_runner.errors import UsageError
from sacred_runner.tools.common import (
    ToolParser,
    add_store_option,
    dump_json,
    find_run,
    finite_float,
    finite_numbers,
    flatten_config,
    format_duration,
    format_value,
    open_stores,
    parse_args,
    table,
)

SUMMARY = "compare runs (or a sweep): config differences side by side, metrics table, --plot METRIC curves"

PLOT_WIDTH = 64
PLOT_HEIGHT = 14
MARKERS = "*o+x#@%&=~"
MAX_SWEEP_RUNS = 200


def build_parser() -> ToolParser:
    """The ``sacred compare`` options."""
    parser = ToolParser(prog="sacred compare", description=__doc__.split("\n\n")[0])
    add_store_option(parser)
    add_color_option(parser)
    parser.add_argument("run_ids", nargs="*", metavar="ID", help="two or more run ids")
    parser.add_argument("--sweep", help="compare every run of this sweep id")
    parser.add_argument("--all", action="store_true", help="show every config key, not only those that differ")
    parser.add_argument("--plot", metavar="METRIC", action="append", default=[],
                        help="draw METRIC's curves of every run in the terminal (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    return parser


def config_differences(records: list[Any], everything: bool = False) -> list[tuple[str, list[Any]]]:
    """``[(dotted key, [value per run])]`` for the keys whose values differ (or all keys)."""
    flats = [flatten_config(r.config) for r in records]
    keys = sorted({k for flat in flats for k in flat})
    missing = object()
    rows = []
    for key in keys:
        values = [flat.get(key, missing) for flat in flats]
        encoded = {json.dumps(v, sort_keys=True, default=str) if v is not missing else "\0" for v in values}
        if everything or len(encoded) > 1:
            rows.append((key, [None if v is missing else v for v in values]))
    return rows


def metrics_summary(records: list[Any]) -> dict[str, list[dict | None]]:
    """``{metric: [{"final", "min", "max", "points"} | None per run]}``."""
    names: list[str] = []
    for record in records:
        names.extend(n for n in record.metric_names() if n not in names)
    summary: dict[str, list[dict | None]] = {}
    for name in names:
        cells: list[dict | None] = []
        for record in records:
            if name not in record.metric_names():
                cells.append(None)
                continue
            values = finite_numbers(record.metric(name).values)
            cells.append({"final": values[-1], "min": min(values), "max": max(values), "points": len(values)}
                         if values else None)
        summary[name] = cells
    return summary


def plot(series: list[tuple[str, list[float], list[float]]], width: int = PLOT_WIDTH,
         height: int = PLOT_HEIGHT) -> list[str]:
    """Curves ``[(label, steps, values)]`` on one character grid with a y axis and a legend."""
    curves = [[(x, y) for x, y in zip(map(finite_float, xs), map(finite_float, ys), strict=False)
               if x is not None and y is not None] for _, xs, ys in series]
    points = [point for curve in curves for point in curve]
    if not points:
        return ["(no points to plot)"]
    # coordinates are halved first, so spans such as -1e308..1e308 stay finite
    x_lo, x_hi = min(p[0] for p in points), max(p[0] for p in points)
    y_lo, y_hi = min(p[1] for p in points), max(p[1] for p in points)
    x_span, y_span = (x_hi / 2 - x_lo / 2) or 1, (y_hi / 2 - y_lo / 2) or 1
    grid = [[" "] * width for _ in range(height)]
    for index, curve in enumerate(curves):
        marker = MARKERS[index % len(MARKERS)]
        for x, y in curve:
            col = round((x / 2 - x_lo / 2) / x_span * (width - 1))
            row = height - 1 - round((y / 2 - y_lo / 2) / y_span * (height - 1))
            grid[row][col] = marker if grid[row][col] in (" ", marker) else "#"
    labels = [format_value(y_hi, 10), format_value(y_hi / 2 + y_lo / 2, 10), format_value(y_lo, 10)]
    pad = max(len(label) for label in labels)
    lines = []
    for row_index, row in enumerate(grid):
        label = labels[0] if row_index == 0 else labels[2] if row_index == height - 1 else \
            labels[1] if row_index == height // 2 else ""
        lines.append(f"{label:>{pad}} |{''.join(row)}".rstrip())
    lines.append(" " * pad + " +" + "-" * width)
    lines.append(" " * pad + f"  {format_value(x_lo, 12)}" + f"{format_value(x_hi, 12):>{width - 12}}")
    legend = "   ".join(f"{MARKERS[i % len(MARKERS)]} {label}" for i, (label, _, _) in enumerate(series))
    lines.append(" " * pad + "  " + legend + ("   # overlap" if len(series) > 1 else ""))
    return lines


def _records(args: Any, stores: list[Any]) -> list[tuple[Any, Any]]:
    if args.sweep:
        from sacred.runs import FilterError

        found = []
        for store in stores:
            try:
                runs = store.query(sweep=args.sweep, limit=MAX_SWEEP_RUNS)
            except FilterError as error:  # a prefix of several sweeps' ids
                raise UsageError(str(error)) from None
            found.extend((store, store.get(run.id)) for run in runs)
        if not found:
            raise UsageError(f"no runs of sweep {args.sweep!r} in {', '.join(s.description for s in stores)}")
        found.sort(key=lambda pair: (pair[1].sweep or {}).get("index", 0))
        return found
    if len(args.run_ids) < 2:
        raise UsageError("give two or more run ids to compare, or --sweep ID")
    return [find_run(stores, run_id) for run_id in args.run_ids]


def main(argv: list[str], stdout: TextIO) -> int:
    """Run ``sacred compare``."""
    args = parse_args(build_parser(), argv, stdout)
    if args is None:
        return 0
    stores = open_stores(args)
    try:
        pairs = _records(args, stores)
        records = [record for _, record in pairs]
        differences = config_differences(records, args.all)
        metrics = metrics_summary(records)
        for name in args.plot:
            if name not in metrics:
                raise UsageError(f"no run here has a metric {name!r}; metrics: {', '.join(metrics) or 'none'}")
        if args.json:
            data = {"runs": [r.id for r in records],
                    "config": {key: values for key, values in differences},
                    "metrics": metrics,
                    "result": [r.result for r in records],
                    "status": [r.status for r in records]}
            stdout.write(dump_json(data) + "\n")
            return 0
        for line in render(records, differences, metrics, args, wants_color(args.color, stdout)):
            print(line, file=stdout)
    finally:
        for store in stores:
            store.close()
    return 0


def _short(number: float) -> str:
    """A finite number in at most 4 significant digits (a range bound: never cut with an ellipsis,
    which would run into the range's ``..``)."""
    return f"{number:.4g}"


def render(records: list[Any], differences: list, metrics: dict, args: Any, color: bool = False) -> list[str]:
    """The text of ``sacred compare`` (statuses colored with ``color``)."""
    headers = [""] + [f"run {r.id}" for r in records]
    lines = []
    overview = [["experiment"] + [r.experiment or "-" for r in records],
                ["status"] + [r.status or "BROKEN" for r in records],
                ["duration"] + [format_duration(r.duration) for r in records],
                ["result"] + [format_value(r.result) for r in records]]
    def painter(row: int, column: int, text: str) -> str:
        return paint_status(text, text, color) if row == 1 and column > 0 else text

    lines += table(headers, overview, paint=painter if color else None)
    lines.append("")
    if differences:
        lines.append("Config" + ("" if args.all else " (only the keys that differ)"))
        lines += ["  " + line for line in table(["key"] + headers[1:],
                                                 [[key] + [format_value(v) for v in values]
                                                  for key, values in differences])]
    else:
        lines.append("Config: identical")
    if metrics:
        lines.append("")
        lines.append("Metrics (final, min..max)")
        rows = []
        for name, cells in metrics.items():
            rows.append([name] + [f"{format_value(c['final'])} ({_short(c['min'])}..{_short(c['max'])})"
                                  if c else "-" for c in cells])
        lines += ["  " + line for line in table(["metric"] + headers[1:], rows)]
    for name in args.plot:
        lines.append("")
        lines.append(f"{name}")
        series = []
        for record in records:
            if name in record.metric_names():
                metric = record.metric(name)
                series.append((f"run {record.id}", metric.steps, metric.values))
        lines += ["  " + line for line in plot(series)]
    return lines

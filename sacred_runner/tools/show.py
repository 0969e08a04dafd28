"""``sacred show ID``: one run in full: config (modified entries marked), metrics, host, git, sources, output.

    sacred show ID [--store S] [--output] [--json]
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, TextIO

from sacred_runner.color import add_color_option, paint_status, wants_color
from sacred_runner.run_output import MAX_SHOWN_CHARACTERS, printable_line, printable_lines
from sacred_runner.tools.common import (
    ToolParser,
    add_store_option,
    dump_json,
    find_run,
    finite_numbers,
    flatten_config,
    format_duration,
    format_time,
    format_value,
    open_stores,
    parse_args,
    sparkline,
    table,
)

SUMMARY = "show one stored run: config (modified marked), metrics with sparklines, host, git, sources, output"

OUTPUT_TAIL_LINES = 20


def build_parser() -> ToolParser:
    """The ``sacred show`` options."""
    parser = ToolParser(prog="sacred show", description=__doc__.split("\n\n")[0])
    add_store_option(parser)
    add_color_option(parser)
    parser.add_argument("run_id", metavar="ID", help="the run's id (a unique prefix of a long id works)")
    parser.add_argument("--output", action="store_true", help="print the whole captured output (default: "
                                                               f"its last {OUTPUT_TAIL_LINES} lines)")
    parser.add_argument("--raw", action="store_true", help="print the captured output as stored, terminal "
                                                            "escape sequences included (default: dropped, as the "
                                                            "live display drops them)")
    parser.add_argument("--json", action="store_true", help="print the record as JSON")
    return parser


def metric_rows(record: Any) -> list[list[str]]:
    """``name points final min max sparkline`` per metric."""
    rows = []
    for name in record.metric_names():
        try:
            values = finite_numbers(record.metric(name).values)
        except ValueError as error:  # a damaged list in the file: say so, show the other metrics
            rows.append([name, "?", "-", "-", "-", f"unreadable: {error}"])
            continue
        if not values:
            rows.append([name, "0", "-", "-", "-", ""])
            continue
        rows.append([name, str(len(values)), format_value(values[-1]), format_value(min(values)),
                     format_value(max(values)), sparkline(values)])
    return rows


def _metric_json(record: Any, name: str) -> dict:
    """``{"steps": [...], "values": [...]}`` of one metric, or ``{"error": why}`` when it cannot be read."""
    series = record.metric(name)
    try:
        return {"steps": series.steps, "values": series.values}
    except ValueError as error:
        return {"error": str(error)}


def modified_keys(record: Any) -> set[str]:
    """Dotted config keys that were set on the command line (or below such a key)."""
    return set(record.config_modifications.get("updated") or [])


def _is_modified(key: str, modified: set[str]) -> bool:
    return any(key == m or key.startswith(m + ".") for m in modified)


def render(record: Any, store: Any, full_output: bool, color: bool = False, raw: bool = False) -> list[str]:
    """The text of ``sacred show`` (the status colored with ``color``).

    Whatever the run stored is printed without control characters and escape
    sequences (the captured output too unless ``raw``), and the captured output's
    lines are cut at :data:`MAX_SHOWN_CHARACTERS` unless ``full_output``.
    """
    status = printable_line(record.status or "BROKEN")
    head = printable_line(f"Run {record.id}  {record.experiment or '?'}  ")
    lines = [head + paint_status(status, status, color) + f"  ({printable_line(store.description)})"]
    body = _body(record)
    lines += [printable_line(line) for line in body]
    lines += _output_lines(record, full_output, raw)
    return lines


def _output_lines(record: Any, full_output: bool, raw: bool) -> list[str]:
    """The Output section: the last lines (or all with ``full_output``), cleaned unless ``raw``."""
    output = record.captured_out()
    if not output:
        return []
    stored = output.rstrip("\n").split("\n")
    cut = not full_output and len(stored) > OUTPUT_TAIL_LINES
    shown = stored[-OUTPUT_TAIL_LINES:] if cut else stored
    if not raw:
        shown = printable_lines("\n".join(shown) + "\n", None if full_output else MAX_SHOWN_CHARACTERS)
    title = f"Output (last {OUTPUT_TAIL_LINES} of {len(stored)} lines; --output for all)" if cut else "Output"
    return ["", title] + ["  " + line for line in shown]


def _body(record: Any) -> list[str]:
    lines = []
    if record.broken:
        lines.append(f"  BROKEN: {record.broken}")
    if record.metrics_error():
        lines.append(f"  BROKEN: {record.metrics_error()}")
    meta = record.meta or {}
    facts = [
        ("command", record.command or meta.get("command")),
        ("started", format_time(record.start_time)),
        ("stopped", format_time(record.stop_time)),
        ("duration", format_duration(record.duration)),
        ("heartbeat", format_time(record.heartbeat) if record.status in ("RUNNING", "DEAD") else None),
        ("stored status", record.stored_status if record.stored_status != record.status else None),
        ("comment", record.comment),
        ("sweep", _sweep_text(record.sweep)),
        ("rerun of", _rerun_text(meta.get("rerun_of"))),
        ("attempt", f"{meta.get('attempt') or '?'} of run {meta['attempt_of']}"
         if meta.get("attempt_of") is not None else None),
        ("requeued as", f"run {meta['requeued_as']}" if meta.get("requeued_as") is not None else None),
        ("queue", _queue_text(meta.get("queue"))),
        ("result", format_value(record.result, width=200) if record.result is not None else None),
    ]
    lines += [f"  {name + ':':<14} {value}" for name, value in facts if value not in (None, "-", "")]

    named = record.config_modifications.get("named_configs") or []
    modified = modified_keys(record)
    lines.append("")
    lines.append("Config" + (f" (named configs: {', '.join(named)})" if named else "")
                 + ("  * = set on the command line" if modified else ""))
    for key, value in sorted(flatten_config(record.config).items()):
        mark = "*" if _is_modified(key, modified) else " "
        lines.append(f" {mark} {key} = {format_value(value, width=100)}")

    rows = metric_rows(record)
    if rows:
        lines.append("")
        lines.append("Metrics")
        lines += ["  " + line for line in table(["name", "points", "final", "min", "max", "trend"], rows)]

    lines += _host_lines(record.host)
    lines += _git_lines(record.experiment_info, meta)
    sources = record.sources()
    if sources:
        lines.append("")
        lines.append("Sources")
        lines += [f"  {source.md5 or '?':<32}  {source.name}" for source in sources]
    artifacts = record.artifacts()
    if artifacts:
        lines.append("")
        lines.append("Artifacts")
        lines += [f"  {_size(a.size):>9}  {a.name}" for a in artifacts]
    resources = record.resources()
    if resources:
        lines.append("")
        lines.append("Resources")
        lines += [f"  {r.md5 or '?':<32}  {r.name}" for r in resources]
    if record.fail_trace:
        lines.append("")
        lines.append("Fail trace")
        lines += ["  " + line for line in printable_lines("".join(record.fail_trace).rstrip("\n"), None)]
    return lines


def _size(size: int | None) -> str:
    if size is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def _sweep_text(sweep: dict | None) -> str | None:
    if not sweep:
        return None
    point = ", ".join(f"{k}={format_value(v)}" for k, v in (sweep.get("point") or {}).items())
    position = f"point {sweep.get('index')}/{sweep.get('count')}" if sweep.get("count") else ""
    return f"{sweep.get('id')} {position} {point}".strip()


def _queue_text(record: Any) -> str | None:
    """The queue record in one short line: file, command, priority and who claimed it (never its claim token)."""
    if not isinstance(record, dict) or not record:
        return None
    parts = [f"{record.get('file') or '?'} {record.get('command') or ''}".strip(),
             f"priority {record.get('priority', 0)}"]
    claim = record.get("claim")
    if isinstance(claim, dict):
        parts.append(f"claimed by {claim.get('worker') or '?'}" + (f" at {claim['time']}" if claim.get("time") else ""))
    return ", ".join(parts)


def without_claim_tokens(meta: Any) -> Any:
    """``meta`` with the queue record's claim token left out (a token lets its holder write the run)."""
    queue = meta.get("queue") if isinstance(meta, dict) else None
    claim = queue.get("claim") if isinstance(queue, dict) else None
    if not isinstance(claim, dict) or "token" not in claim:
        return meta
    return {**meta, "queue": {**queue, "claim": {k: v for k, v in claim.items() if k != "token"}}}


def _rerun_text(rerun_of: Any) -> str | None:
    if not rerun_of:
        return None
    if isinstance(rerun_of, dict):
        return f"run {rerun_of.get('id')} in {rerun_of.get('store')}"
    return str(rerun_of)


def _host_lines(host: dict) -> list[str]:
    if not host:
        return []
    os_info = host.get("os")
    parts = [
        ("hostname", host.get("hostname")),
        ("os", " ".join(str(p) for p in os_info if p) if isinstance(os_info, list | tuple) else os_info),
        ("python", host.get("python_version")),
        ("cpu", host.get("cpu")),
        ("gpus", json.dumps(host.get("gpus"), default=str) if host.get("gpus") else None),
    ]
    return ["", "Host"] + [f"  {name + ':':<10} {value}" for name, value in parts if value]


def _git_lines(experiment_info: dict, meta: dict) -> list[str]:
    repositories = experiment_info.get("repositories") or []
    lines = []
    for repo in repositories:
        if isinstance(repo, dict):
            dirty = " (dirty: uncommitted changes)" if repo.get("dirty") else ""
            lines.append(f"  {repo.get('commit') or '?'}{dirty}  {repo.get('url') or ''}".rstrip())
    patch = meta.get("git_patch")
    if isinstance(patch, dict):
        state = "truncated, " if patch.get("truncated") else ""
        lines.append(f"  patch of uncommitted changes recorded ({state}{patch.get('bytes', '?')} bytes)")
    dependencies = experiment_info.get("dependencies") or []
    result = ["", "Git"] + lines if lines else []
    if dependencies:
        result += ["", "Packages", "  " + ", ".join(str(d) for d in dependencies)]
    return result


def main(argv: list[str], stdout: TextIO) -> int:
    """Run ``sacred show``."""
    args = parse_args(build_parser(), argv, stdout)
    if args is None:
        return 0
    stores = open_stores(args)
    try:
        store, record = find_run(stores, args.run_id)
        if args.json:
            data = {**asdict(record.summary), "store": store.description,
                    "config_modifications": record.config_modifications, "meta": without_claim_tokens(record.meta),
                    "host": record.host, "experiment_info": record.experiment_info, "info": record.info,
                    "fail_trace": record.fail_trace,
                    "metrics": {name: _metric_json(record, name) for name in record.metric_names()},
                    "artifacts": [{"name": a.name, "size": a.size, "md5": a.md5} for a in record.artifacts()],
                    "sources": [{"name": s.name, "md5": s.md5} for s in record.sources()],
                    "captured_out": record.captured_out()}
            stdout.write(dump_json(data) + "\n")
            return 0
        for line in render(record, store, args.output, wants_color(args.color, stdout), args.raw):
            print(line, file=stdout)
    finally:
        for store in stores:
            store.close()
    return 0

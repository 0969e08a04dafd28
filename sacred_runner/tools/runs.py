"""``sacred runs``: list the runs of a store as a table (paged), filtered and sorted.

    sacred runs [--store S | STORE] [FILTER...] [--status S] [--experiment NAME] [--sweep ID]
                [--since T] [--until T] [--comment TEXT] [--sort KEY] [--desc|--asc]
                [--columns C,...] [--limit N] [--page N] [--json]

FILTER words are joined into one filter expression (see ``sacred.runs.filters``),
e.g. ``sacred runs "config.lr > 0.01 and status == 'COMPLETED'"``. Without
``--store``, a first word naming a folder or a store URL is the store
(``sacred runs my_runs/``, ``sacred runs sqlite:///runs.db "status == 'FAILED'"``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict
from typing import Any, TextIO

from sacred_runner.color import add_color_option, paint_status, wants_color
from sacred_runner.errors import UsageError
from sacred_runner.run_output import printable_line
from sacred_runner.tools.common import (
    ToolParser,
    add_store_option,
    dump_json,
    flatten_config,
    format_duration,
    format_time,
    format_value,
    open_stores,
    parse_args,
    table,
    terminal_width,
)

SUMMARY = "list stored runs as a table: filter (config.lr > 0.01, --status DEAD), sort, page, --json"

DEFAULT_LIMIT = 50
MAX_AUTO_CONFIG_COLUMNS = 4
MAX_AUTO_METRIC_COLUMNS = 3
BUILTIN_COLUMNS = ("id", "experiment", "status", "start", "stop", "duration", "heartbeat", "result", "comment",
                   "sweep", "command", "broken")


def build_parser() -> ToolParser:
    """The ``sacred runs`` options."""
    parser = ToolParser(prog="sacred runs", description=__doc__.split("\n\n")[0])
    add_store_option(parser)
    add_color_option(parser)
    parser.add_argument("filter", nargs="*", help="filter expression, e.g. \"config.lr > 0.01 and "
                                                   "status == 'COMPLETED'\"")
    parser.add_argument("--status", action="append", help="only runs with this status (repeatable or "
                                                           "comma-separated; DEAD: stale RUNNING runs)")
    parser.add_argument("--experiment", help="only runs of this experiment")
    parser.add_argument("--sweep", help="only the runs of this sweep id")
    parser.add_argument("--since", help="started at or after: ISO date/time or an age like 2h, 3d, 30m")
    parser.add_argument("--until", help="started at or before: ISO date/time or an age")
    parser.add_argument("--comment", help="text in the run's comment (case-insensitive)")
    parser.add_argument("--sort", help="id, start_time, duration, status, config.KEY, metric:NAME "
                                       "(--sort=-KEY sorts descending, as does --desc)")
    order = parser.add_mutually_exclusive_group()
    order.add_argument("--desc", action="store_true", help="descending order")
    order.add_argument("--asc", action="store_true", help="ascending order (default with --sort; without "
                                                           "it the newest runs come first)")
    parser.add_argument("--columns", help="comma-separated columns: id, experiment, status, start, duration, "
                                          "result, comment, sweep, config keys (lr or config.lr), metric:NAME")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"runs per page (default "
                                                                           f"{DEFAULT_LIMIT}; 0: all)")
    parser.add_argument("--page", type=int, default=1, help="page number (default 1)")
    parser.add_argument("--json", action="store_true", help="print the runs as JSON (one list)")
    return parser


_AGE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_when(text: str | None, option: str) -> dt.datetime | None:
    """An ISO date/time (UTC) or an age (``3d``) as a naive UTC datetime."""
    if text is None:
        return None
    match = _AGE.match(text.strip())
    if match:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return now - dt.timedelta(seconds=float(match.group(1)) * _SECONDS[match.group(2)])
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} {text!r}: give an ISO date/time (2024-05-01, 2024-05-01T12:00) "
                         "or an age (30m, 2h, 3d, 1w)") from None
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def query_arguments(args: Any) -> dict:
    """The keyword arguments of ``RunStore.query``/``count`` from the parsed options."""
    from sacred.runs.model import STATUSES

    statuses = [s.strip() for item in (args.status or []) for s in item.split(",") if s.strip()] or None
    unknown = [s for s in statuses or [] if s.upper() not in STATUSES]
    if unknown:
        raise UsageError(f"--status {unknown[0]!r} is not a status: use {', '.join(STATUSES)} "
                         "(comma-separated or repeated)")
    return {
        "where": " ".join(args.filter).strip() or None,
        "status": statuses,
        "experiment": args.experiment,
        "sweep": args.sweep,
        "since": parse_when(args.since, "--since"),
        "until": parse_when(args.until, "--until"),
        "text": args.comment,
    }


def _sort(args: Any) -> tuple[str | None, bool]:
    sort = args.sort
    descending = args.desc
    if sort and sort.startswith("-"):
        sort, descending = sort[1:], True
    if sort is None and not args.asc:
        descending = True  # newest first
    return sort, descending


def _column_key(name: str) -> str:
    name = name.strip()
    if name in BUILTIN_COLUMNS or name.startswith(("config.", "metric:", "sweep.")):
        return name
    if name.startswith("metrics."):
        return "metric:" + name[len("metrics."):]
    return f"config.{name}"


def varying_config_keys(runs: list) -> list[str]:
    """The dotted config keys (but ``seed``) whose values differ between ``runs``, in first-seen order."""
    flats = [flatten_config(run.config) for run in runs]
    keys: list[str] = []
    seen: set[str] = set()
    for flat in flats:
        for key in flat:
            if key not in seen and key != "seed":
                seen.add(key)
                keys.append(key)
    return [k for k in keys if len({json.dumps(f.get(k), sort_keys=True, default=str) for f in flats}) > 1]


def auto_columns(runs: list) -> list[str]:
    """id, experiment, status, start, duration, the config keys that differ, result, final metrics."""
    columns = ["id", "experiment", "status", "start", "duration"]
    varying = varying_config_keys(runs)
    columns += [f"config.{k}" for k in varying[:MAX_AUTO_CONFIG_COLUMNS]]
    columns.append("result")
    metrics: list[str] = []
    for run in runs:
        metrics.extend(m for m in run.final_metrics if m not in metrics)
    columns += [f"metric:{m}" for m in metrics[:MAX_AUTO_METRIC_COLUMNS]]
    if any(run.broken for run in runs):
        columns.append("broken")
    return columns


def cell(run: Any, column: str) -> str:
    """One table cell of ``run``."""
    if column == "start":
        return format_time(run.start_time)
    if column == "stop":
        return format_time(run.stop_time)
    if column == "heartbeat":
        return format_time(run.heartbeat)
    if column == "duration":
        return format_duration(run.duration)
    if column == "status":
        return run.status or ("BROKEN" if run.broken else "-")
    if column.startswith("config."):
        return format_value(flatten_config(run.config).get(column[len("config."):]))
    if column.startswith("metric:"):
        return format_value(run.final_metrics.get(column[len("metric:"):]))
    if column.startswith("sweep."):
        return format_value((run.sweep or {}).get(column[len("sweep."):]))
    if column == "sweep":
        return format_value((run.sweep or {}).get("id"))
    return format_value(getattr(run, column, None), width=40)


def _header(column: str) -> str:
    if column.startswith("config."):
        return column[len("config."):]
    return column


def _joined_sort(argv: list[str]) -> list[str]:
    """``--sort -id`` as ``--sort=-id`` (argparse would take ``-id`` for an option)."""
    joined: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--sort" and index + 1 < len(argv) and argv[index + 1].startswith("-") \
                and len(argv[index + 1]) > 1 and not argv[index + 1].startswith("--"):
            joined.append(f"--sort={argv[index + 1]}")
            index += 2
            continue
        if arg == "--":
            joined.extend(argv[index:])
            break
        joined.append(arg)
        index += 1
    return joined


_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "=~", "in", "not")


def _store_from_first_word(args: Any) -> None:
    """``sacred runs my_runs/ [FILTER]``: a first word naming a folder or a store URL is the store.

    Only without ``--store``. A word that could also start a filter (a bare
    name such as ``status``) counts as a store only when no comparison follows
    it and a folder of that name opens as one; the words after the store stay
    the filter.
    """
    import os

    if args.store or not args.filter:
        return
    first = args.filter[0]
    if "://" not in first and not os.path.isdir(first):
        return
    following = args.filter[1].split() if len(args.filter) > 1 else []
    if following and (following[0] in _COMPARISONS or following[0][:1] in "=!<>"):
        return
    if first.isidentifier():
        from sacred.runs import StoreError, open_store

        try:
            open_store(first)
        except StoreError:
            return
    args.store = [first]
    args.filter = args.filter[1:]


def main(argv: list[str], stdout: TextIO) -> int:
    """Run ``sacred runs``."""
    from sacred.runs import FilterError, StoreError

    args = parse_args(build_parser(), _joined_sort(list(argv)), stdout)
    if args is None:
        return 0
    if args.limit < 0 or args.page < 1:
        raise UsageError("--limit must be >= 0 and --page >= 1")
    _store_from_first_word(args)
    stores = open_stores(args)
    filters = query_arguments(args)
    sort, descending = _sort(args)
    limit = args.limit or None
    offset = (args.page - 1) * (limit or 0)
    everything = []
    try:
        for store in stores:
            if any(value is not None for value in filters.values()) or sort is not None:
                matching = store.query(**filters, sort=sort, descending=descending)  # one pass: page and total
                total = len(matching)
                runs = store.checked(matching[offset:None if limit is None else offset + limit])
            else:  # a page in id order: the store reads only that page
                runs = store.query(sort=sort, descending=descending, offset=offset, limit=limit)
                total = store.count()
            if args.json:
                everything.extend({"store": store.description, **asdict(run)} for run in runs)
                continue
            _print_table(store, runs, total, offset, limit, args, stdout, several=len(stores) > 1)
    except FilterError as error:
        raise UsageError(str(error)) from None
    except StoreError as error:
        raise UsageError(str(error)) from None
    finally:
        for store in stores:
            store.close()
    if args.json:
        stdout.write(dump_json(everything) + "\n")
    return 0


def _print_table(store: Any, runs: list, total: int, offset: int, limit: int | None, args: Any,
                 stdout: TextIO, several: bool) -> None:
    if several:
        print(f"== {store.description}", file=stdout)
    if not runs:
        print(f"no runs match in {store.description}" if total or offset else
              f"no runs in {store.description}", file=stdout)
        return
    columns = [_column_key(c) for c in args.columns.split(",") if c.strip()] if args.columns else \
        auto_columns(runs)
    hidden = [] if args.columns else varying_config_keys(runs)[MAX_AUTO_CONFIG_COLUMNS:]
    rows = [[cell(run, column) for column in columns] for run in runs]
    color = wants_color(args.color, stdout)

    def painter(_row: int, column: int, text: str) -> str:
        return paint_status(text, text, color) if columns[column] == "status" else text

    for line in table([_header(c) for c in columns], rows, max_width=terminal_width() if stdout.isatty() else None,
                      paint=painter if color else None):
        print(line, file=stdout)
    shown_to = offset + len(runs)
    footer = f"{offset + 1}-{shown_to} of {total} runs in {store.description}"
    if limit and shown_to < total:
        footer += f" (next: --page {offset // limit + 2})"
    print(footer, file=stdout)
    if hidden:
        shown = [c[len("config."):] for c in columns if c.startswith("config.")]
        print(printable_line(f"config keys that vary but are not shown: {', '.join(hidden)} "
                             f"(--columns id,status,{','.join(shown + hidden)} shows them)"), file=stdout)

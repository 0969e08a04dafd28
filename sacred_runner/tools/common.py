"""Shared pieces of the store commands (runs, show, compare, rerun): opening stores, formatting.

Every command takes ``--store S`` (repeatable); without it the rootdir's
configured stores are used: the ``observers`` of sacred.ini /
pyproject.toml, or the embedded default store (``store`` key, default
``.sacred/runs``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sacred_runner.errors import UsageError
from sacred_runner.run_output import printable_line

__all__ = ["ToolParser", "add_store_option", "open_stores", "configured_store_specs", "find_run",
           "format_value", "format_time", "format_duration", "sparkline", "finite_numbers", "finite_float",
           "strict_json", "dump_json", "flatten_config", "json_default", "table"]


class ToolParser(argparse.ArgumentParser):
    """An ArgumentParser whose mistakes are UsageErrors (one ERROR line, exit 4), not SystemExit(2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("description"):
            kwargs["description"] = kwargs["description"].replace("``", "")  # module docstrings are rst
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # noqa: D102
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")

    def exit(self, status: int = 0, message: str | None = None) -> Any:  # noqa: D102
        if status:
            raise UsageError(message or f"{self.prog} failed")
        raise _HelpShown()


class _HelpShown(Exception):
    """--help was printed."""


def parse_args(parser: ToolParser, argv: Sequence[str], stdout: Any) -> argparse.Namespace | None:
    """Parse ``argv``; None when --help was printed (to ``stdout``)."""
    if any(arg in ("-h", "--help") for arg in argv):
        parser.print_help(stdout)
        return None
    try:
        return parser.parse_args(list(argv))
    except _HelpShown:
        return None


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """``--store S`` (repeatable) and ``--rootdir``."""
    parser.add_argument("--store", action="append", default=[], metavar="S",
                        help="store to read: a FileStorage/TinyDB folder, a project folder, sqlite:///x.db, "
                             "postgresql://..., mongodb://host:port/db (repeatable; default: the rootdir's "
                             "configured stores, else its embedded store .sacred/runs)")
    parser.add_argument("--rootdir", default=None, help="project folder whose stores are read (default: found "
                                                         "from the current folder as 'sacred run' finds it)")


def configured_store_specs(rootdir: str | None = None) -> list[str]:
    """Store specs of the project: ini ``observers``, else the embedded store."""
    from sacred_runner.builtin_plugins import parse_observer_spec
    from sacred_runner.inifile import locate_config

    ini = locate_config([], rootdir=rootdir)
    specs = []
    for text in ini.get("observers"):
        kind, value = parse_observer_spec(text)
        if kind in ("file_storage", "tiny_db"):
            specs.append(str(ini.rootdir / value) if not os.path.isabs(value) else value)
        elif kind == "mongo_db":
            specs.append(_mongo_url(value))
        elif kind == "sql":
            specs.append(value)
        # s3 stores are not read by these commands
    if not specs:
        specs.append(str(ini.rootdir / (ini.get("store") or ".sacred/runs")))
    return specs


def _mongo_url(value: str) -> str:
    from sacred.observers.mongo._url import parse_mongo_db_arg

    try:
        parsed = parse_mongo_db_arg(value)
    except ValueError as error:
        raise UsageError(str(error)) from None
    url = parsed.get("url") or "mongodb://localhost:27017"
    db_name = parsed.get("db_name") or "sacred"
    return url if url.rstrip("/").count("/") > 2 else f"{url.rstrip('/')}/{db_name}"


def open_stores(args: argparse.Namespace) -> list[Any]:
    """The stores named by ``--store``, or the project's configured ones; UsageError when one cannot open."""
    from sacred.runs import StoreError, open_store

    specs = list(args.store) or configured_store_specs(args.rootdir)
    stores = []
    for spec in specs:
        try:
            stores.append(open_store(spec))
        except StoreError as error:
            if not args.store and not Path(spec).exists() and "://" not in spec:
                raise UsageError(f"no runs yet: the store {spec} does not exist (run 'sacred run' first, "
                                 "or name a store with --store)") from None
            raise UsageError(str(error)) from None
    return stores


def find_run(stores: list[Any], run_id: str) -> tuple[Any, Any]:
    """(store, record) of ``run_id`` in the first store that has it; UsageError naming the nearest ids."""
    from sacred.runs import RunNotFound, StoreError

    errors = []
    for store in stores:
        try:
            return store, store.get(run_id)
        except RunNotFound as error:
            errors.append(str(error))
        except StoreError as error:
            raise UsageError(str(error)) from None
    raise UsageError("; ".join(errors))


# --- formatting --------------------------------------------------------------------------

def format_time(value: dt.datetime | None) -> str:
    """``2024-05-01 12:30:05`` (UTC as stored), or ``-``."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, dt.datetime) else "-"


def format_duration(seconds: float | None) -> str:
    """``0.4s``, ``12s``, ``3m05s``, ``2h03m``, or ``-``."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_value(value: Any, width: int = 24) -> str:
    """A config value or metric as a short cell."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=str, sort_keys=True)
        except (TypeError, ValueError):
            text = str(value)
    text = printable_line(text)  # a stored value cannot clear or retitle the terminal
    return text if len(text) <= width else text[: width - 1] + "…"


_BLOCKS = "▁▂▃▄▅▆▇█"


def finite_numbers(values: Sequence[Any]) -> Sequence[float]:
    """``values`` without what is not a finite number (the list itself when all are: no copy).

    An integer beyond float range (``10**400``) is not finite here: it cannot be
    drawn or averaged, and it is skipped like ``inf``.
    """
    try:
        # fsum turns each item into a float: OverflowError for an integer beyond float range
        if len(values) and type(values[0]) is not bool and math.isfinite(math.fsum(values)):
            return values
    except (TypeError, ValueError, OverflowError):  # not numbers; huge integers; a sum beyond float range
        pass
    return _filtered(values)


def finite_float(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not a number, not finite, or beyond float range."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _filtered(values: Sequence[Any]) -> list[float]:
    return [number for number in map(finite_float, values) if number is not None]


def sparkline(values: Sequence[Any], width: int = 30) -> str:
    """The series drawn in ``width`` block characters (each the mean of its bucket)."""
    numbers = finite_numbers(values)
    if not numbers:
        return ""
    count = min(width, len(numbers))
    buckets = []
    for i in range(count):
        lo, hi = i * len(numbers) // count, (i + 1) * len(numbers) // count
        chunk = numbers[lo:max(hi, lo + 1)]
        mean = sum(chunk) / len(chunk)
        if not math.isfinite(mean):  # values near float's maximum: divide first
            mean = sum(v / len(chunk) for v in chunk)
        buckets.append(mean)
    low, high = min(buckets), max(buckets)
    if high == low:
        return _BLOCKS[3] * count
    span = high / 2 - low / 2  # halves: the span of -1e308..1e308 stays finite
    return "".join(_BLOCKS[min(7, int((b / 2 - low / 2) / span * 7.999))] for b in buckets)


def flatten_config(config: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (lists stay values)."""
    flat: dict[str, Any] = {}
    if isinstance(config, dict) and config:
        for key, value in config.items():
            flat.update(flatten_config(value, f"{prefix}{key}."))
    elif prefix:
        flat[prefix[:-1]] = config
    return flat


_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def strict_json(value: Any) -> Any:
    """``value`` with every NaN/inf float as the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``,
    so that ``--json`` output is strict JSON (``json.dumps(..., allow_nan=False)`` accepts it)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else _NON_FINITE[repr(value)]
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(item) for item in value]
    return value


def dump_json(value: Any) -> str:
    """The ``--json`` output of the store commands: strict JSON (see :func:`strict_json`), indented."""
    return json.dumps(strict_json(value), default=json_default, indent=1, allow_nan=False)


def json_default(value: Any) -> Any:
    """JSON for datetimes (ISO) and anything else (str)."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def table(headers: list[str], rows: list[list[str]], max_width: int | None = None,
          paint: Any = None) -> list[str]:
    """Left-aligned text columns (numbers right-aligned), cut to ``max_width`` characters per line.

    ``paint(row_index, column_index, cell)`` returns a data cell with color
    codes (widths are laid out on the plain text; a cut line stays plain).
    """
    headers = [printable_line(h) for h in headers]
    rows = [[printable_line(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def numeric(text: str) -> bool:
        try:
            float(text)
            return True
        except ValueError:
            return False

    def line(cells: list[str], row_index: int | None = None) -> str:
        parts = [cell.rjust(widths[i]) if numeric(cell) else cell.ljust(widths[i]) for i, cell in enumerate(cells)]
        text = "  ".join(parts).rstrip()
        if max_width and len(text) > max_width:
            return text[: max_width - 1] + "…"
        if paint is None or row_index is None:
            return text
        painted = [part.replace(cell, paint(row_index, i, cell), 1) if cell else part
                   for i, (cell, part) in enumerate(zip(cells, parts, strict=True))]
        return "  ".join(painted).rstrip()

    return [line(headers), line(["-" * w for w in widths])] + [line(row, index) for index, row in enumerate(rows)]


def terminal_width(default: int = 120) -> int:
    """Columns of the terminal (COLUMNS honoured), ``default`` when not a terminal."""
    import shutil

    return shutil.get_terminal_size((default, 24)).columns

"""One query over run summaries: the filters every store accepts, sorting and paging.

Stores narrow what they can natively (an index, SQL ``WHERE``, a MongoDB
query) and hand the candidates to :func:`apply_query`, which applies the
complete query, so every store answers the same question the same way.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sacred.runs.filters import Expr, compile_filter, field_value, parse_filter
from sacred.runs.model import FilterError, RunSummary

__all__ = ["Query", "apply_query", "id_order", "SORT_KEYS"]

SORT_KEYS = ("id", "start_time", "stop_time", "duration", "status", "experiment", "heartbeat",
             "config.KEY", "metric:NAME", "result")


def id_order(run_id: Any) -> tuple:
    """Numeric ids in numeric order, then the others by name."""
    text = str(run_id)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass
class Query:
    """The parsed filters and ordering of one ``query``/``count`` call."""

    where: Expr | None = None
    statuses: frozenset[str] | None = None
    experiment: str | None = None
    sweep: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    text: str | None = None
    sort: str | None = None
    descending: bool = False
    offset: int = 0
    limit: int | None = None
    _compiled: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def build(cls, where: str | None = None, status: str | Sequence[str] | None = None,
              experiment: str | None = None, sweep: str | None = None, since: dt.datetime | None = None,
              until: dt.datetime | None = None, text: str | None = None, sort: str | None = None,
              descending: bool = False, offset: int = 0, limit: int | None = None) -> Query:
        """Check and parse the arguments of ``RunStore.query``."""
        statuses = None
        if status is not None:
            items = [status] if isinstance(status, str) else list(status)
            statuses = frozenset(s.strip().upper() for item in items for s in str(item).split(",") if s.strip())
        if sort is not None:
            check_sort(sort)
        if offset < 0 or (limit is not None and limit < 0):
            raise ValueError("offset and limit must not be negative")
        return cls(parse_filter(where) if where else None, statuses, experiment, sweep,
                   _naive(since), _naive(until), text, sort, descending, offset, limit)

    @property
    def filters_anything(self) -> bool:
        """Whether any filter (not only sort/paging) is set."""
        return any(v is not None for v in (self.where, self.statuses, self.experiment, self.sweep,
                                           self.since, self.until, self.text))

    def matches(self, run: RunSummary) -> bool:
        """Whether ``run`` passes every filter."""
        if self.statuses is not None and (run.status or "").upper() not in self.statuses:
            return False
        if self.experiment is not None and run.experiment != self.experiment:
            return False
        if self.sweep is not None and not _sweep_id(run).startswith(self.sweep):
            return False  # a prefix matches here; apply_query keeps one sweep (see _one_sweep)
        start = _naive(run.start_time)
        if self.since is not None and (start is None or start < self.since):
            return False
        if self.until is not None and (start is None or start > self.until):
            return False
        if self.text is not None and self.text.lower() not in (run.comment or "").lower():
            return False
        if self.where is None:
            return True
        if self._compiled is None:
            self._compiled = compile_filter(self.where)
        return self._compiled(run)


def _sweep_id(run: Any) -> str:
    """The run's sweep id as text; a space (which no sweep id starts with) when it has none."""
    sweep = run.sweep if isinstance(run.sweep, dict) else {}
    return str(sweep["id"]) if sweep.get("id") is not None else " "


def _one_sweep(runs: list[RunSummary], wanted: str) -> list[RunSummary]:
    """The runs of the one sweep whose id is ``wanted`` or starts with it (a unique prefix works);
    FilterError naming the candidates when the prefix fits several sweeps."""
    found = sorted({_sweep_id(run) for run in runs})
    if wanted in found:
        return [run for run in runs if _sweep_id(run) == wanted]
    if len(found) > 1:
        raise FilterError(f"sweep id prefix {wanted!r} is ambiguous: it starts {', '.join(found)}")
    return runs


def check_sort(sort: str) -> None:
    """FilterError unless ``sort`` names a sortable key."""
    key = sort.strip()
    if key in ("id", "start_time", "stop_time", "duration", "status", "experiment", "heartbeat", "result"):
        return
    if key.startswith(("config.", "metric:", "metrics.", "sweep.")) and len(key.split(":", 1)[-1]) > 0:
        return
    raise FilterError(f"cannot sort by {sort!r}: use one of {', '.join(SORT_KEYS)}")


def sort_value(run: RunSummary, sort: str) -> Any:
    """The value ``run`` is sorted by for key ``sort``."""
    if sort == "id":
        return id_order(run.id)
    if sort.startswith("metric:"):
        return run.final_metrics.get(sort[len("metric:"):])
    if "." in sort:
        return field_value(run, tuple(sort.split(".")))
    value = getattr(run, sort, None)
    return _naive(value) if isinstance(value, dt.datetime) else value


def _sort_key(value: Any) -> tuple:
    """Missing values last; numbers, times and text each in their own order."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (3,)
    if isinstance(value, bool | int | float):
        return (0, 0, value)  # int and float compare exactly in Python: 10**400 sorts above 1e308, no overflow
    if isinstance(value, dt.datetime):
        return (1, value.timestamp() if value.tzinfo else value.replace(tzinfo=dt.UTC).timestamp())
    if isinstance(value, tuple):
        return (0, 1, value)
    return (2, str(value))


def default_sort(runs: list[RunSummary]) -> str:
    """Id order when every id is a number (they count up), else start time (uuid-like ids)."""
    return "id" if all(run.id.isdigit() for run in runs) else "start_time"


def apply_query(runs: Iterable[RunSummary], query: Query) -> list[RunSummary]:
    """Filter, sort and page ``runs``."""
    selected = [run for run in runs if query.matches(run)]
    if query.sweep is not None:
        selected = _one_sweep(selected, query.sweep)
    sort = query.sort or default_sort(selected)
    present = [r for r in selected if sort_value(r, sort) is not None]
    missing = [r for r in selected if sort_value(r, sort) is None]
    present.sort(key=lambda r: (_sort_key(sort_value(r, sort)), id_order(r.id)), reverse=query.descending)
    missing.sort(key=lambda r: id_order(r.id), reverse=query.descending)
    ordered = present + missing
    end = None if query.limit is None else query.offset + query.limit
    return ordered[query.offset:end]

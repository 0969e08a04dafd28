"""``RunStore``: the read API every store kind implements (query, count, get)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from sacred.liveness import shown_status
from sacred.runs.model import RunNotFound, RunRecord, RunSummary
from sacred.runs.query import Query, apply_query, id_order

__all__ = ["RunStore", "nearest_ids", "modifications_from_meta", "parse_time", "beat_interval_of", "summary_status", "duration_of"]


def parse_time(value: Any) -> dt.datetime | None:
    """A stored time (datetime, ISO string, ``{"$date": ...}``) as a datetime, or None."""
    if type(value) is str:
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dict) and "$date" in value:
        value = value["$date"]
        if isinstance(value, int | float):
            return dt.datetime.fromtimestamp(value / 1000, dt.UTC).replace(tzinfo=None)
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def beat_interval_of(meta: dict | None) -> float | None:
    """The run's heartbeat interval from its meta info (options), if recorded."""
    options = (meta or {}).get("options") or {}
    for key in ("--beat-interval", "--beat_interval"):
        value = options.get(key) if isinstance(options, dict) else None
        if value not in (None, ""):
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def summary_status(stored: str | None, heartbeat: dt.datetime | None, start: dt.datetime | None,
                   meta: dict | None, now: dt.datetime | None = None) -> str | None:
    """The shown status: DEAD for a RUNNING run whose heartbeat (or start) went stale."""
    return shown_status(stored, heartbeat or start, beat_interval_of(meta), now)


def duration_of(start: dt.datetime | None, stop: dt.datetime | None,
                heartbeat: dt.datetime | None = None) -> float | None:
    """Seconds from start to stop (or to the last heartbeat while running)."""
    end = stop or heartbeat
    if start is None or end is None:
        return None
    try:
        return max(0.0, (end - start).total_seconds())
    except TypeError:  # naive and aware mixed
        return None


def _dotted(updates: Any, prefix: str = "") -> list[str]:
    if not isinstance(updates, dict) or not updates:
        return [prefix] if prefix else []
    keys = []
    for key, value in updates.items():
        keys.extend(_dotted(value, f"{prefix}{key}.")
                    if isinstance(value, dict) and value else [f"{prefix}{key}"])
    return [k.rstrip(".") for k in keys]


def modifications_from_meta(meta: dict | None, stored: dict | None = None) -> dict:
    """What was changed from the defaults: ``{"updated": [dotted keys], "named_configs": [...]}``.

    ``stored`` (a store's own record of modifications, e.g. MongoDB's
    ``config_modifications``... when present) is merged in as is.
    """
    meta = meta or {}
    result: dict = dict(stored or {})
    result["updated"] = sorted(set(_dotted(meta.get("config_updates") or {})))
    result["named_configs"] = list(meta.get("named_configs") or [])
    return result


def nearest_ids(wanted: str, ids: Iterable[str], count: int = 3) -> list[str]:
    """The existing ids closest to ``wanted`` (numerically when both are numbers, else by spelling)."""
    ids = list(ids)
    if wanted.isdigit():
        numeric = [i for i in ids if i.isdigit()]
        if numeric:
            target = int(wanted)
            return sorted(sorted(numeric, key=lambda i: (abs(int(i) - target), int(i)))[:count], key=id_order)
    return difflib.get_close_matches(wanted, ids, n=count, cutoff=0.0)


class RunStore:
    """A store of runs opened for reading. Subclasses provide :meth:`_candidates`, :meth:`_load`, :meth:`ids`.

    ``description`` is a human-readable location with secrets masked.
    """

    description: str = "a run store"
    kind: str = "store"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"

    # -- to implement ----------------------------------------------------------------

    def _candidates(self, query: Query) -> Iterable[RunSummary]:
        """Summaries that may match ``query`` (a superset; the query is applied afterwards)."""
        raise NotImplementedError

    def _load(self, run_id: str) -> RunRecord | None:
        """The full record of ``run_id``, None when there is no such run."""
        raise NotImplementedError

    def ids(self) -> list[str]:
        """Every run id in the store (id order)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections and files."""

    def observer_target(self) -> tuple[str, str]:
        """``(observer kind, target)`` an observer writing into this store is made from
        (``file_storage``/``tiny_db`` with a folder, ``sql``/``mongo_db`` with a URL); used by ``sacred rerun``."""
        raise NotImplementedError(f"runs cannot be added to {self.description}")

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the API ---------------------------------------------------------------------

    def query(self, where: str | None = None, status: str | Sequence[str] | None = None,
              experiment: str | None = None, sweep: str | None = None, since: dt.datetime | None = None,
              until: dt.datetime | None = None, text: str | None = None, sort: str | None = None,
              descending: bool = False, offset: int = 0, limit: int | None = None) -> list[RunSummary]:
        """The runs matching every given filter, sorted and paged (see docs of :mod:`sacred.runs`)."""
        query = Query.build(where, status, experiment, sweep, since, until, text, sort, descending,
                            offset, limit)
        return self._run_query(query)

    def _run_query(self, query: Query) -> list[RunSummary]:
        return apply_query(self._candidates(query), query)

    def checked(self, runs: list[RunSummary]) -> list[RunSummary]:
        """``runs`` re-checked against what is stored where a listing answered from a cache
        (FileStorage's index): a run whose stored record was damaged since shows as broken.
        Stores that list from the records themselves return ``runs`` as they are."""
        return runs

    def count(self, where: str | None = None, status: str | Sequence[str] | None = None,
              experiment: str | None = None, sweep: str | None = None, since: dt.datetime | None = None,
              until: dt.datetime | None = None, text: str | None = None) -> int:
        """How many runs match the filters."""
        query = Query.build(where, status, experiment, sweep, since, until, text)
        return self._count(query)

    def _count(self, query: Query) -> int:
        if query.sweep is not None:  # a sweep id prefix: counted as apply_query resolves it
            return len(apply_query(self._candidates(query), dataclasses.replace(query, offset=0, limit=None)))
        return sum(1 for run in self._candidates(query) if query.matches(run))

    def get(self, run_id: Any) -> RunRecord:
        """The run ``run_id``; RunNotFound (a KeyError) names the nearest existing ids."""
        wanted = str(run_id).strip()
        record = self._load(wanted) if wanted else None
        if record is None and len(wanted) >= 4:  # a unique prefix of a long id (uuid-like TinyDB ids)
            matches = [i for i in self.ids() if i.startswith(wanted)]
            if len(matches) == 1:
                record = self._load(matches[0])
        if record is None:
            raise self.not_found(wanted)
        return record

    def not_found(self, wanted: str) -> RunNotFound:
        """The error for an unknown id, naming the nearest ids."""
        near = nearest_ids(wanted, self.ids())
        hint = f"; nearest ids: {', '.join(near)}" if near else "; the store has no runs"
        return RunNotFound(f"no run with id {wanted!r} in {self.description}{hint}")

    def get_many(self, ids: Iterable[Any]) -> list[RunRecord]:
        """The runs with the given ids, in that order (RunNotFound for the first unknown one)."""
        return [self.get(run_id) for run_id in ids]

"""TinyDbReader: query the runs a TinyDbObserver stored, and render summary reports."""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Iterable
from typing import Any

from sacred.observers.tinydb_hashfs._encoding import decode_files
from sacred.observers.tinydb_hashfs._files import import_tinydb_backend, make_hashfs
from sacred.observers.tinydb_hashfs._store import TinyDbAccess, load_documents

__all__ = ["TinyDbReader", "render_report"]


def _format_duration(start: Any, stop: Any) -> str:
    if not isinstance(start, _dt.datetime) or not isinstance(stop, _dt.datetime):
        return "unknown"
    tenths = round((stop - start).total_seconds() * 10)
    seconds_total, tenth = divmod(tenths, 10)
    hours, rest = divmod(seconds_total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{tenth}"


def _listing(items: Iterable[Any]) -> str:
    lines = [f"    {item}" for item in items]
    return "\n".join(lines) if lines else "    None"


def render_report(entry: dict) -> str:
    """Render one run entry as the TinyDbReader summary report text."""
    date = entry.get("start_time") or entry.get("queue_time")
    date_text = date.strftime("%a %d %b %Y") if isinstance(date, _dt.datetime) else "unknown"
    stop = entry.get("stop_time") or entry.get("heartbeat")
    config = entry.get("config") or {}
    experiment = entry.get("experiment") or {}
    return (
        "\n-------------------------------------------------\n"
        f"Experiment: {experiment.get('name')}\n"
        "-------------------------------------------------\n"
        f"ID: {entry.get('_id')}\n"
        f"Date: {date_text}    Duration: {_format_duration(entry.get('start_time'), stop)}\n"
        "\nParameters:\n"
        f"{_listing(f'{k}: {config[k]}' for k in sorted(config))}\n"
        "\nResult:\n"
        f"    {entry.get('result')}\n"
        "\nDependencies:\n"
        f"{_listing(experiment.get('dependencies') or [])}\n"
        "\nResources:\n"
        f"{_listing(r[0] for r in entry.get('resources') or [])}\n"
        "\nSource Files:\n"
        f"{_listing(s[0] for s in experiment.get('sources') or [])}\n"
        "\nOutputs:\n"
        f"{_listing(a[0] for a in entry.get('artifacts') or [])}\n"
    )


class TinyDbReader(TinyDbAccess):
    """Query runs stored by :class:`TinyDbObserver` in ``path``.

    Select runs with ``indices`` (an int or a list of ints, list-style, negative
    counts from the latest run), ``exp_name`` (substring or regular expression
    searched in the experiment name) or ``query`` (a TinyDB query). The file is
    read anew on every call, so runs written meanwhile are seen.
    """

    def __init__(self, path: str) -> None:
        import_tinydb_backend()
        root = os.path.abspath(os.fspath(path))
        if not os.path.isdir(root):
            raise FileNotFoundError(
                f"TinyDbReader: {root} is not a directory; pass the basedir a TinyDbObserver wrote to"
            )
        self.root = root
        self.path = os.path.join(root, "metadata.json")
        self.fs = make_hashfs(root)
        self._db = None

    def _select(self, exp_name: str | None, query: Any, indices: Any) -> list[Any]:
        if exp_name is None and query is None and indices is None:
            raise ValueError(
                "TinyDbReader: say which runs to fetch: indices=<int or list of ints>, "
                "exp_name=<substring or regex> or query=<TinyDB query>"
            )
        docs = load_documents(self.path)
        if indices is not None:
            docs = self._by_indices(docs, indices)
        if exp_name is not None:
            docs = self._by_name(docs, exp_name)
        if query is not None:
            docs = self._by_query(docs, query)
        return docs

    @staticmethod
    def _by_name(docs: list, exp_name: Any) -> list:
        if not isinstance(exp_name, str):
            raise TypeError(f"TinyDbReader: exp_name must be a string, got {exp_name!r}")
        try:
            pattern = re.compile(exp_name)
        except re.error as exc:
            raise ValueError(
                f"TinyDbReader: exp_name {exp_name!r} is not a valid regex: {exc}"
            ) from None
        return [d for d in docs if pattern.search(str((d.get("experiment") or {}).get("name", "")))]

    @staticmethod
    def _by_query(docs: list, query: Any) -> list:
        if not callable(query):
            raise TypeError(
                f"TinyDbReader: query must be a TinyDB query (tinydb.Query), got {query!r}"
            )
        return [d for d in docs if query(d)]

    @staticmethod
    def _by_indices(docs: list, indices: Any) -> list:
        many = isinstance(indices, (list, tuple))
        wanted = list(indices) if many else [indices]
        selected = []
        for index in wanted:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(
                    f"TinyDbReader: indices must be an int or a list of ints, got {indices!r}"
                )
            try:
                selected.append(docs[index])
            except IndexError:
                raise IndexError(
                    f"TinyDbReader: index {index} is out of range; {len(docs)} runs are stored"
                ) from None
        return selected

    def fetch_metadata(
        self, exp_name: str | None = None, query: Any = None, indices: Any = None
    ) -> list:
        """Return the selected run entries, dates as datetimes and files as open handles."""
        docs = self._select(exp_name, query, indices)
        from tinydb.table import Document

        return [Document(decode_files(dict(d), self.fs), doc_id=d.doc_id) for d in docs]

    def fetch_files(
        self, exp_name: str | None = None, query: Any = None, indices: Any = None
    ) -> list[dict]:
        """Return ``[{exp_name, exp_id, date, sources?, resources?, artifacts?}]`` with open handles."""
        results = []
        for entry in self._select(exp_name, query, indices):
            experiment = entry.get("experiment") or {}
            record: dict[str, Any] = {
                "exp_name": experiment.get("name"),
                "exp_id": entry.get("_id"),
                "date": entry.get("start_time") or entry.get("queue_time"),
            }
            # each listed file is [name, ..., {TinyFile} tag]
            groups = {
                "sources": experiment.get("sources"),
                "resources": entry.get("resources"),
                "artifacts": entry.get("artifacts"),
            }
            for key, items in groups.items():
                if items:
                    record[key] = {item[0]: decode_files(item[-1], self.fs) for item in items}
            results.append(record)
        return results

    def fetch_report(
        self, exp_name: str | None = None, query: Any = None, indices: Any = None
    ) -> list[str]:
        """Return one summary report text per selected run (see the spec's Summary Report)."""
        return [render_report(entry) for entry in self._select(exp_name, query, indices)]

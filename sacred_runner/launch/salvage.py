"""Record the end of a run whose process died: FAILED (or INTERRUPTED) with the reason.

A run executing on a launcher's worker writes its stores from there. When
that worker is killed in the middle of the run, nobody would ever write
the run's end; the runner does it here, from the stores' specs and the run
id it saw in the forwarded ``started_event``. Only a run still RUNNING is
touched (a run that reached its end before the worker died keeps it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["record_lost_run", "describe_spec"]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _end(observer: Any, status: str, reason: str, when: dt.datetime) -> None:
    if status == "FAILED":
        observer.failed_event(fail_time=when, fail_trace=[reason.rstrip("\n") + "\n"])
    else:
        observer.interrupted_event(interrupt_time=when, status=status)


def _unstored_points(stored: dict[str, int], spooled: dict | None) -> dict:
    """The spooled points past the ``stored`` counts per metric (the worker delivered a prefix of each series)."""
    added = {}
    for name, series in (spooled or {}).items():
        have = stored.get(name, 0)
        if len(series["steps"]) > have:
            added[name] = {key: (value[have:] if isinstance(value, list) else value) for key, value in series.items()}
    return added


def _salvage_layout(observer: Any, run_id: Any, status: str, reason: str, when: dt.datetime,
                    captured_out: str | None = None, metrics: dict | None = None) -> bool:
    from sacred.observers.run_files._layout import COUT_TXT, RUN_JSON

    run_dir = observer.backend.join(observer.basedir, str(run_id))
    data = observer.backend.read_bytes(observer.backend.join(run_dir, RUN_JSON))
    if not data:
        return False
    entry = json.loads(data)
    if entry.get("status") not in ("RUNNING", "QUEUED"):
        return False
    observer.run_dir = run_dir
    observer.run_entry = entry
    observer.adopt_stored_metrics()
    info = entry.get("info") or {}
    added = _unstored_points({name: len(series.get("steps") or []) for name, series in observer.metrics.items()},
                             metrics)
    if added:
        observer.log_metrics(added, info)
    if captured_out:
        stored_out = observer.backend.read_bytes(observer.backend.join(run_dir, COUT_TXT)) or b""
        observer.cout = stored_out.decode("utf-8", "replace")
        if len(captured_out) > len(observer.cout):  # the spool holds the whole output of the run
            observer.heartbeat_event(info=info, captured_out=captured_out, beat_time=when, result=entry.get("result"))
    if status == "FAILED":
        entry["fail_trace"] = [reason.rstrip("\n") + "\n"]
    _end(observer, status, reason, when)
    return True


def _salvage_sql(observer: Any, run_id: Any, status: str, reason: str, when: dt.datetime,
                 captured_out: str | None = None, metrics: dict | None = None) -> bool:
    import sqlalchemy as sa

    run, metric = observer.tables.run, observer.tables.metric
    row = observer.session.execute(
        sa.select(run.c.status, run.c.captured_out).where(run.c.run_id == str(run_id))).first()
    counts = dict(observer.session.execute(
        sa.select(metric.c.name, sa.func.count()).where(metric.c.run_id == str(run_id)).group_by(metric.c.name)
    ).all()) if metrics else {}
    observer.session.rollback()
    if row is None or row[0] not in ("RUNNING", "QUEUED"):
        return False
    observer.run_id = str(run_id)
    added = _unstored_points(counts, metrics)
    if added:  # queued; written with the run's end, in one transaction
        observer.log_metrics(added, {})
    if captured_out and len(captured_out) > len(row[1] or ""):
        observer._update_run(captured_out=captured_out)
    _end(observer, status, reason, when)
    return True


def _salvage_mongo(observer: Any, run_id: Any, status: str, reason: str, when: dt.datetime,
                   captured_out: str | None = None) -> bool:
    fields: dict[str, Any] = {"status": status, "stop_time": when}
    if captured_out:
        fields["captured_out"] = captured_out
    if status == "FAILED":
        fields["fail_trace"] = [reason.rstrip("\n") + "\n"]
    updated = observer.runs.update_one({"_id": run_id, "status": {"$in": ["RUNNING", "QUEUED"]}}, {"$set": fields})
    return bool(updated.modified_count)


def record_lost_run(stores: tuple[tuple[str, str], ...], rootdir: str, run_id: Any, reason: str,
                    status: str = "FAILED", captured_out: str | None = None,
                    metrics: dict | None = None) -> list[str]:
    """Write ``status`` (FAILED with ``reason`` as its trace, or INTERRUPTED) for ``run_id`` in each store.

    ``captured_out`` / ``metrics`` (``metrics_by_name``): what the run printed
    and logged before its worker died (:mod:`sacred_runner.launch.spool`),
    added where the store lacks it: file-layout and SQL stores get both,
    MongoDB the output.
    Returns problems (one line each) for stores where that was impossible.
    """
    from sacred.observers.run_files._layout import LayoutObserver
    from sacred_runner.builtin_plugins import build_observer

    problems = []
    when = _utc_now()
    for kind, value in stores:
        try:
            observer = build_observer(kind, value, Path(rootdir))
            if isinstance(observer, LayoutObserver):
                _salvage_layout(observer, run_id, status, reason, when, captured_out, metrics)
            elif kind == "sql":
                _salvage_sql(observer, run_id, status, reason, when, captured_out, metrics)
            elif kind == "mongo_db":
                _salvage_mongo(observer, run_id, status, reason, when, captured_out)
            else:
                problems.append(f"{kind}:{value}: cannot record the end of run {run_id} from here")
        except Exception as error:  # noqa: BLE001 - reported, the other stores go on
            problems.append(f"{kind}:{value}: could not record run {run_id} as {status}: {error}")
    return problems


def describe_spec(kind: str, value: str, rootdir: str, run_id: Any) -> str:
    """Where the store ``kind:value`` keeps run ``run_id`` (for the summary's store column)."""
    if kind in ("file_storage", "tiny_db"):
        path = value if os.path.isabs(value) else os.path.join(rootdir, value)
        if kind == "file_storage" and run_id is not None:  # the run's own folder, as for an in-process run
            path = os.path.join(path, str(run_id))
        try:
            shown = os.path.relpath(path)
        except ValueError:
            shown = path
        return shown if not shown.startswith("../../") else path
    if kind == "sql":
        from sacred.masking import mask_text

        return f"{mask_text(value)}#{run_id}"
    if kind == "mongo_db":
        return f"mongodb:{value.rsplit('@', 1)[-1]}/{run_id}"
    return f"{kind}:{value}#{run_id}"

"""The JSON file a MongoObserver writes when the database cannot take a finished run.

The run entry is written as JSON (``sacred.serializer``; ObjectIds as
``{"$oid": ...}``, dates as ``{"$date": ...}``, as in MongoDB extended JSON)
to ``<failure_dir>/<db>.<collection>_run_<id>_<UTC timestamp>.json``,
atomically (temp file + rename).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re

from sacred.observers.mongo._values import to_extended_json
from sacred.serializer import dumps

__all__ = ["DEFAULT_FAILURE_DIR", "resolve_failure_dir", "write_failure_dump"]

DEFAULT_FAILURE_DIR = "sacred_failed_runs"


def resolve_failure_dir(failure_dir: str | bytes | os.PathLike | None) -> str:
    """Absolute failure folder: ``failure_dir``, or ``./sacred_failed_runs`` from the working directory now."""
    if isinstance(failure_dir, bytes):
        failure_dir = os.fsdecode(failure_dir)
    return os.path.abspath(os.fspath(failure_dir) if failure_dir is not None else DEFAULT_FAILURE_DIR)


def write_failure_dump(folder: str, db_name: str, collection_name: str, entry: dict) -> str:
    """Write ``entry`` as extended JSON to a new file in ``folder``; return its path."""
    os.makedirs(folder, exist_ok=True)
    stamp = _dt.datetime.utcnow().strftime("%Y%m%dT%H%M%S%f")
    run_id = re.sub(r"[^A-Za-z0-9_.-]", "_", str(entry.get("_id")))
    path = os.path.join(folder, f"{db_name}.{collection_name}_run_{run_id}_{stamp}.json")
    # A hidden temp name: a dump cut short (kill -9) never looks like a dump to readers.
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(dumps(to_extended_json(entry), indent=2))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path

"""How a MongoObserver inserts a new run document and obtains its ``_id``.

* No id given: an integer ``max(numeric _id) + 1``, inserted; a duplicate key
  (another process took that number) means: read the maximum again and retry,
  with a short random back-off, bounded in attempts and time. Many processes
  sharing one collection therefore get distinct ids and lose no run.
* An id given (``--id``, an earlier observer): inserted as is; an existing
  run with that id is an error (``overwrite=`` replaces it instead).
* ``overwrite=<id>``: the existing run is replaced and its metrics removed.
* A queued run claimed by a worker (``meta.queue.claim.token``): the worker's
  run replaces it, keeping its ``queue_time``.
"""

from __future__ import annotations

import random
import time
from typing import Any

from sacred.utils import ObserverError

__all__ = ["insert_given_id", "insert_new_id", "overwrite_run", "take_over_claimed"]

MAX_ID_ATTEMPTS = 1000
ID_DEADLINE_SECONDS = 120.0


def insert_new_id(runs: Any, entry: dict, where: str) -> Any:
    """Insert ``entry`` under the next free integer ``_id``; return that id."""
    from pymongo.errors import DuplicateKeyError

    deadline = time.monotonic() + ID_DEADLINE_SECONDS
    for attempt in range(MAX_ID_ATTEMPTS):
        latest = runs.find_one({"_id": {"$type": "number"}}, projection={"_id": 1},
                               sort=[("_id", -1)])
        entry["_id"] = (int(latest["_id"]) + 1) if latest else 1
        try:
            runs.insert_one(entry)
            return entry["_id"]
        except DuplicateKeyError:
            if time.monotonic() > deadline:
                break
            time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 50)))
    entry.pop("_id", None)
    raise ObserverError(
        f"MongoObserver: could not allocate a run id in {where} after "
        f"{attempt + 1} attempts: too many concurrent writers."
    )


def insert_given_id(runs: Any, entry: dict, where: str) -> Any:
    """Insert ``entry`` with the ``_id`` it has; refuse if a run already has it."""
    from pymongo.errors import DuplicateKeyError

    try:
        runs.insert_one(entry)
    except DuplicateKeyError:
        raise ObserverError(
            f"MongoObserver: a run with _id {entry['_id']!r} already exists in "
            f"{where}; use overwrite= to replace it."
        ) from None
    return entry["_id"]


def overwrite_run(runs: Any, metrics: Any, entry: dict, run_id: Any, where: str) -> Any:
    """Replace the stored run ``run_id`` by ``entry`` and delete its metrics."""
    if runs.find_one({"_id": run_id}, projection={"_id": 1}) is None:
        raise ObserverError(
            f"MongoObserver: cannot overwrite run {run_id!r}: no such run in {where}."
        )
    entry["_id"] = run_id
    metrics.delete_many({"run_id": run_id})
    runs.replace_one({"_id": run_id}, entry)
    return run_id


def take_over_claimed(runs: Any, entry: dict, token: str) -> bool:
    """Replace the stored run ``entry["_id"]`` if a worker claimed it with ``token``; True if done."""
    if entry.get("_id") is None:
        return False
    query = {"_id": entry["_id"], "meta.queue.claim.token": token}
    stored = runs.find_one(query, projection={"queue_time": 1})
    if stored is None:
        return False
    if stored.get("queue_time") is not None:
        entry.setdefault("queue_time", stored["queue_time"])
    return runs.replace_one(query, entry).matched_count == 1

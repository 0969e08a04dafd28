"""Dead runs: which RUNNING runs stopped beating, and what their next attempt looks like.

The rule itself is :mod:`sacred.liveness` (shared with every reader); this
module reads the beat interval a run was started with from its stored meta
info and builds the meta info of a requeued attempt
(``meta_info["attempt_of"]``, ``meta_info["attempt"]``).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sacred.liveness import DEFAULT_DEAD_MULTIPLE, DEFAULT_MIN_DEAD_SECONDS, is_dead

__all__ = ["DeadPolicy", "attempt_meta", "attempt_number", "beat_interval_of", "link_attempt"]

_BEAT_KEYS = ("--beat_interval", "--beat-interval", "beat_interval")


def beat_interval_of(meta: dict | None) -> float | None:
    """The ``--beat_interval`` the run was started with (None: the default)."""
    if not isinstance(meta, dict):
        return None
    sources = [meta.get("options"), (meta.get("queue") or {}).get("options")]
    for options in sources:
        if not isinstance(options, dict):
            continue
        for key in _BEAT_KEYS:
            value = options.get(key)
            if value is None or value is False:
                continue
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                continue
            if seconds > 0 and math.isfinite(seconds):
                return seconds
    return None


def attempt_number(meta: dict | None) -> int:
    """Which attempt the run with ``meta`` is (1 for the first)."""
    value = (meta or {}).get("attempt")
    return value if isinstance(value, int) and value > 0 else 1


def link_attempt(meta: dict, previous_id: Any, previous_meta: dict | None) -> dict:
    """``meta`` (changed in place, and returned) as the next attempt of run ``previous_id``.

    The one rule for every re-run of a lost run (a dead queued or direct run
    requeued by a worker, a point Dask runs again after losing its worker):
    ``meta_info["attempt_of"]`` names the lost run, ``meta_info["attempt"]``
    counts from 1 (the lost run's number + 1).
    """
    meta["attempt_of"] = previous_id
    meta["attempt"] = attempt_number(previous_meta) + 1
    return meta


def attempt_meta(dead_meta: dict, dead_id: Any, record: dict | None = None) -> dict:
    """The meta info of the next attempt of the dead run (queue record without its claim).

    ``record`` is the queue record to run it with; by default the dead run's own
    (a run started directly has none: the worker derives one, see
    :func:`sacred.queueing.record_from`).
    """
    meta = copy.deepcopy(dead_meta)
    record = copy.deepcopy(record) if record is not None else dict(meta.get("queue") or {})
    record.pop("claim", None)
    meta["queue"] = record
    link_attempt(meta, dead_id, dead_meta)
    meta.pop("queue_time", None)
    meta.pop("dead", None)
    meta.pop("requeued_as", None)
    return meta


@dataclass(frozen=True)
class DeadPolicy:
    """When a worker counts a RUNNING run as dead, and how often it requeues it."""

    multiple: float = DEFAULT_DEAD_MULTIPLE
    min_seconds: float = DEFAULT_MIN_DEAD_SECONDS
    max_attempts: int = 3

    def is_dead(self, last_beat: dt.datetime | None, beat_interval: float | None,
                now: dt.datetime | None = None) -> bool:
        """Whether a RUNNING run last seen beating at ``last_beat`` is dead now."""
        return is_dead("RUNNING", last_beat, beat_interval, now, self.multiple, self.min_seconds)

    def may_requeue(self, meta: dict | None) -> bool:
        """True if the dead run with ``meta`` may get another attempt."""
        return attempt_number(meta) < self.max_attempts

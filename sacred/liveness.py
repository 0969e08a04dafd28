"""When a stored run counts as DEAD: the one rule every reader and worker applies.

A run whose stored status is ``RUNNING`` but whose last heartbeat is older than
``multiple`` beat intervals (and at least ``min_seconds``) has stopped beating:
its process died without recording an end (``kill -9``, a lost machine, an
out-of-memory kill). Readers *show* such a run as ``DEAD``; only a worker or an
explicit command ever changes the stored status (see ``sacred worker
--requeue-dead``).
"""

from __future__ import annotations

import datetime as dt
import math

__all__ = ["DEAD", "DEFAULT_DEAD_MULTIPLE", "DEFAULT_MIN_DEAD_SECONDS", "is_dead", "shown_status"]

DEAD = "DEAD"
#: A run is dead after this many beat intervals without a heartbeat.
DEFAULT_DEAD_MULTIPLE = 6.0
#: ... and never before this many seconds (short beat intervals, a slow store).
DEFAULT_MIN_DEAD_SECONDS = 60.0
_DEFAULT_BEAT_INTERVAL = 10.0


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def dead_after_seconds(
    beat_interval: float | None,
    multiple: float = DEFAULT_DEAD_MULTIPLE,
    min_seconds: float = DEFAULT_MIN_DEAD_SECONDS,
) -> float:
    """Seconds without a heartbeat after which a run with ``beat_interval`` is dead."""
    interval = beat_interval if beat_interval and beat_interval > 0 and math.isfinite(beat_interval) \
        else _DEFAULT_BEAT_INTERVAL
    return max(min_seconds, multiple * interval)


def is_dead(
    status: str | None,
    last_beat: dt.datetime | None,
    beat_interval: float | None = None,
    now: dt.datetime | None = None,
    multiple: float = DEFAULT_DEAD_MULTIPLE,
    min_seconds: float = DEFAULT_MIN_DEAD_SECONDS,
) -> bool:
    """Whether a run stored as ``status`` with its last heartbeat at ``last_beat`` is dead.

    Times are naive UTC (as stored) or timezone-aware. Only ``RUNNING`` runs can
    be dead; a ``RUNNING`` run with no heartbeat at all is judged by ``last_beat``
    being None as not (yet) dead, since its start time is the caller's to pass.
    """
    if status != "RUNNING" or last_beat is None:
        return False
    now = _naive_utc(now) if now is not None else dt.datetime.now(dt.UTC).replace(tzinfo=None)
    silent = (now - _naive_utc(last_beat)).total_seconds()
    return silent > dead_after_seconds(beat_interval, multiple, min_seconds)


def shown_status(
    status: str | None,
    last_beat: dt.datetime | None,
    beat_interval: float | None = None,
    now: dt.datetime | None = None,
    multiple: float = DEFAULT_DEAD_MULTIPLE,
    min_seconds: float = DEFAULT_MIN_DEAD_SECONDS,
) -> str | None:
    """The status a reader shows: ``DEAD`` for a dead run, else the stored status."""
    if is_dead(status, last_beat, beat_interval, now, multiple, min_seconds):
        return DEAD
    return status

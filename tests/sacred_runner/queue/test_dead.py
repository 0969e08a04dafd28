"""Reading a run's beat interval, the dead-run policy and the next attempt's meta info."""

from __future__ import annotations

import datetime as dt

from sacred_runner.queue.dead import DeadPolicy, attempt_meta, attempt_number, beat_interval_of

T0 = dt.datetime(2026, 1, 1, 12, 0, 0)


def test_beat_interval_as_stored_by_runs_and_queue_records():
    assert beat_interval_of({"options": {"--beat-interval": "0.5"}}) == 0.5  # 0.8.7's spelling
    assert beat_interval_of({"options": {"--beat_interval": None}, "queue": {"options": {"--beat_interval": 2}}}) == 2
    assert beat_interval_of({"options": {"--beat-interval": "soon"}}) is None
    assert beat_interval_of({"options": {"--beat-interval": "-1"}}) is None
    assert beat_interval_of(None) is None


def test_policy_uses_the_multiple_and_the_minimum():
    policy = DeadPolicy(multiple=3, min_seconds=1, max_attempts=2)
    assert not policy.is_dead(T0, 0.2, now=T0 + dt.timedelta(seconds=0.9))
    assert policy.is_dead(T0, 0.2, now=T0 + dt.timedelta(seconds=1.1))
    assert not policy.is_dead(T0, 10, now=T0 + dt.timedelta(seconds=29))
    assert policy.is_dead(T0, 10, now=T0 + dt.timedelta(seconds=31))
    assert not policy.is_dead(None, 10, now=T0)
    assert policy.may_requeue({}) and not policy.may_requeue({"attempt": 2})


def test_next_attempt_links_to_the_dead_run_and_drops_the_claim():
    dead = {"command": "main", "queue": {"file": "exp.py", "claim": {"token": "t"}}, "attempt": 2,
            "attempt_of": 3, "dead": {"time": "x"}, "requeued_as": 9, "queue_time": "y"}
    meta = attempt_meta(dead, 7)
    assert meta["attempt_of"] == 7 and meta["attempt"] == 3
    assert meta["queue"] == {"file": "exp.py"}
    assert "dead" not in meta and "requeued_as" not in meta and "queue_time" not in meta
    assert dead["queue"]["claim"] == {"token": "t"}  # the dead run's own meta is not changed
    assert attempt_number({"attempt": "2"}) == 1

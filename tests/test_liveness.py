"""The DEAD rule shared by readers and workers."""

import datetime as dt

from sacred.liveness import DEAD, dead_after_seconds, is_dead, shown_status

NOW = dt.datetime(2026, 1, 1, 12, 0, 0)


def test_running_run_with_a_recent_beat_is_alive():
    assert not is_dead("RUNNING", NOW - dt.timedelta(seconds=30), beat_interval=10, now=NOW)


def test_running_run_silent_past_the_multiple_is_dead():
    assert is_dead("RUNNING", NOW - dt.timedelta(seconds=61), beat_interval=10, now=NOW)
    assert shown_status("RUNNING", NOW - dt.timedelta(hours=1), 10, now=NOW) == DEAD


def test_long_beat_intervals_scale_the_limit():
    assert dead_after_seconds(60) == 360
    assert not is_dead("RUNNING", NOW - dt.timedelta(seconds=300), beat_interval=60, now=NOW)


def test_only_running_runs_can_be_dead():
    old = NOW - dt.timedelta(days=3)
    for status in ("COMPLETED", "FAILED", "INTERRUPTED", "QUEUED", None):
        assert not is_dead(status, old, 10, now=NOW)
        assert shown_status(status, old, 10, now=NOW) == status


def test_aware_and_naive_times_compare():
    beat = (NOW - dt.timedelta(minutes=5)).replace(tzinfo=dt.UTC)
    assert is_dead("RUNNING", beat, 10, now=NOW)


def test_bad_beat_intervals_fall_back_to_the_default():
    for bad in (None, 0, -1, float("inf"), float("nan")):
        assert dead_after_seconds(bad) == 60

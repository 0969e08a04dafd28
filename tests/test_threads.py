"""Parked worker threads: every job runs, threads are reused, idle ones end."""

from __future__ import annotations

import threading
import time

from sacred._threads import ParkedThreads


def test_every_job_runs_while_waiting_threads_time_out_around_it():
    pool = ParkedThreads("test-parked", idle_exit=0.01)
    for round_ in range(40):
        done = threading.Event()
        count = [0]
        lock = threading.Lock()
        jobs = 1 + round_ % 5

        def job(count=count, lock=lock, done=done, jobs=jobs):
            with lock:
                count[0] += 1
                if count[0] == jobs:
                    done.set()

        for _ in range(jobs):
            pool.run(job)
        assert done.wait(30), f"round {round_}: {count[0]} of {jobs} jobs ran"
        time.sleep(0.003 * (round_ % 7))  # some waiting threads time out, some are reused


def test_a_finished_thread_is_reused_and_ends_when_idle():
    pool = ParkedThreads("test-reuse", idle_exit=0.5)
    idents = []
    for _ in range(3):
        ran = threading.Event()
        pool.run(lambda ran=ran: (idents.append(threading.get_ident()), ran.set()))
        assert ran.wait(30)
        deadline = time.monotonic() + 30
        while not pool._idle and time.monotonic() < deadline:
            time.sleep(0.005)
    assert len(set(idents)) == 1
    deadline = time.monotonic() + 30
    while any(t.name == "test-reuse" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(t.name == "test-reuse" for t in threading.enumerate())


def test_a_thread_that_ends_removes_its_own_waiting_slot_not_an_equal_one():
    """A stale slot left behind would take a job that no thread runs (a flush waited forever)."""
    pool = ParkedThreads("test-own-slot", idle_exit=0.05)
    ran = threading.Event()
    pool.run(ran.set)
    assert ran.wait(30)
    deadline = time.monotonic() + 30
    while not pool._idle and time.monotonic() < deadline:
        time.sleep(0.001)
    other: list = [None]  # another waiting thread's slot, equal to this one's
    with pool._cond:
        pool._idle.insert(0, other)
    while any(t.name == "test-own-slot" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(pool._idle) == 1 and pool._idle[0] is other

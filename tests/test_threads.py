"""Parked worker threads: every job runs, threads are reused, idle ones end."""

from __future__ import annotations

import os
import threading
import time

import pytest

from sacred._threads import ParkedThreads, _Slot


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
    other = _Slot(pool._lock)  # another waiting thread's slot
    with pool._lock:
        pool._idle.insert(0, other)
    while any(t.name == "test-own-slot" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(pool._idle) == 1 and pool._idle[0] is other


def _switches(native_id: int) -> int:
    with open(f"/proc/self/task/{native_id}/status") as status:
        for line in status:
            if line.startswith("voluntary_ctxt_switches"):
                return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches line")


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux's /proc")
def test_a_job_wakes_one_waiting_thread_not_all_of_them():
    """Each run hands its capture reader a job; with several threads waiting, waking all
    of them for it cost each a context switch and a turn at the GIL, every run."""
    pool = ParkedThreads("test-wake-one", idle_exit=5)
    release = threading.Event()
    started = []
    for _ in range(5):  # five at once: five threads, all waiting afterwards
        pool.run(lambda: (started.append(threading.current_thread().native_id), release.wait(30)))
    deadline = time.monotonic() + 30
    while len(started) < 5 and time.monotonic() < deadline:
        time.sleep(0.005)
    release.set()
    while len(pool._idle) < 5 and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.05)  # every thread is inside its wait
    before = {tid: _switches(tid) for tid in started}
    ran = []
    for _ in range(20):
        done = threading.Event()
        pool.run(lambda done=done: (ran.append(threading.current_thread().native_id), done.set()))
        assert done.wait(30)
        while len(pool._idle) < 5 and time.monotonic() < deadline:
            time.sleep(0.001)
    woken = {tid for tid in started if _switches(tid) != before[tid]}
    assert woken == set(ran) and len(woken) <= 2  # the thread parked last takes each job

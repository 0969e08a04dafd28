"""Four ``sacred worker`` processes drain 200 queued runs: each runs exactly once, none stays QUEUED."""

from __future__ import annotations

from collections import Counter

import pytest

RUNS = 200
WORKERS = 4


@pytest.mark.parametrize("store_kind", ["postgresql", "mongo", "file"], indirect=True)
def test_four_workers_drain_the_queue_running_each_run_exactly_once(queue_env):
    log = queue_env.project / "executed.log"
    ids = queue_env.queue(RUNS, log=str(log))
    assert len(set(map(str, ids))) == RUNS
    workers = [queue_env.start_worker("--idle-timeout", "3", "--poll-interval", "0.1", "-q")
               for _ in range(WORKERS)]
    codes = [queue_env.wait(worker) for worker in workers]
    assert codes == [0] * WORKERS, [queue_env.output(w) for w in workers]

    executed = Counter(log.read_text().split())
    assert set(executed) == {str(i) for i in ids}
    assert max(executed.values()) == 1, [i for i, c in executed.items() if c > 1]
    runs = queue_env.runs()
    assert len(runs) == RUNS  # the same runs, no new ones
    assert Counter(run["status"] for run in runs.values()) == {"COMPLETED": RUNS}
    claimed_by = Counter(run["meta"]["queue"]["claim"]["worker"]["pid"] for run in runs.values())
    assert len(claimed_by) > 1  # the work was shared
    assert sorted(run["result"] for run in runs.values()) == list(range(RUNS))


@pytest.mark.parametrize("store_kind", ["sqlite"], indirect=True)
def test_workers_share_a_sqlite_queue_through_immediate_transactions(queue_env):
    log = queue_env.project / "executed.log"
    ids = queue_env.queue(40, log=str(log))
    workers = [queue_env.start_worker("--idle-timeout", "3", "--poll-interval", "0.1", "-q") for _ in range(3)]
    assert [queue_env.wait(worker) for worker in workers] == [0, 0, 0]
    assert sorted(log.read_text().split()) == sorted(str(i) for i in ids)
    assert {run["status"] for run in queue_env.runs().values()} == {"COMPLETED"}

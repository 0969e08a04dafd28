"""The claim primitive of each store, and observers taking over only the run they were given."""

from __future__ import annotations

import pytest

from sacred.utils import ObserverError
from sacred_runner.queue import WorkerIdentity, open_queue_store


def claim_next(queue_env, accept=lambda run_id, record: True):
    store = open_queue_store(queue_env.spec)
    try:
        return store, store.claim(WorkerIdentity(name="test"), accept)
    except BaseException:
        store.close()
        raise


def test_a_claim_turns_the_run_running_with_a_heartbeat_and_a_token_once(queue_env):
    [run_id] = queue_env.queue(1)
    store, claim = claim_next(queue_env)
    try:
        assert str(claim.run_id) == str(run_id)
        assert len(claim.token) == 32
        assert claim.record["claim"]["worker"]["name"] == "test"
        stored = queue_env.runs()[str(run_id)]
        assert stored["status"] == "RUNNING" and stored["heartbeat"] is not None
        assert stored["meta"]["queue"]["claim"]["token"] == claim.token
        assert store.claim(WorkerIdentity(), lambda run_id, record: True) is None  # nothing left
    finally:
        store.close()


def test_a_run_the_worker_does_not_accept_stays_queued(queue_env):
    queue_env.queue(2)
    seen = []
    store, claim = claim_next(queue_env, lambda run_id, record: seen.append(run_id) or False)
    store.close()
    assert claim is None and len(seen) == 2
    assert {run["status"] for run in queue_env.runs().values()} == {"QUEUED"}


def test_end_claimed_records_the_status_and_reason(queue_env):
    [run_id] = queue_env.queue(1)
    store, claim = claim_next(queue_env)
    try:
        store.end_claimed(claim, "FAILED", "no such file")
    finally:
        store.close()
    assert queue_env.runs()[str(run_id)]["status"] == "FAILED"


def _start_with_id(queue_env, run_id, token=None):
    experiment = queue_env.experiment()
    experiment.observers[:] = [queue_env.observer()]
    meta = {"queue": {"claim": {"token": token}}} if token else None
    try:
        return experiment.run(options={"--id": run_id}, meta_info=meta)
    finally:
        experiment.observers[:] = []


@pytest.mark.parametrize("token", [None, "not-the-claim-token"])
def test_an_observer_refuses_an_existing_id_without_the_claim_token(queue_env, token):
    [run_id] = queue_env.queue(1)
    store, claim = claim_next(queue_env)
    store.close()
    with pytest.raises((ObserverError, FileExistsError)):
        _start_with_id(queue_env, claim.run_id, token)
    stored = queue_env.runs()[str(run_id)]
    assert stored["status"] == "RUNNING" and stored["start_time"] is None  # untouched
    assert stored["meta"]["queue"]["claim"]["token"] == claim.token


def test_an_observer_takes_over_the_claimed_run_with_its_token(queue_env):
    [run_id] = queue_env.queue(1, n=5)
    store, claim = claim_next(queue_env)
    store.close()
    run = _start_with_id(queue_env, claim.run_id, claim.token)
    assert str(run._id) == str(run_id)
    runs = queue_env.runs()
    assert list(runs) == [str(run_id)]
    assert runs[str(run_id)]["status"] == "COMPLETED"


def test_a_claim_looks_past_many_runs_it_does_not_accept(queue_env):
    ids = queue_env.queue(40)
    wanted = str(ids[-1])
    store, claim = claim_next(queue_env, lambda run_id, record: str(run_id) == wanted)
    store.close()
    assert str(claim.run_id) == wanted

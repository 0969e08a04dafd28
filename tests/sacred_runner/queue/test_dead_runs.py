"""kill -9 a worker mid-run: the run turns DEAD, is requeued as a new attempt and completes elsewhere."""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest

from sacred.liveness import shown_status


def _dead_after_seconds_flags() -> list[str]:
    # dead after 3 beats of 0.2 s, and at least 1 s: short, but well above a slow beat
    return ["--requeue-dead", "--dead-after-beats", "3", "--dead-min-seconds", "1"]


@pytest.mark.parametrize("store_kind", ["file", "mongo", "postgresql"], indirect=True)
def test_killed_run_turns_dead_is_requeued_and_completes_on_another_worker(queue_env):
    hang = queue_env.project / "hang.flag"
    hang.write_text("hang once")
    [run_id] = queue_env.queue(1, beat_interval=0.2, hang_file=str(hang), n=7)
    first = queue_env.start_worker("--poll-interval", "0.1")
    # the first attempt stored its metric, artifact and output and is hanging
    runs = queue_env.wait_for(lambda r: not hang.exists() and r[str(run_id)]["status"] == "RUNNING"
                              and r[str(run_id)]["heartbeat"] is not None, what="the first attempt to beat")
    queue_env.wait_for(lambda r: r[str(run_id)]["heartbeat"] != runs[str(run_id)]["heartbeat"],
                       what="a second heartbeat (the artifact and metric are written by then)")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)

    second = queue_env.start_worker("--poll-interval", "0.1", "--idle-timeout", "4", *_dead_after_seconds_flags())
    assert queue_env.wait(second) == 0, queue_env.output(second)
    runs = queue_env.runs()
    assert len(runs) == 2
    dead = runs[str(run_id)]
    assert dead["status"] == "DEAD"
    [(new_id, attempt)] = [(k, v) for k, v in runs.items() if k != str(run_id)]
    assert str(dead["meta"]["requeued_as"]) == new_id
    assert attempt["status"] == "COMPLETED"
    assert attempt["result"] == 7
    assert str(attempt["meta"]["attempt_of"]) == str(run_id)
    assert attempt["meta"]["attempt"] == 2
    assert attempt["meta"]["queue"]["claim"]["worker"]["pid"] == second.pid
    out, _err = queue_env.output(second)
    assert f"run {run_id} is DEAD: requeued as run {new_id} (attempt 2)" in out
    _assert_first_attempt_kept(queue_env, run_id)


def _assert_first_attempt_kept(queue_env, run_id):
    """Nothing the dead attempt stored is lost: its metric, artifact and output are still there."""
    if queue_env.kind == "file":
        folder = os.path.join(queue_env.spec, str(run_id))
        with open(os.path.join(folder, "first_attempt.txt")) as f:
            assert f.read() == "stored by the first attempt"
        with open(os.path.join(folder, "cout.txt")) as f:
            assert "output of the first attempt" in f.read()
        from sacred.observers.file_storage import LocalBackend
        from sacred.observers.run_files._layout import read_metrics

        assert read_metrics(LocalBackend(), folder)["n"]["values"] == [7]
    elif queue_env.kind == "mongo":
        import pymongo

        client = pymongo.MongoClient(queue_env.mongo_url)
        try:
            db = client[queue_env.mongo_db]
            run = db.runs.find_one({"_id": run_id})
            assert "output of the first attempt" in run["captured_out"]
            assert [a["name"] for a in run["artifacts"]] == ["first_attempt.txt"]
            assert db.metrics.find_one({"run_id": run_id, "name": "n"})["values"] == [7]
        finally:
            client.close()
    else:
        import sqlalchemy as sa

        engine = sa.create_engine(queue_env.spec)
        try:
            with engine.connect() as conn:
                out = conn.execute(sa.text("SELECT captured_out FROM run WHERE run_id = :i"), {"i": str(run_id)})
                assert "output of the first attempt" in out.scalar()
                names = conn.execute(sa.text("SELECT filename FROM artifact WHERE run_id = :i"), {"i": str(run_id)})
                assert [r[0] for r in names] == ["first_attempt.txt"]
                values = conn.execute(sa.text("SELECT value FROM metric WHERE run_id = :i"), {"i": str(run_id)})
                assert [r[0] for r in values] == [7]
        finally:
            engine.dispose()


@pytest.mark.parametrize("store_kind", ["file"], indirect=True)
def test_a_dead_run_is_shown_dead_but_its_stored_status_is_left_to_workers(queue_env):
    hang = queue_env.project / "hang.flag"
    hang.write_text("hang once")
    [run_id] = queue_env.queue(1, beat_interval=0.2, hang_file=str(hang))
    first = queue_env.start_worker("--poll-interval", "0.1")
    queue_env.wait_for(lambda r: r[str(run_id)]["heartbeat"] is not None and not hang.exists(),
                       what="the run to beat")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    stored = queue_env.runs()[str(run_id)]
    last = dt.datetime.fromisoformat(stored["heartbeat"])
    assert shown_status(stored["status"], last, 0.2, now=last + dt.timedelta(seconds=0.5),
                        multiple=3, min_seconds=1) == "RUNNING"
    assert shown_status(stored["status"], last, 0.2, now=last + dt.timedelta(seconds=2),
                        multiple=3, min_seconds=1) == "DEAD"
    assert stored["status"] == "RUNNING"  # reading never changes the stored status


@pytest.mark.parametrize("store_kind", ["file"], indirect=True)
def test_a_run_out_of_attempts_is_marked_dead_and_not_requeued(queue_env):
    hang = queue_env.project / "hang.flag"
    hang.write_text("hang once")
    [run_id] = queue_env.queue(1, beat_interval=0.2, hang_file=str(hang))
    first = queue_env.start_worker("--poll-interval", "0.1")
    queue_env.wait_for(lambda r: r[str(run_id)]["heartbeat"] is not None and not hang.exists(),
                       what="the run to beat")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    second = queue_env.start_worker("--poll-interval", "0.1", "--idle-timeout", "4", "--max-attempts", "1",
                                    *_dead_after_seconds_flags())
    assert queue_env.wait(second) == 0
    runs = queue_env.runs()
    assert list(runs) == [str(run_id)]
    assert runs[str(run_id)]["status"] == "DEAD"
    assert f"run {run_id} is DEAD (attempt 1 of 1): not requeued" in queue_env.output(second)[0]


@pytest.mark.parametrize("store_kind", ["file"], indirect=True)
def test_a_claim_whose_worker_died_before_the_run_turned_running_is_requeued(queue_env):
    import json

    [run_id] = queue_env.queue(1, n=3)
    claim = {"token": "t" * 32, "worker": {"host": "gone", "pid": 1, "name": "gone:1"},
             "time": (dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=5)).isoformat()}
    with open(os.path.join(queue_env.spec, str(run_id), ".claim"), "w") as f:
        json.dump(claim, f)  # as a worker killed right after its atomic link leaves it
    worker = queue_env.start_worker("--poll-interval", "0.1", "--idle-timeout", "2", *_dead_after_seconds_flags())
    assert queue_env.wait(worker) == 0, queue_env.output(worker)
    runs = queue_env.runs()
    assert runs[str(run_id)]["status"] == "DEAD"
    [attempt] = [run for key, run in runs.items() if key != str(run_id)]
    assert attempt["status"] == "COMPLETED" and attempt["result"] == 3
    assert str(attempt["meta"]["attempt_of"]) == str(run_id)

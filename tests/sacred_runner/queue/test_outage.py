"""The store goes away under a running worker and comes back: the worker waits and goes on."""

from __future__ import annotations

import os
import signal
import textwrap
import time

from tests.sacred_runner.queue.conftest import EXPERIMENT, QueueEnv


def test_worker_waits_for_a_restarted_mongodb_and_goes_on(restartable_mongo_server, tmp_path):
    server = restartable_mongo_server
    project = tmp_path / "project"
    project.mkdir()
    (project / "exp_drain.py").write_text(textwrap.dedent(EXPERIMENT))
    env = QueueEnv("mongo", project, f"{server.url}/queue_outage", mongo_url=server.url, mongo_db="queue_outage")
    try:
        [first] = env.queue(1, n=1)
        worker = env.start_worker("--poll-interval", "0.1", "--idle-timeout", "60")
        env.wait_for(lambda runs: runs[str(first)]["status"] == "COMPLETED", what="the first run")
        server.stop()
        deadline = time.monotonic() + 30
        while "cannot be reached" not in env.output(worker)[1] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.poll() is None  # still there, waiting
        server.start()
        [second] = env.queue(1, n=2)
        runs = env.wait_for(lambda runs: runs[str(second)]["status"] == "COMPLETED", what="the run queued after")
        assert runs[str(second)]["result"] == 2
        os.kill(worker.pid, signal.SIGTERM)
        assert env.wait(worker, timeout=60) == 0
        _out, err = env.output(worker)
        assert "cannot be reached" in err and "is reachable again" in err
    finally:
        env.stop_all()

"""The store goes away under a running worker and comes back: the worker waits and goes on.

MongoDB: the nx-27017 server itself is stopped and restarted. PostgreSQL (a
shared server that tests must not stop): the worker reaches it through a
loopback TCP proxy that is stopped and restarted.
"""

from __future__ import annotations

import os
import signal
import textwrap
import time
import uuid

import pytest

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


def test_worker_waits_for_a_postgresql_that_went_away_and_goes_on(tmp_path):
    import sqlalchemy as sa

    from tests.fixtures.tcp_proxy import TcpProxy
    from tests.sacred_runner.queue.conftest import _postgres_unavailable, postgres_base_url

    reason = _postgres_unavailable()
    if reason:
        pytest.skip(reason)
    base = sa.engine.make_url(postgres_base_url())
    proxy = TcpProxy(base.port or 5432)
    proxy.start()
    schema = f"sacred_q_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_base_url())
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    through_proxy = base.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    project = tmp_path / "project"
    project.mkdir()
    (project / "exp_drain.py").write_text(textwrap.dedent(EXPERIMENT))
    env = QueueEnv("postgresql", project, f"{through_proxy}?options=-csearch_path%3D{schema}")
    try:
        [first] = env.queue(1, n=1)
        worker = env.start_worker("--poll-interval", "0.1", "--idle-timeout", "60")
        env.wait_for(lambda runs: runs[str(first)]["status"] == "COMPLETED", what="the first run")
        proxy.stop()
        deadline = time.monotonic() + 30
        while "cannot be reached" not in env.output(worker)[1] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "cannot be reached" in env.output(worker)[1]
        assert worker.poll() is None
        proxy.start()
        [second] = env.queue(1, n=2)
        runs = env.wait_for(lambda runs: runs[str(second)]["status"] == "COMPLETED", what="the run queued after")
        assert runs[str(second)]["result"] == 2
        os.kill(worker.pid, signal.SIGTERM)
        assert env.wait(worker, timeout=60) == 0
        assert "is reachable again" in env.output(worker)[1]
    finally:
        env.stop_all()
        proxy.stop()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

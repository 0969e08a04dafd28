"""SIGTERM to ``sacred run`` (the runner alone, as a scheduler sends it): exit 143, says SIGTERM, loses nothing.

Every launcher: in-process (the default), ``--isolate`` and ``-n 2``. Running
runs are recorded INTERRUPTED, the summary is printed, no run process is left
behind. Ctrl+C (SIGINT) stays exit 2, like pytest.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.sacred_runner.conftest import REPO_ROOT

WAITING = """\
    import os, time
    from pathlib import Path
    from sacred import Experiment
    ex = Experiment("wait")
    @ex.config
    def cfg():
        k = 0
    @ex.automain
    def main(k):
        Path(f"pid{k}.txt").write_text(str(os.getpid()))
        for _ in range(600):
            time.sleep(0.1)
    """

MODES = {
    "in-process": ([], [0]),
    "isolate": (["--isolate"], [0]),
    "pool": (["-n", "2", "-M", "with", "k=1,2"], [1, 2]),
}


def _start(sacredtester, args, ks):
    """``sacred run ARGS`` in its own session; wait (bounded) until each run wrote its pid."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    env.pop("SACRED_ADDOPTS", None)
    process = subprocess.Popen([sys.executable, "-m", "sacred_runner", "run", "--color=no", *args],
                               cwd=sacredtester.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    files = [sacredtester.path / f"pid{k}.txt" for k in ks]
    deadline = time.monotonic() + 90
    while not all(f.exists() and f.read_text() for f in files):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError(f"the runs never started: {process.communicate()}")
        time.sleep(0.05)
    return process, [int(f.read_text()) for f in files]


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _stored_statuses(sacredtester):
    root = sacredtester.path / ".sacred" / "runs"
    return sorted(json.loads(p.read_text())["status"] for p in root.glob("*/run.json"))


def _stop(process, signum):
    try:
        process.send_signal(signum)
        return process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.mark.parametrize("mode", list(MODES))
def test_sigterm_to_sacred_run_exits_143_records_interrupted_and_leaves_no_child(sacredtester, mode):
    args, ks = MODES[mode]
    sacredtester.write("exp_wait.py", WAITING)
    process, pids = _start(sacredtester, args, ks)
    out, err = _stop(process, signal.SIGTERM)
    assert process.returncode == 143, out + err
    assert "Interrupted by SIGTERM: " in out, out
    assert "summary" in out or "sweep id" in out, out
    assert "Traceback" not in err, err
    assert _stored_statuses(sacredtester) == ["INTERRUPTED"] * len(ks)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids), "a run process outlived the runner"


def test_ctrl_c_to_sacred_run_stays_exit_2(sacredtester):
    sacredtester.write("exp_wait.py", WAITING)
    process, _pids = _start(sacredtester, [], [0])
    out, err = _stop(process, signal.SIGINT)
    assert process.returncode == 2, out + err
    assert "Interrupted: " in out and "SIGTERM" not in out
    assert _stored_statuses(sacredtester) == ["INTERRUPTED"]

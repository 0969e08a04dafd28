"""sacred.vcs: git commands started together, and nothing left running when one fails."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sacred import vcs

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as git")


def fake_git(tmp_path: Path, body: str) -> Path:
    """A stand-in git executable: ``$1`` and ``$2`` are ``-C`` and the root, ``$3`` the command."""
    script = tmp_path / "fake-git"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
def started(monkeypatch):
    """Every Popen that vcs starts, to check afterwards that none is left running."""
    procs = []
    real = vcs._start_git

    def recording(root, *args):
        proc = real(root, *args)
        procs.append(proc)
        return proc

    monkeypatch.setattr(vcs, "_start_git", recording)
    return procs


def test_commands_run_at_the_same_time(tmp_path, monkeypatch, started):
    # "first" finishes only once "second" has started: run one after the other, it would wait
    marker = tmp_path / "second-started"
    script = fake_git(tmp_path, f"""
if [ "$3" = second ]; then touch {marker}; echo two; exit 0; fi
i=0
while [ ! -e {marker} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
[ -e {marker} ] && echo one && exit 0
exit 3
""")
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", str(script))
    first, second = vcs._run_git_together(str(tmp_path), ("first",), ("second",))
    assert (first.returncode, first.stdout.strip()) == (0, "one")
    assert (second.returncode, second.stdout.strip()) == (0, "two")


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie awaiting its reaper is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_timeout_kills_and_reaps_every_started_git(tmp_path, monkeypatch, started):
    # each fake git starts a child of its own (as git starts helpers) and waits for it
    script = fake_git(tmp_path, f"sleep 600 >/dev/null 2>&1 & echo $! > {tmp_path}/child-$3; wait\n")
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", str(script))
    monkeypatch.setattr(vcs, "GIT_TIMEOUT", 0.5)
    with pytest.raises(subprocess.TimeoutExpired):
        vcs._run_git_together(str(tmp_path), ("a",), ("b",))
    assert len(started) == 2
    assert all(proc.returncode is not None for proc in started)  # killed and waited for
    if Path("/proc/self/stat").exists():
        children = [int((tmp_path / f"child-{name}").read_text()) for name in ("a", "b")]
        # SIGKILL takes effect asynchronously: allow the kernel a bounded while to end them
        deadline = time.monotonic() + 20
        while any(_running(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not any(_running(pid) for pid in children), "the fake gits' children still run"


def test_a_git_that_cannot_start_stops_the_ones_already_started(tmp_path, monkeypatch, started):
    script = fake_git(tmp_path, "sleep 60\n")
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", str(script))
    calls = []
    real = vcs._start_git

    def second_fails(root, *args):
        calls.append(args)
        if len(calls) == 2:
            raise OSError("cannot start")
        return real(root, *args)

    monkeypatch.setattr(vcs, "_start_git", second_fails)
    with pytest.raises(OSError, match="cannot start"):
        vcs._run_git_together(str(tmp_path), ("a",), ("b",))
    assert len(started) == 1 and started[0].returncode is not None


def test_a_repository_whose_git_hangs_is_recorded_without_git_state(tmp_path, monkeypatch, caplog):
    (tmp_path / ".git").mkdir()
    (tmp_path / "exp.py").write_text("x = 1\n")
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", str(fake_git(tmp_path, "sleep 60\n")))
    monkeypatch.setattr(vcs, "GIT_TIMEOUT", 0.2)
    assert vcs.get_commit_if_possible(tmp_path / "exp.py", True) == (None, None, None)
    assert "git status failed" in caplog.text
    assert vcs.uncommitted_patch(tmp_path / "exp.py", 1000) is None
    assert os.path.exists(tmp_path / "exp.py")

"""Live lines keep what tells runs apart: sweep points on an 80-column terminal show their values."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred_runner.live_labels import distinct_labels

LONG_BASE = "exp_a_rather_long_experiment_file.py::training::fit"


def test_sweep_points_keep_their_differing_values_when_cut():
    ids = [f"{LONG_BASE}[steps={n},learning_rate=0.001]" for n in (1, 2)]
    for width in (30, 40, 50, 60):
        labels = distinct_labels(ids, width)
        assert all(len(label) <= width for label in labels)
        assert len(set(labels)) == 2, labels
        assert "steps=1" in labels[0] and "steps=2" in labels[1]


def test_ids_that_fit_are_left_alone_and_same_beginnings_keep_their_ends():
    assert distinct_labels(["a.py::ex::main"], 80) == ["a.py::ex::main"]
    ids = ["dir/sub/exp_aaaa1.py::ex::main", "dir/sub/exp_aaaa2.py::ex::main"]
    assert distinct_labels(ids, 20) == ["dir/sub/exp_aaaa1.p…", "dir/sub/exp_aaaa2.p…"]  # apart already
    assert distinct_labels(ids, 14) == ["…" + ids[0][-13:], "…" + ids[1][-13:]]  # same beginnings: the ends
    assert distinct_labels(["dir/one.py::ex::main", "dir/two.py::ex::main"], 12) == ["dir/one.py:…", "dir/two.py:…"]


@given(
    width=st.integers(min_value=1, max_value=120),
    values=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=6, unique=True),
    base=st.text(alphabet="abcxyz_.:/", min_size=1, max_size=80),
)
def test_labels_fit_and_points_stay_distinct_when_their_values_fit(width, values, base):
    ids = [f"{base}[seed=3,lr={v},steps=10]" for v in values]
    labels = distinct_labels(ids, width)
    assert all(len(label) <= width for label in labels)
    if width >= max(len(f"[…lr={v}]") for v in values):
        assert len(set(labels)) == len(ids), labels


WAITING_POINT = """\
    import time
    from pathlib import Path
    from sacred import Experiment
    ex = Experiment("training")
    @ex.config
    def cfg():
        steps = 0
        learning_rate = 0.001
    @ex.main
    def fit(steps, learning_rate):
        Path(f"started{steps}").write_text("x")
        deadline = time.monotonic() + 60
        while not Path("release").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    """


def test_on_an_80_column_terminal_two_running_sweep_points_read_apart(sacredtester):
    pyte = pytest.importorskip("pyte")
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    from tests.sacred_runner.conftest import REPO_ROOT

    sacredtester.write("exp_a_rather_long_experiment_file.py", WAITING_POINT)
    parent_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = dict(os.environ, COLUMNS="80", LINES="24", TERM="xterm-256color", PYTHONPATH=str(REPO_ROOT))
    for name in ("SACRED_ADDOPTS", "NO_COLOR", "FORCE_COLOR"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "sacred_runner", "run", "exp_a_rather_long_experiment_file.py::training::fit",
         "-n", "2", "-M", "with", "steps=1,2", "learning_rate=0.001"],
        cwd=sacredtester.path, stdout=child_fd, stderr=child_fd, env=env, start_new_session=True)
    os.close(child_fd)
    screen = pyte.Screen(80, 24)
    stream = pyte.ByteStream(screen)
    seen: list[str] = []
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            try:
                data = os.read(parent_fd, 65536)
            except OSError:
                break
            if not data:
                break
            stream.feed(data)
            running = [line.rstrip() for line in screen.display if "RUNNING" in line]
            if len(running) == 2 and not seen:
                seen = running
                (sacredtester.path / "release").write_text("go")
    finally:
        os.close(parent_fd)
        if process.poll() is None:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
    assert process.returncode == 0
    assert len(seen) == 2, "never saw both points running"
    assert all(len(line) <= 80 for line in seen)
    labels = sorted(line.split("  RUNNING")[0] for line in seen)
    assert labels[0] != labels[1], seen
    assert "steps=1" in labels[0] and "steps=2" in labels[1], seen

"""The terminal reporter: plain vs live output, verbosity, trace filtering, the summary table."""

from __future__ import annotations

import re
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred_runner.reporter import filter_trace, format_metrics, live_row_texts

ANSI = re.compile(r"\x1b\[")


def metric_experiment(sacredtester, name="exp_m.py"):
    sacredtester.write(name, """\
        from sacred import Experiment
        ex = Experiment("m")
        @ex.automain
        def main(_run):
            for step in range(3):
                _run.log_scalar("loss", 1.0 / (step + 1))
            return "done"
        """)


def test_plain_output_is_color_free_and_stable(sacredtester):
    metric_experiment(sacredtester)
    result = sacredtester.run("run", "--color=no")
    assert not ANSI.search(result.stdout)
    lines = result.lines
    assert lines[0].startswith("=") and "sacred session starts" in lines[0]
    assert any(re.fullmatch(r"exp_m\.py::m::main COMPLETED \d+\.\d\ds result='done' id=1", line) for line in lines)
    header = next(line for line in lines if line.startswith("experiment"))
    assert header.split() == ["experiment", "command", "status", "duration", "result", "run", "id", "store"]
    assert re.search(r"=+ 1 completed in \d+\.\d\ds =+$", result.stdout.strip())


def test_quiet_and_verbose(sacredtester):
    metric_experiment(sacredtester)
    quiet = sacredtester.run("run", "-q")
    assert "sacred session starts" not in quiet.stdout and "summary" not in quiet.stdout
    assert "1 completed" in quiet.stdout
    verbose = sacredtester.run("run", "-v")
    assert "exp_m.py::m::main STARTED id=2" in verbose.stdout
    assert "loss=0.3333" in verbose.stdout


CURSOR_MOVES = re.compile(r"\x1b\[\d*[AK]|\x1b\[\?25[lh]")  # cursor up, erase line, hide/show cursor
ANY_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_color_yes_in_a_pipe_gives_colored_lines_without_the_live_display(sacredtester):
    metric_experiment(sacredtester)
    result = sacredtester.run("run", "--color=yes")
    assert result.ret == 0
    assert ANSI.search(result.stdout)  # colors
    assert not CURSOR_MOVES.search(result.stdout)  # but no live redrawing into the pipe
    plain = ANY_ESCAPE.sub("", result.stdout)
    assert re.search(r"exp_m\.py::m::main COMPLETED \d+\.\d\ds result='done' id=1", plain)
    assert re.search(r"^exp_m\.py::m +main +COMPLETED", plain, re.MULTILINE)  # the summary row
    assert "1 completed" in plain


def run_on_a_terminal(sacredtester, *args, columns=80, timeout=60.0):
    """Run ``sacred ARGS`` in a subprocess whose stdout is a pseudo-terminal ``columns`` wide."""
    pty = pytest.importorskip("pty")
    import fcntl
    import os
    import struct
    import subprocess
    import sys
    import termios
    import time

    from tests.sacred_runner.conftest import REPO_ROOT

    parent_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = dict(os.environ, COLUMNS=str(columns), TERM="xterm-256color", PYTHONPATH=str(REPO_ROOT))
    for name in ("SACRED_ADDOPTS", "NO_COLOR", "FORCE_COLOR"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, "-m", "sacred_runner", *args], cwd=sacredtester.path,
                               stdout=child_fd, stderr=child_fd, env=env)
    os.close(child_fd)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                data = os.read(parent_fd, 65536)
            except OSError:  # the terminal closed: the process ended
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(parent_fd)
        process.wait(timeout=timeout)
    return process.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_on_a_terminal_the_live_display_shows_progress_and_a_table(sacredtester):
    metric_experiment(sacredtester)
    code, output = run_on_a_terminal(sacredtester, "run")
    assert code == 0, output
    assert CURSOR_MOVES.search(output)  # live redrawing
    plain = ANY_ESCAPE.sub("", output)
    assert "1/1 runs" in plain  # the progress bar's counter
    assert "loss=0.3333" in plain  # the live line's latest metric
    assert re.search(r"^experiment +command +status +duration +result +run id +store", plain, re.MULTILINE)


def test_a_narrow_terminal_gets_short_separators_and_an_untruncated_summary(sacredtester):
    metric_experiment(sacredtester, name="exp_with_a_rather_long_file_name.py")
    code, output = run_on_a_terminal(sacredtester, "run", columns=40)
    assert code == 0, output
    plain = ANY_ESCAPE.sub("", output).replace("\r", "")
    separators = [line for line in plain.splitlines() if line.startswith("===")]
    assert separators and all(len(line) <= 40 for line in separators), separators
    summary = plain.split(" summary ")[1]
    assert "exp_with_a_rather_long_file_name.py::m" in summary.replace("\n", "")
    assert "1/1 runs" in plain


def test_filter_trace_drops_runner_frames_but_keeps_user_frames():
    trace = [
        "Traceback (most recent call last):\n",
        '  File "/site/sacred_runner/execute.py", line 10, in run\n    experiment.run()\n',
        '  File "/site/pluggy/_callers.py", line 5, in call\n    res = f()\n',
        '  File "/home/me/exp_a.py", line 3, in main\n    1 / 0\n',
        "ZeroDivisionError: division by zero\n",
    ]
    text = "".join(filter_trace(trace))
    assert "sacred_runner" not in text and "pluggy" not in text
    assert 'File "/home/me/exp_a.py", line 3' in text and "1 / 0" in text
    assert text.endswith("ZeroDivisionError: division by zero\n")


def test_format_metrics():
    assert format_metrics({"loss": 0.123456, "step": 3}) == "loss=0.1235 step=3"
    assert format_metrics({f"m{i}": i for i in range(9)}, limit=2) == "m0=0 m1=1"


def test_the_example_folder_runs_as_the_quick_start(sacredtester):
    from tests.sacred_runner.conftest import REPO_ROOT

    example = sacredtester.path / "experiments"
    shutil.copytree(REPO_ROOT / "examples" / "experiments", example,
                    ignore=shutil.ignore_patterns(".sacred", "__pycache__"))
    sacredtester._monkeypatch.chdir(example)
    sacredtester.path = example
    result = sacredtester.run("run")
    assert result.ret == 0, result.stdout + result.stderr
    assert "configfile: sacred.ini" in result.stdout
    assert "exp_regression.py::regression::fit COMPLETED" in result.stdout
    assert "exp_counting.py::counting::count COMPLETED" in result.stdout
    assert (example / ".sacred" / "runs" / "2" / "run.json").exists()
    careful = sacredtester.run("run", "with", "careful", "steps=20")
    assert careful.ret == 0
    assert "deselected exp_counting.py::counting::count: has no named config 'careful'" in careful.stdout


@given(
    width=st.integers(min_value=31, max_value=240),
    nodeids=st.lists(st.text(alphabet="abcxyz_.:/", min_size=1, max_size=120), min_size=1, max_size=5),
    metric_count=st.integers(min_value=0, max_value=6),
)
def test_live_rows_fit_the_width_and_never_cut_the_status(width, nodeids, metric_count):
    statuses = ["RUNNING", "INTERRUPTED", "COMPLETED", "FAILED", "QUEUED"]
    lines = [
        {"nodeid": nodeid, "status": statuses[i % 5], "begin": 0.0, "end": None,
         "metrics": {f"metric_number_{k}": 0.5 for k in range(metric_count)}}
        for i, nodeid in enumerate(nodeids)
    ]
    rows = live_row_texts(lines, width, now=12.5)
    for line, (nodeid, status, elapsed, metrics) in zip(lines, rows, strict=True):
        text = "  ".join(cell for cell in (nodeid, status, elapsed, metrics) if cell)
        assert len(text) <= width
        assert status.strip() == line["status"] and elapsed.strip() == "12.5s"
        assert nodeid.rstrip() == line["nodeid"] or nodeid.rstrip().endswith("…")

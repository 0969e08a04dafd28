"""The terminal reporter: plain vs live output, verbosity, trace filtering, the summary table."""

from __future__ import annotations

import re
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred_runner.reporter import (
    MIN_WIDTH_WITH_ELAPSED,
    filter_trace,
    format_metrics,
    live_row_texts,
)

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
    assert header.split() == ["experiment", "command", "with", "status", "duration", "result", "seed", "run", "id",
                              "store"]
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
    # the summary: 80 columns are too narrow for the table, so one block per run
    assert re.search(r"^exp_m\.py::m::main COMPLETED \d+\.\d\ds\n    result 'done', seed \d+, run 1, "
                     r"store \.sacred/runs/1$", plain, re.MULTILINE)
    assert "1 completed" in plain


def run_on_a_terminal(sacredtester, *args, columns=80, timeout=60.0, env=None, interrupt_after=None):
    """Run ``sacred ARGS`` in a subprocess whose stdout is a pseudo-terminal ``columns`` wide.

    With ``interrupt_after`` (bytes), send SIGINT (Ctrl+C) once the output contains them.
    """
    pty = pytest.importorskip("pty")
    import fcntl
    import os
    import signal
    import struct
    import subprocess
    import sys
    import termios
    import time

    from tests.sacred_runner.conftest import REPO_ROOT

    parent_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    extra_env = env
    env = dict(os.environ, COLUMNS=str(columns), TERM="xterm-256color", PYTHONPATH=str(REPO_ROOT))
    for name in ("SACRED_ADDOPTS", "NO_COLOR", "FORCE_COLOR"):
        env.pop(name, None)
    env.update(extra_env or {})
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
            if interrupt_after is not None and interrupt_after in b"".join(chunks[-2:]):
                process.send_signal(signal.SIGINT)
                interrupt_after = None
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
    assert re.search(r"^exp_m\.py::m::main COMPLETED \d+\.\d\ds\r?\n    result 'done', seed \d+, run 1, "
                     r"store \.sacred/runs/1\r?$", plain, re.MULTILINE)


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
    width=st.integers(min_value=14, max_value=240),
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
        assert status.strip() == line["status"]
        assert elapsed.strip() == ("12.5s" if width >= MIN_WIDTH_WITH_ELAPSED else "")
        assert _shows(nodeid.rstrip(), line["nodeid"])


def _shows(shown: str, nodeid: str) -> bool:
    """``shown`` is ``nodeid``, or ``nodeid`` with parts left out at each ``…``.

    The live display cuts the end (``exp.py::ex::fi…``), the beginning when ids
    begin alike (``…:fit``) or the middle of a sweep point (``exp.py::ex::fit…[…steps=2]``).
    """
    import re

    if shown == nodeid:
        return True
    if "…" not in shown:
        return False
    pattern = ".*".join(re.escape(part) for part in shown.split("…"))
    return re.fullmatch(pattern, nodeid, flags=re.DOTALL) is not None


def final_screen(output: str, columns: int) -> list[str]:
    """Every line a terminal ``columns`` wide shows after ``output``: scrolled-off lines, then the screen."""
    pyte = pytest.importorskip("pyte")
    screen = pyte.HistoryScreen(columns, 24, history=100_000, ratio=0.001)
    pyte.Stream(screen).feed(output)
    scrolled = ["".join(line[x].data for x in range(columns)).rstrip() for line in screen.history.top]
    lines = scrolled + [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:  # the unused rows below the last line
        lines.pop()
    return lines


PRINTING_EXPERIMENT = """\
    import sys
    import time
    from sacred import Experiment
    ex = Experiment("printer")
    @ex.automain
    def main(_run):
        for i in range(10000):
            print(f"line {i:05d}")
        for percent in range(0, 101, 10):  # a tqdm-style bar on stderr
            sys.stderr.write(f"\\rprogress {percent:3d}%|{'#' * (percent // 10):<10}|")
            sys.stderr.flush()
            time.sleep(0.01)
        sys.stderr.write("\\n")
        _run.log_scalar("loss", 0.5)
        sys.stdout.write("no newline at the end")
        return "done"
    """


@pytest.mark.parametrize("capture", ["fd", "sys", "no"])
def test_what_runs_print_appears_cleanly_above_the_live_display(sacredtester, capture):
    sacredtester.write("exp_printer.py", PRINTING_EXPERIMENT)
    sacredtester.write("exp_second.py", """\
        from sacred import Experiment
        ex = Experiment("second")
        @ex.automain
        def main():
            print("second says hi")
        """)
    code, output = run_on_a_terminal(sacredtester, "run", f"--capture={capture}", "-l", "WARNING")
    assert code == 0, output[-3000:]
    assert CURSOR_MOVES.search(output)  # the live display was on
    lines = final_screen(output, 80)
    first = lines.index("line 00000")
    assert lines[first:first + 10000] == [f"line {i:05d}" for i in range(10000)]
    after = lines[first + 10000:]
    assert after[0] == "progress 100%|##########|"  # the bar's final state, on its own line
    assert not any("progress  50%" in line for line in lines)  # earlier states were overwritten
    assert after[1] == "no newline at the end"  # ended by the run's end, not glued to what follows
    assert "second says hi" in after
    glued = [line for line in lines if ("line 0" in line and not re.fullmatch(r"line \d{5}", line))
             or ("second says hi" in line and line != "second says hi")]
    assert not glued  # no run output shares a line with the live display or anything else
    summary = lines.index(next(line for line in lines if " summary " in line))
    assert summary > first + 10000
    assert any(line.startswith("exp_printer.py::printer") and "COMPLETED" in line for line in lines[summary:])
    if capture != "no":
        stored = (sacredtester.path / ".sacred" / "runs" / "1" / "cout.txt").read_text()
        assert "line 09999" in stored and "no newline at the end" in stored  # nothing lost in the store


def test_binary_garbage_and_a_megabyte_without_newline_keep_the_display_intact(sacredtester):
    sacredtester.write("exp_garbage.py", """\
        import random
        import sys
        from sacred import Experiment
        ex = Experiment("garbage")
        @ex.automain
        def main():
            noise = random.Random(7)
            sys.stdout.flush()
            sys.stdout.buffer.write(bytes(noise.randrange(256) for _ in range(20000)))
            sys.stdout.buffer.write(b"\\x1b[2J\\x1b[H\\x1b]0;title\\x07\\n")  # clear screen, home, title
            sys.stdout.buffer.write(b"x" * 1_000_000)
            sys.stdout.flush()
            return "survived"
        """)
    code, output = run_on_a_terminal(sacredtester, "run", "--capture=sys", "-l", "WARNING", timeout=120)
    assert code == 0, output[-3000:]
    lines = final_screen(output, 80)
    assert "sacred session starts" in lines[0]  # nothing the run printed cleared the screen
    long_line = next(i for i, line in enumerate(lines) if line.startswith("x" * 80))
    assert "more characters not shown" in " ".join(lines[long_line:long_line + 40])
    assert len(lines) < 2000  # the megabyte was cut, not wrapped over 12,500 lines
    assert any("exp_garbage.py::garbage" in line and "COMPLETED" in line for line in lines)
    assert "1 completed" in lines[-1] or any("1 completed" in line for line in lines[-3:])
    stored = (sacredtester.path / ".sacred" / "runs" / "1" / "cout.txt").read_bytes()
    assert stored.count(b"x") >= 1_000_000  # the store keeps everything


def test_a_terminal_narrower_than_40_columns(sacredtester):
    metric_experiment(sacredtester, name="exp_with_a_rather_long_file_name.py")
    code, output = run_on_a_terminal(sacredtester, "run", columns=24)
    assert code == 0, output
    lines = final_screen(output, 24)
    assert all(len(line) <= 24 for line in lines)
    separators = [line for line in lines if line.startswith("===")]
    assert separators and all(len(line) <= 24 for line in separators)
    assert any("COMPLETED" in line for line in lines)  # the live line keeps its status
    assert "1/1 runs" in "".join(lines)
    assert "exp_with_a_rather_long_file_name.py::m" in "".join(lines[lines.index(
        next(line for line in lines if "summary" in line)):])


COLOR_CODES = re.compile(r"\x1b\[[0-9;]*(?:3[0-9]|9[0-7]|4[0-9]|38;[0-9;]+)m")


def test_no_color_keeps_the_live_display_without_colors(sacredtester):
    metric_experiment(sacredtester)
    code, output = run_on_a_terminal(sacredtester, "run", env={"NO_COLOR": "1"})
    assert code == 0, output
    assert CURSOR_MOVES.search(output)  # still live
    assert not COLOR_CODES.search(output)
    assert "1 completed" in ANY_ESCAPE.sub("", output)


def test_color_no_on_a_terminal_gives_plain_lines(sacredtester):
    metric_experiment(sacredtester)
    code, output = run_on_a_terminal(sacredtester, "run", "--color=no")
    assert code == 0, output
    assert not ANY_ESCAPE.search(output)
    assert re.search(r"exp_m\.py::m::main COMPLETED \d+\.\d\ds result='done' id=1", output)


def test_ctrl_c_while_a_run_prints_gives_the_terminal_back_and_the_summary(sacredtester):
    sacredtester.write("exp_long.py", """\
        import time
        from sacred import Experiment
        ex = Experiment("long")
        @ex.automain
        def main():
            print("long run started", flush=True)
            for step in range(600):
                print(f"step {step}", end="\\r", flush=True)
                time.sleep(0.1)
        """)
    sacredtester.experiment("exp_other.py")
    code, output = run_on_a_terminal(sacredtester, "run", "-l", "WARNING", interrupt_after=b"long run started")
    assert code == 2, output[-2000:]
    lines = final_screen(output, 80)
    assert "long run started" in lines
    assert any(line.startswith("exp_long.py::long::main INTERRUPTED") for line in lines)
    assert "1 run never started: exp_other.py::exp_other::main" in lines
    assert re.fullmatch(r"=+ Interrupted: 1 interrupted, 1 not started in \d+\.\d\ds =+", lines[-1])


def test_live_rows_cut_ids_that_begin_alike_at_their_beginning():
    # found by hypothesis: two ids beginning alike in a narrow terminal show their ends
    rows = live_row_texts(
        [{"nodeid": nodeid, "status": "RUNNING", "begin": 0.0, "end": None, "metrics": {}}
         for nodeid in ("_::", "_:_")], 15, now=12.5)
    shown = [row[0].rstrip() for row in rows]
    assert all(_shows(text, nodeid) for text, nodeid in zip(shown, ("_::", "_:_"), strict=True))
    assert len(set(shown)) == 2  # still told apart
    assert not _shows("…x", "_::") and not _shows("_::x", "_::")

"""The terminal reporter: plain vs live output, verbosity, trace filtering, the summary table."""

from __future__ import annotations

import re
import shutil

from sacred_runner.reporter import filter_trace, format_metrics

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


def test_color_yes_uses_the_live_display_and_a_table(sacredtester):
    metric_experiment(sacredtester)
    result = sacredtester.run("run", "--color=yes")
    assert result.ret == 0
    assert ANSI.search(result.stdout)
    plain = ANSI.sub("", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.stdout))
    assert "1/1 runs" in plain  # the progress bar's counter
    assert "loss=0.3333" in plain  # the live line's latest metric
    assert "┃ experiment" in plain or "experiment" in plain.split("summary")[1]


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

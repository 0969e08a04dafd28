"""--isolate: crashes become that run's failure (also in the store) and the session goes on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from sacred_runner.items import RunItem


def stored(sacredtester, run_id):
    return json.loads((sacredtester.path / ".sacred" / "runs" / str(run_id) / "run.json").read_text())


def crash_experiment(sacredtester, name, how):
    sacredtester.write(name, f"""\
        import ctypes, os
        from sacred import Experiment
        ex = Experiment({name[:-3]!r})
        @ex.automain
        def main(_run):
            _run.log_scalar("before_crash", 1.0)
            {how}
        """)


def test_os_exit_and_segfault_are_failures_and_the_session_goes_on(sacredtester):
    crash_experiment(sacredtester, "exp_1exit.py", "os._exit(7)")
    crash_experiment(sacredtester, "exp_2segv.py", "ctypes.string_at(0)")
    sacredtester.experiment("exp_3ok.py", result="a + 41")
    result = sacredtester.run("run", "--isolate")
    assert result.ret == 1, result.stderr
    assert "exp_1exit.py::exp_1exit::main FAILED" in result.stdout
    assert "exp_2segv.py::exp_2segv::main FAILED" in result.stdout
    assert "exp_3ok.py::exp_3ok::main COMPLETED" in result.stdout and "result=42" in result.stdout
    failures = result.stdout.split("FAILURES")[1]
    assert "it exited with code 7" in failures and "SIGSEGV" in failures
    first, second, third = (stored(sacredtester, i) for i in (1, 2, 3))
    assert first["status"] == "FAILED" and "exited with code 7" in "".join(first["fail_trace"])
    assert second["status"] == "FAILED" and "SIGSEGV" in "".join(second["fail_trace"])
    assert third["status"] == "COMPLETED" and third["result"] == 42


def test_isolate_from_the_ini_and_no_isolate_override(sacredtester):
    sacredtester.write("exp_pid.py", """\
        import os
        from sacred import Experiment
        ex = Experiment("pid")
        @ex.automain
        def main():
            return os.getpid()
        """)
    sacredtester.write("sacred.ini", "[sacred]\nisolate = true\n")
    isolated = sacredtester.run("run")
    assert isolated.ret == 0 and f"result={os.getpid()} " not in isolated.stdout
    here = sacredtester.run("run", "--no-isolate")
    assert here.ret == 0 and f"result={os.getpid()} " in here.stdout


@pytest.mark.parametrize("isolate", ["--isolate", "--no-isolate"])
def test_error_before_the_run_starts_is_reported_as_error(sacredtester, isolate):
    sacredtester.write("exp_badcfg.py", """\
        from sacred import Experiment
        ex = Experiment("badcfg")
        @ex.config
        def cfg():
            ratio = 1 / 0
        @ex.automain
        def main(ratio):
            return ratio
        """)
    sacredtester.experiment("exp_ok.py")
    result = sacredtester.run("run", isolate)
    assert result.ret == 1
    assert "exp_badcfg.py::badcfg::main ERROR" in result.stdout
    assert "exp_ok.py::exp_ok::main COMPLETED" in result.stdout
    assert "ZeroDivisionError" in result.stdout.split("FAILURES")[1]
    assert not (sacredtester.path / ".sacred/runs/2").exists()


def test_run_item_is_plain_picklable_data():
    import pickle

    item = RunItem("/x/exp_a.py", "exp_a.py", "ex", "a", "a", "main", {"lr": 0.1}, ("big",), {"--capture": "no"})
    assert pickle.loads(pickle.dumps(item)) == item


@pytest.mark.parametrize("isolate", [False, True])
def test_ctrl_c_records_the_current_run_as_interrupted_and_exits_2(sacredtester, isolate):
    sacredtester.write("exp_1wait.py", """\
        import time
        from pathlib import Path
        from sacred import Experiment
        ex = Experiment("wait")
        @ex.automain
        def main():
            Path("started").write_text("1")
            for _ in range(600):
                time.sleep(0.1)
        """)
    sacredtester.experiment("exp_2never.py")
    from tests.sacred_runner.conftest import REPO_ROOT

    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    args = [sys.executable, "-m", "sacred_runner", "run", "--color=no"] + (["--isolate"] if isolate else [])
    process = subprocess.Popen(args, cwd=sacredtester.path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (sacredtester.path / "started").exists():
            assert time.monotonic() < deadline and process.poll() is None, process.communicate()
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)  # as the terminal does on Ctrl+C
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 2, out + err
    assert "exp_1wait.py::wait::main INTERRUPTED" in out
    assert "exp_2never" not in out.split("collected")[1].split("summary")[0].replace("deselected", "")
    assert "Interrupted" in out
    assert stored(sacredtester, 1)["status"] == "INTERRUPTED"


def test_last_failed_reruns_a_crashed_isolated_run(sacredtester):
    sacredtester.write("exp_crash.py", """\
        import os
        from sacred import Experiment
        ex = Experiment("crash")
        @ex.config
        def cfg():
            crash = True
        @ex.automain
        def main(crash):
            if crash:
                os._exit(3)
            return "recovered"
        """)
    sacredtester.experiment("exp_fine.py")
    first = sacredtester.run_subprocess("run", "--color=no", "--isolate")
    assert first.ret == 1, first.stdout + first.stderr
    assert "exp_crash.py::crash::main FAILED" in first.stdout
    again = sacredtester.run_subprocess("run", "--color=no", "--isolate", "--lf", "with", "crash=False")
    assert again.ret == 0, again.stdout + again.stderr
    assert "deselected exp_fine.py::exp_fine::main:" in again.stdout  # (it does not use crash either)
    assert "exp_fine.py::exp_fine::main COMPLETED" not in again.stdout
    assert "exp_crash.py::crash::main COMPLETED" in again.stdout and "result='recovered'" in again.stdout


def _run_dir(sacredtester, run_id):
    return sacredtester.path / ".sacred" / "runs" / str(run_id)


DYING = """\
    import os, signal, sys
    from sacred import Experiment
    ex = Experiment("dying")
    @ex.automain
    def main(_run):
        for step in range(5):
            print(f"line {{step}}")
            _run.log_scalar("loss", 10 - step)
        sys.stdout.write("no newline at the end")
        {how}
    """


@pytest.mark.parametrize("how", ["os._exit(3)", "os.kill(os.getpid(), signal.SIGKILL)"],
                         ids=["os_exit", "sigkill"])
def test_a_dying_child_loses_no_output_and_no_metric_points(sacredtester, how):
    """Everything the child produced before it died is in the stored run (issue: cout.txt was empty)."""
    sacredtester.write("exp_dying.py", DYING.format(how=how))
    result = sacredtester.run("run", "--isolate", "--color=no", "--beat_interval=3600")
    assert result.ret == 1, result.stdout + result.stderr
    run = stored(sacredtester, 1)
    assert run["status"] == "FAILED"
    assert "process died" in "".join(run["fail_trace"])
    expected = "".join(f"line {step}\n" for step in range(5)) + "no newline at the end"
    cout = (_run_dir(sacredtester, 1) / "cout.txt").read_text()
    assert expected in cout
    assert "Running command 'main'" in cout  # the run's log lines are part of its output
    metrics = json.loads((_run_dir(sacredtester, 1) / "metrics.json").read_text())
    assert metrics["loss"]["values"] == [10, 9, 8, 7, 6]
    assert metrics["loss"]["steps"] == [0, 1, 2, 3, 4]
    assert expected in result.stdout  # the terminal saw it too, line breaks kept


def test_isolated_output_is_filtered_and_capture_no_stores_none(sacredtester):
    sacredtester.write("exp_bars.py", """\
        from sacred import Experiment
        from sacred.utils import apply_backspaces_and_linefeeds
        ex = Experiment("bars")
        ex.captured_out_filter = apply_backspaces_and_linefeeds
        @ex.automain
        def main():
            print("progress 10%\\rprogress 100%")
            print("done")
        """)
    assert sacredtester.run("run", "--isolate", "--color=no").ret == 0
    cout = (_run_dir(sacredtester, 1) / "cout.txt").read_text()
    assert "progress 100%\ndone\n" in cout and "10%" not in cout
    assert sacredtester.run("run", "--isolate", "--color=no", "--capture=no").ret == 0
    assert (_run_dir(sacredtester, 2) / "cout.txt").read_text() == ""


WAITING = """\
    import os, time
    from pathlib import Path
    from sacred import Experiment
    ex = Experiment("wait")
    @ex.automain
    def main():
        Path("child.pid").write_text(str(os.getpid()))
        for _ in range(600):
            time.sleep(0.1)
    """


def test_sigterm_to_the_runner_interrupts_the_isolated_run_and_leaves_no_child(sacredtester):
    sacredtester.write("exp_1wait.py", WAITING)
    sacredtester.experiment("exp_2never.py")
    process, child = _runner_with_a_running_child(sacredtester, stdout=subprocess.PIPE)
    try:
        process.send_signal(signal.SIGTERM)  # only the runner, as a scheduler would
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, out + err  # SIGTERM, as a shell expects
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert stored(sacredtester, 1)["status"] == "INTERRUPTED"
    assert "exp_1wait.py::wait::main INTERRUPTED" in out
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _runner_with_a_running_child(sacredtester, stdout):
    """``sacred run --isolate`` in a subprocess, once its worker wrote ``child.pid``: (runner, worker pid)."""
    from tests.sacred_runner.conftest import REPO_ROOT

    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    process = subprocess.Popen([sys.executable, "-m", "sacred_runner", "run", "--color=no", "--isolate"],
                               cwd=sacredtester.path, env=env, stdout=stdout, stderr=stdout, text=True,
                               start_new_session=True)
    pid_file = sacredtester.path / "child.pid"
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError(f"the worker never started: {process.communicate()}")
        time.sleep(0.05)
    return process, int(pid_file.read_text())


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for good; /proc says so
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_the_worker_dies_with_a_killed_runner(sacredtester):
    """kill -9 of the runner: the worker gets SIGTERM from the kernel (PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux only")
    sacredtester.write("exp_wait.py", WAITING)
    process, child = _runner_with_a_running_child(sacredtester, stdout=subprocess.DEVNULL)
    try:
        process.kill()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    deadline = time.monotonic() + 20
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = _alive(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive

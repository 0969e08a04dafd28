"""The launch plugin: optional engines stay unimported unless chosen; unknown launchers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.sacred_runner.conftest import REPO_ROOT


def test_runs_without_a_launcher_import_no_cluster_engine(sacredtester):
    sacredtester.experiment("exp_a.py")
    code = textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(REPO_ROOT)!r})
        from sacred_runner.main import main
        code = main(["run", "-q", "-M", "with", "a=1,2"])
        print(int(code), sorted(m for m in ("distributed", "dask", "submitit", "optuna") if m in sys.modules))
        """)
    out = subprocess.run([sys.executable, "-c", code], cwd=sacredtester.path, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "0 []", out.stderr


def test_an_unknown_launcher_is_a_usage_error(sacredtester):
    sacredtester.experiment("exp_a.py")
    result = sacredtester.run("run", "--launcher", "ray")
    assert result.ret == 4
    assert "unknown launcher 'ray' (built in: sequential, local, dask, submitit" in result.stderr


def test_a_plugin_launcher_receives_picklable_tasks_and_reports_through_one_callback(sacredtester):
    sacredtester.experiment("exp_a.py", result="a * 2")
    sacredtester.write("sacred_plugins.py", """\
        import pickle
        from sacred_runner.hookspecs import hookimpl
        from sacred_runner.launch.base import Launcher
        from sacred_runner.launch.remote import execute_task

        class InlineLauncher(Launcher):
            name = "inline"
            def run(self, tasks, report, control):
                for task in tasks:
                    execute_task(pickle.loads(pickle.dumps(task)), report, isolate=False)

        @hookimpl
        def sacred_make_launcher(name, config):
            return InlineLauncher() if name == "inline" else None
        """)
    result = sacredtester.run("run", "--launcher", "inline", "-M", "--color=no", "with", "a=1,2")
    assert result.ret == 0, result.stderr
    assert "exp_a.py::exp_a::main[a=2] COMPLETED" in result.stdout and "result=4" in result.stdout


def test_launcher_options_without_their_launcher_are_usage_errors(sacredtester):
    sacredtester.experiment("exp_a.py")
    for args, message in {
        ("--scheduler", "tcp://127.0.0.1:1"): "--scheduler names a Dask scheduler: add --launcher dask",
        ("--submitit-cluster", "local"): "--submitit-cluster belongs to --launcher submitit",
        ("--connect-timeout", "0", "--launcher", "dask"): "--connect-timeout: expected a positive number",
        ("-n", "2", "--launcher", "sequential"): "cannot be combined with --launcher sequential",
    }.items():
        result = sacredtester.run("run", *args)
        assert result.ret == 4 and message in result.stderr, (args, result.stderr)

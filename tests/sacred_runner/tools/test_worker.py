"""``sacred worker``: its command line, and one clear line (exit 4) for every bad store or option."""

from __future__ import annotations

import io

import pytest

from sacred_runner.main import main
from tests.fixtures.mongo_server import free_port


def run_worker(*args: str) -> tuple[int, str]:
    buffer = io.StringIO()
    return int(main(["worker", *args], stdout=buffer)), buffer.getvalue()


def error_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.mark.parametrize(("store", "expected"), [
    ("nothere", "store 'nothere' does not exist; use a FileStorage folder"),
    ("ftp://host/x", "store 'ftp://host/x': unknown scheme 'ftp://'"),
    ("mongodb://a:b:c", "store 'mongodb://a:b:c' is not a valid MongoDB URL"),
    ("sqlite:///no/such/dir/runs.db", "the directory of the SQLite file"),
    # a bare user name may be a token: masked
    ("postgresql+nosuchdriver://u@127.0.0.1/x", "store 'postgresql+nosuchdriver://***@127.0.0.1/x'"),
])
def test_a_store_that_does_not_parse_is_one_error_line_and_exit_4(store, expected, capsys):
    code, _ = run_worker(store)
    assert code == 4
    lines = error_lines(capsys)
    assert len(lines) == 1 and lines[0].startswith("ERROR: ")
    assert expected in lines[0]


@pytest.mark.parametrize("scheme", ["mongodb://127.0.0.1:{port}/db", "postgresql+psycopg2://u@127.0.0.1:{port}/db"])
def test_a_store_that_cannot_be_reached_is_one_error_line_and_exit_4(scheme, capsys):
    code, _ = run_worker(scheme.format(port=free_port()))
    assert code == 4
    lines = error_lines(capsys)
    assert len(lines) == 1
    assert lines[0].startswith("ERROR: cannot reach store ") and "refused" in lines[0]


def test_a_file_is_not_a_store(tmp_path, capsys):
    (tmp_path / "runs").write_text("")
    assert run_worker(str(tmp_path / "runs"))[0] == 4
    assert "is not a folder" in error_lines(capsys)[0]


def test_a_tinydb_folder_is_refused_with_the_reason(tmp_path, capsys):
    (tmp_path / "db" / "hashfs").mkdir(parents=True)
    (tmp_path / "db" / "metadata.json").write_text("{}")
    assert run_worker(str(tmp_path / "db"))[0] == 4
    assert "is a TinyDB store, which workers do not serve" in error_lines(capsys)[0]


@pytest.mark.parametrize(("args", "expected"), [
    (["--max-runs", "-1"], "--max-runs: expected a whole number >= 0, got '-1'"),
    (["--idle-timeout", "soon"], "--idle-timeout: expected a number of seconds >= 0, got 'soon'"),
    (["--max-attempts", "0"], "--max-attempts: expected a whole number >= 1, got '0'"),
    (["--poll-interval", "0"], "--poll-interval: expected a positive number of seconds, got '0'"),
    (["-k", "a and ("], "-k"),
])
def test_bad_options_are_usage_errors(tmp_path, args, expected, capsys):
    (tmp_path / "runs").mkdir()
    code, _ = run_worker(str(tmp_path / "runs"), *args)
    assert code == 4
    assert expected in capsys.readouterr().err


def test_help_lists_the_options_and_top_level_help_lists_the_command():
    code, out = run_worker("--help")
    assert code == 0
    for flag in ("--rootdir", "--max-runs", "--idle-timeout", "-k", "--from-sources", "--strict",
                 "--requeue-dead", "--max-attempts"):
        assert flag in out
    buffer = io.StringIO()
    assert main(["--help"], stdout=buffer) == 0
    assert "worker" in buffer.getvalue()


def test_an_empty_folder_with_idle_timeout_zero_ends_at_once_with_exit_0(tmp_path):
    (tmp_path / "runs").mkdir()
    code, out = run_worker(str(tmp_path / "runs"), "--idle-timeout", "0", "--rootdir", str(tmp_path), "--color=no")
    assert code == 0
    assert "serving" in out and "no runs" in out


EXPERIMENT = """\
from sacred import Experiment
ex = Experiment("queued")

@ex.config
def cfg():
    a = 1
    b = 0

@ex.named_config
def big():
    b = 100

@ex.automain
def main(a, b, _run):
    _run.log_scalar("a", a)
    return a + b
"""


def test_runs_queued_by_python_exp_q_and_by_sacred_run_queue_run_in_the_default_rootdir(
        tmp_path, monkeypatch, capsys):
    import json
    import os
    import subprocess
    import sys

    from tests.sacred_runner.conftest import REPO_ROOT

    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "sacred.ini").write_text("[sacred]\n")
    (project / "sub" / "exp_queued.py").write_text(EXPERIMENT)
    runs = tmp_path / "runs"
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    subprocess.run([sys.executable, "sub/exp_queued.py", "-q", "-F", str(runs), "with", "a=2", "big"],
                   cwd=project, env=env, check=True, capture_output=True, timeout=120)
    subprocess.run([sys.executable, "-m", "sacred_runner", "run", "exp_queued.py", "--queue", "-P", "9",
                    "--file_storage", str(runs), "with", "a=5"],
                   cwd=project / "sub", env=env, check=True, capture_output=True, timeout=120)
    monkeypatch.chdir(project / "sub")  # the rootdir is found upwards (sacred.ini), as 'sacred run' finds it
    code, out = run_worker(str(runs), "--idle-timeout", "0", "--color=no")
    assert code == 0, out + capsys.readouterr().err
    first = json.loads((runs / "1" / "run.json").read_text())
    second = json.loads((runs / "2" / "run.json").read_text())
    assert (first["status"], first["result"]) == ("COMPLETED", 102)
    assert (second["status"], second["result"]) == ("COMPLETED", 5)
    assert second["meta"]["priority"] == 9 and second["meta"]["queue"]["attribute"] == "ex"
    assert out.index("id=2") < out.index("id=1")  # priority 9 first
    assert json.loads((runs / "1" / "metrics.json").read_text())["a"]["values"] == [2]

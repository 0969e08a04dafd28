"""The per-file command line under hostile input: one clear line, the documented exit code,
no traceback, no partial store and no secret in anything stored or printed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import pytest

from tests.commandline.cli_helpers import RUN_TIMEOUT_SECONDS, run_file, write_experiment

EXPERIMENT = """
from sacred import Experiment
ex = Experiment("hostile")

@ex.config
def cfg():
    x = 1
    config_filename = "c.json"

@ex.automain
def main(x):
    return x
"""


@pytest.fixture
def exp(tmp_path):
    return write_experiment(tmp_path, EXPERIMENT)


def one_line_error(result: subprocess.CompletedProcess, fragment: str, code: int = 1) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert fragment in result.stderr, result.stderr


@pytest.mark.parametrize(("args", "fragment"), [
    (["with", "x={(1,2):3}"], "the dict key (1, 2) is a tuple"),
    (["-b", "inf"], "--beat_interval: expected a positive number of seconds up to 604800"),
    (["-b", "1e10"], "--beat_interval: expected a positive number of seconds up to 604800"),
    (["-b", "nan"], "--beat_interval: expected a positive number of seconds up to 604800"),
    (["-b", "-1"], "--beat_interval: expected a positive number of seconds up to 604800"),
    (["-P", "1e400"], "--priority: expected a finite number, got '1e400'"),
    (["-P", "nan"], "--priority: expected a finite number, got 'nan'"),
    (["-F", ""], "FileStorageObserver basedir is empty"),
    (["-t", ""], "TinyDbObserver: the path is empty"),
])
def test_bad_values_end_in_one_line_and_leave_the_folder_untouched(exp, tmp_path, args, fragment):
    result = run_file(exp, *args)
    one_line_error(result, fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.py"]


@pytest.mark.parametrize("run_id", ["runs.index.jsonl", "²", "_sources", "..", "a/b", "", "metadata.json"])
def test_a_custom_id_that_would_break_a_store_is_refused_before_the_store_exists(exp, tmp_path, run_id):
    result = run_file(exp, "-F", "store", "-i", run_id)
    one_line_error(result, "cannot be used")
    assert not (tmp_path / "store").exists()


def test_save_config_into_a_file_as_folder_is_one_line(exp, tmp_path):
    (tmp_path / "afile").write_text("")
    result = run_file(exp, "save_config", "with", "config_filename=afile/x.json")
    one_line_error(result, '"afile" is a file, not a directory')


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another user needs root")
def test_tiny_db_in_a_read_only_folder_is_one_line():
    """Run as user nobody in a folder nobody may read but not write (pytest's tmp_path is
    private to root, so the folder is made with tempfile and removed afterwards)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to run as another user")
    folder = tempfile.mkdtemp(prefix="sacred-readonly-")
    try:
        exp = os.path.join(folder, "exp.py")
        os.chmod(folder, 0o755)
        with open(exp, "w") as f:
            f.write(EXPERIMENT)
        os.chmod(folder, 0o555)
        result = subprocess.run(
            [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, exp, "-t", "db"],
            cwd=folder, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS,
            env={**os.environ, "HOME": folder, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        one_line_error(result, "TinyDbObserver cannot use the folder")
        assert "Permission denied" in result.stderr
        assert os.listdir(folder) == ["exp.py"]
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(folder)


def test_sigterm_is_reported_as_sigterm_with_exit_143(tmp_path):
    path = write_experiment(tmp_path, """
        import time
        from sacred import Experiment
        ex = Experiment("term")

        @ex.automain
        def main():
            print("ready", flush=True)
            time.sleep(60)
        """)
    process = subprocess.Popen([sys.executable, str(path), "-F", "runs", "--capture", "sys"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 30
        while not list((tmp_path / "runs").glob("*/run.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 143
    assert "SIGTERM: run interrupted" in stderr and "KeyboardInterrupt" not in stderr
    (run_json,) = (tmp_path / "runs").glob("*/run.json")
    assert json.loads(run_json.read_text())["status"] == "INTERRUPTED"


SECRET_OPTIONS = [
    "--comment", "see postgresql://u:pa/ss@db.example/x?password=hunter2&page=1",
    "with", "x='https://TOKEN123@git.example/o/r.git?api_key=k3y'",
]


def test_no_secret_reaches_file_storage_tinydb_sql_or_stderr(exp, tmp_path):
    result = run_file(exp, "-F", "runs", "-t", "tiny", "-s", f"sqlite:///{tmp_path / 'r.db'}?key=sqlk3y",
                      *SECRET_OPTIONS)
    assert result.returncode == 0, result.stderr
    stored = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl", ".txt")]
    connection = sqlite3.connect(tmp_path / "r.db")
    try:
        (meta,) = connection.execute("SELECT meta FROM run").fetchone()
    finally:
        connection.close()
    texts = [p.read_text(errors="replace") for p in stored] + [meta, result.stderr]
    for secret in ("pa/ss", "hunter2", "sqlk3y"):
        assert not any(secret in text for text in texts), secret
    run_json = json.loads(next((tmp_path / "runs").glob("*/run.json")).read_text())
    assert run_json["meta"]["comment"] == "see postgresql://u:***@db.example/x?password=***&page=1"
    assert run_json["meta"]["options"]["--sql"].endswith("r.db?key=***")
    assert json.loads(meta)["options"]["--comment"].startswith("see postgresql://u:***@")


def test_an_error_message_with_a_password_is_masked_on_stderr(tmp_path):
    path = write_experiment(tmp_path, """
        from sacred import Experiment
        ex = Experiment("leak")

        @ex.automain
        def main():
            raise RuntimeError("cannot reach postgresql://u:pa/ss@db/x?token=t0k" + "x" * 100_000)
        """)
    result = run_file(path)
    assert result.returncode == 1 and "RuntimeError" in result.stderr
    assert "pa/ss" not in result.stderr and "t0k" not in result.stderr
    assert "postgresql://u:***@db/x?token=***" in result.stderr


@pytest.mark.parametrize("level", ["²", "--5", "1٫5"])
def test_a_log_level_that_only_looks_numeric_is_one_clear_error(level):
    from sacred.commandline_options import _parse_loglevel

    with pytest.raises(ValueError, match="Unknown log level"):
        _parse_loglevel(level)
    assert _parse_loglevel("٣") == 3 and _parse_loglevel("-5") == -5

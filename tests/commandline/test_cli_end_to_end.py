"""The command line of real experiment files, run as scripts: every flag, every error."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import uuid

import pytest

from tests.commandline.cli_helpers import (
    FLAGS_EXPERIMENT,
    only_run_dir,
    read_json,
    run_file,
    write_experiment,
)
from tests.fixtures.git_repos import git
from tests.fixtures.mongo_server import mongo_db_name, mongo_server  # noqa: F401
from tests.fixtures.moto_server import moto_server, s3_env  # noqa: F401


@pytest.fixture
def exp(tmp_path):
    return write_experiment(tmp_path, FLAGS_EXPERIMENT)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def refused(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Assert a plain error: exit 1, no traceback, every fragment in stderr."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    return result.stderr


def stored_run(tmp_path, *args, exp_path=None, **kwargs):
    result = ok(run_file(exp_path or tmp_path / "exp.py", "-F", "runs", *args, **kwargs))
    run_dir = only_run_dir(tmp_path / "runs")
    return result, run_dir, read_json(run_dir / "run.json")


# --- running -----------------------------------------------------------------


def test_default_run_logs_and_exits_zero(exp):
    result = ok(run_file(exp))
    assert result.stdout == "a=1 foo=1\n"
    assert "INFO - flags_demo - Running command 'main'" in result.stderr
    assert "INFO - flags_demo - Started" in result.stderr
    assert "INFO - flags_demo - Completed after" in result.stderr


def test_main_function_name_is_also_a_command(exp):
    assert ok(run_file(exp, "main", "with", "a=3")).stdout == "a=3 foo=1\n"


def test_updates_and_named_configs(exp, tmp_path):
    assert ok(run_file(exp, "with", "a=2.5", "d.foo=100")).stdout == "a=2.5 foo=100\n"
    assert ok(run_file(exp, "with", "variant1")).stdout == "a=100 foo=1\n"
    assert ok(run_file(exp, "with", "variant1", "a=23")).stdout == "a=23 foo=1\n"
    (tmp_path / "variant2.json").write_text(json.dumps({"a": 7, "d": {"foo": 8}}))
    assert ok(run_file(exp, "with", "variant2.json")).stdout == "a=7 foo=8\n"


def test_failing_run_prints_filtered_traceback_and_exits_one(exp):
    result = run_file(exp, "with", "fail=True")
    assert result.returncode == 1
    assert "Traceback (most recent calls WITHOUT Sacred internals)" in result.stderr
    assert "in helper" in result.stderr and "ValueError: boom" in result.stderr
    assert "sacred/run.py" not in result.stderr


def test_keyboard_interrupt_exits_130_without_traceback(tmp_path):
    path = write_experiment(
        tmp_path,
        """
        from sacred import Experiment
        ex = Experiment("kbi")

        @ex.automain
        def main():
            raise KeyboardInterrupt()
        """,
    )
    result = run_file(path)
    assert result.returncode == 130
    assert "Traceback" not in result.stderr and "KeyboardInterrupt" in result.stderr


def test_option_hooks_change_flags_but_not_command_or_updates(exp, tmp_path):
    _, _, run = stored_run(tmp_path, env={"HOOK_CHANGES": "1"})
    assert run["meta"]["comment"] == "from hook"
    assert run["command"] == "main" and run["result"] == 1


def test_passwords_in_urls_are_masked_in_stored_options(exp, tmp_path):
    meta_file = tmp_path / "meta.json"
    url = "mongodb://alice:s3cretpw@db.example:27017/exp"
    ok(run_file(exp, "-l", "ERROR", "-w", url, env={"META_FILE": str(meta_file)}))
    stored = read_json(meta_file)["meta_info"]["options"]
    assert stored["--own-value"] == "mongodb://alice:***@db.example:27017/exp"
    assert "s3cretpw" not in meta_file.read_text()


# --- flags -------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["-h", "--help", "help"])
def test_help_flag_prints_usage(exp, flag):
    result = ok(run_file(exp, flag))
    out = result.stdout
    assert out.startswith("Usage:\n  exp.py [(with UPDATE...)] [options]\n")
    assert "Flag demo experiment.\n\nUsed by the command-line tests." in out
    assert "  -o --own-flag                 Put a marker into the info dict." in out
    assert "  scream               scream, and shout, and let it all out ..." in out
    assert "INFO" not in result.stderr


def test_help_for_a_command_prints_signature_and_docstring(exp):
    out = ok(run_file(exp, "help", "scream")).stdout
    assert out == "scream()\n    scream, and shout, and let it all out ...\n\n"
    assert ok(run_file(exp, "help", "greet")).stdout.startswith("greet(name='John')\n")


@pytest.mark.parametrize("flag", ["-c", "--comment"])
def test_comment_flag_is_stored(exp, tmp_path, flag):
    assert stored_run(tmp_path, flag, "my comment")[2]["meta"]["comment"] == "my comment"


@pytest.mark.parametrize("args", [["-l", "WARNING"], ["--loglevel=ERROR"], ["--loglevel", "40"]])
def test_loglevel_flag_silences_info_lines(exp, args):
    result = ok(run_file(exp, *args))
    assert result.stdout == "a=1 foo=1\n"
    assert "INFO" not in result.stderr


def test_loglevel_debug_shows_more(exp):
    assert "INFO - main - info from main" in ok(run_file(exp, "-l", "DEBUG")).stderr


def test_unknown_loglevel_is_refused(exp):
    refused(run_file(exp, "-l", "LOUD"), "LOUD")


@pytest.mark.parametrize("flag", ["-F", "--file_storage", "--file-storage"])
def test_file_storage_flag_stores_the_run(exp, tmp_path, flag):
    ok(run_file(exp, flag, "runs", "with", "a=4"))
    run = read_json(only_run_dir(tmp_path / "runs") / "run.json")
    assert run["status"] == "COMPLETED" and run["result"] == 4


@pytest.mark.parametrize("flag", ["-t", "--tiny_db"])
def test_tiny_db_flag_stores_the_run(exp, tmp_path, flag):
    ok(run_file(exp, flag, "tinydb_runs"))
    metadata = read_json(tmp_path / "tinydb_runs" / "metadata.json")
    runs = list(metadata["runs"].values())
    assert len(runs) == 1 and runs[0]["status"] == "COMPLETED"


@pytest.mark.parametrize("flag", ["-s", "--sql"])
def test_sql_flag_stores_the_run(exp, tmp_path, flag):
    ok(run_file(exp, flag, "sqlite:///runs.db"))
    with sqlite3.connect(tmp_path / "runs.db") as connection:
        rows = connection.execute("SELECT command, status FROM run").fetchall()
    assert rows == [("main", "COMPLETED")]


@pytest.mark.parametrize("flag", ["-m", "--mongo_db"])
def test_mongo_db_flag_stores_the_run(exp, flag, mongo_server, mongo_db_name):  # noqa: F811
    import pymongo

    spec = f"{mongo_server.host}:{mongo_server.port}:{mongo_db_name}"
    ok(run_file(exp, flag, spec, "with", "a=6"))
    client = pymongo.MongoClient(mongo_server.url, serverSelectionTimeoutMS=5000)
    try:
        runs = list(client[mongo_db_name]["runs"].find())
    finally:
        client.close()
    assert len(runs) == 1 and runs[0]["status"] == "COMPLETED" and runs[0]["result"] == 6


@pytest.mark.parametrize("flag", ["-S", "--s3"])
def test_s3_flag_stores_the_run(exp, flag, s3_env):  # noqa: F811
    import boto3

    bucket = f"cli-{uuid.uuid4().hex[:12]}"
    ok(run_file(exp, flag, f"s3://{bucket}/project/exp"))
    client = boto3.client("s3")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    run_keys = [k for k in keys if k.endswith("/run.json") and "_sources" not in k]
    assert len(run_keys) == 1
    body = client.get_object(Bucket=bucket, Key=run_keys[0])["Body"].read()
    assert json.loads(body)["status"] == "COMPLETED"


def test_s3_flag_with_a_bad_location_is_refused(exp):
    refused(run_file(exp, "-S", "not-a-bucket-url"), "not-a-bucket-url", "s3://")


@pytest.mark.parametrize("flag", ["-d", "--debug"])
def test_debug_flag_shows_the_unfiltered_traceback(exp, flag):
    result = run_file(exp, flag, "with", "fail=True")
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "sacred" in result.stderr.split("in helper")[0]
    assert "WITHOUT Sacred internals" not in result.stderr


@pytest.mark.parametrize("flag", ["-D", "--pdb"])
def test_pdb_flag_enters_post_mortem_debugging(exp, flag):
    result = run_file(exp, flag, "with", "fail=True", input="p 'inspected'\nq\n")
    assert result.returncode != 0
    assert "(Pdb)" in result.stdout and "'inspected'" in result.stdout


@pytest.mark.parametrize(
    "args", [["-b", "2.5"], ["--beat_interval=2.5"], ["--beat-interval", "2.5"]]
)
def test_beat_interval_flag(exp, tmp_path, args):
    run = stored_run(tmp_path, *args)[2]
    assert float(run["meta"]["options"]["--beat-interval"]) == 2.5


def test_beat_interval_must_be_a_number(exp):
    refused(run_file(exp, "-b", "often"), "--beat_interval", "'often'")


@pytest.mark.parametrize("flag", ["-u", "--unobserved"])
def test_unobserved_flag_ignores_observers(exp, tmp_path, flag):
    result = ok(run_file(exp, flag, "-F", "runs"))
    assert result.stdout == "a=1 foo=1\n"
    assert not (tmp_path / "runs").exists() or only_run_dir_count(tmp_path / "runs") == 0
    assert "No observers" not in result.stderr


def only_run_dir_count(base) -> int:
    return len([p for p in base.iterdir() if p.is_dir() and p.name != "_sources"])


@pytest.mark.parametrize("flag", ["-q", "--queue"])
def test_queue_flag_only_queues(exp, tmp_path, flag):
    result, _, run = stored_run(tmp_path, flag)
    assert run["status"] == "QUEUED"
    assert "a=1" not in result.stdout


@pytest.mark.parametrize("args", [["-P", "3"], ["--priority=3"]])
def test_priority_flag_is_stored_with_queued_run(exp, tmp_path, args):
    assert stored_run(tmp_path, "-q", *args)[2]["meta"]["priority"] == 3


def test_priority_must_be_a_number(exp):
    refused(run_file(exp, "-q", "-P", "high"), "'high'")


@pytest.mark.parametrize("flag", ["-e", "--enforce_clean", "--enforce-clean"])
def test_enforce_clean_without_version_control_is_refused(exp, flag):
    refused(run_file(exp, flag), "No version control detected")


def test_enforce_clean_in_clean_and_dirty_repository(exp, tmp_path):
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "exp.py")
    git(tmp_path, "commit", "-q", "-m", "init")
    assert ok(run_file(exp, "-e")).stdout == "a=1 foo=1\n"
    exp.write_text(exp.read_text() + "\n# changed\n")
    refused(run_file(exp, "-e"), "Uncommited changes")


@pytest.mark.parametrize("flag", ["-p", "--print_config", "--print-config"])
def test_print_config_flag_prints_the_config_before_running(exp, flag):
    out = ok(run_file(exp, flag, "with", "a=2")).stdout
    assert out.startswith("Configuration (modified, added, typechanged, doc):\n")
    assert "  a = 2" in out
    assert out.index("Configuration") < out.index("a=2 foo=1")


@pytest.mark.parametrize("flag", ["-n", "--name"])
def test_name_flag_renames_the_run(exp, tmp_path, flag):
    assert stored_run(tmp_path, flag, "renamed")[2]["experiment"]["name"] == "renamed"


@pytest.mark.parametrize("flag", ["-i", "--id"])
def test_id_flag_sets_the_run_id(exp, tmp_path, flag):
    assert stored_run(tmp_path, flag, "my_id")[1].name == "my_id"


@pytest.mark.parametrize("flag", ["-C", "--capture"])
def test_capture_flag(exp, tmp_path, flag):
    run_dir = stored_run(tmp_path, flag, "sys")[1]
    assert "a=1 foo=1" in (run_dir / "cout.txt").read_text()


def test_capture_mode_no_captures_nothing(exp, tmp_path):
    run_dir = stored_run(tmp_path, "-C", "no")[1]
    cout = run_dir / "cout.txt"
    assert not cout.exists() or "a=1" not in cout.read_text()


def test_capture_mode_must_be_known(exp):
    refused(run_file(exp, "-C", "everything"), "no, sys, fd", "'everything'")


@pytest.mark.parametrize("flag", ["-f", "--force"])
def test_force_flag_silences_type_change_warnings(exp, flag):
    assert "Changed type" in ok(run_file(exp, "with", "a='x'")).stderr
    assert "Changed type" not in ok(run_file(exp, flag, "with", "a='x'")).stderr


@pytest.mark.parametrize("flag", ["-o", "--own-flag", "--own_flag"])
def test_custom_bare_flag(exp, tmp_path, flag):
    run_dir = stored_run(tmp_path, flag)[1]
    assert read_json(run_dir / "info.json")["own_flag"] is True


@pytest.mark.parametrize(
    "args",
    [["-w", "hi there"], ["-whi there"], ["--own-value=hi there"], ["--own-value", "hi there"]],
)
def test_custom_valued_flag(exp, tmp_path, args):
    run_dir = stored_run(tmp_path, *args)[1]
    assert read_json(run_dir / "info.json")["own_value"] == "hi there"


# --- bad input -----------------------------------------------------------------


def test_unknown_command_lists_the_commands(exp):
    refused(run_file(exp, "shout"), 'Command "shout" not found', "scream", "greet", "print_config")


def test_unknown_flag_shows_usage(exp):
    refused(run_file(exp, "--verbose"), "Usage:", "Unknown option: --verbose")


def test_flag_missing_its_value(exp):
    refused(run_file(exp, "-l"), "-l requires a value")
    refused(run_file(exp, "with", "a=1", "--comment"), "--comment requires a value")


def test_with_followed_by_nothing(exp):
    refused(run_file(exp, "print_config", "with"), "`with` must be followed")


def test_unknown_named_config_lists_the_named_configs(exp):
    refused(run_file(exp, "with", "variant9"), '"variant9"', "variant1")


def test_missing_config_file(exp):
    refused(run_file(exp, "with", "nothere.json"), "nothere.json")


def test_config_file_that_does_not_parse(exp, tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    refused(run_file(exp, "with", "broken.json"), "broken.json", "line 1")


def test_update_to_a_key_nothing_uses_suggests_keys(exp):
    refused(run_file(exp, "with", "aa=3"), "ConfigAddedError", '"aa"', "Did you mean")


def test_update_without_with(exp):
    refused(run_file(exp, "a=3"), "with a=3")


def test_value_a_config_cannot_store(exp):
    refused(run_file(exp, "with", "a={1, 2}"), "'{1, 2}'", "cannot be stored")


def test_strict_parsing_refuses_bare_strings(tmp_path):
    path = write_experiment(
        tmp_path,
        """
        from sacred import SETTINGS, Experiment
        SETTINGS.COMMAND_LINE.STRICT_PARSING = True
        ex = Experiment("strict")

        @ex.config
        def cfg():
            name = "x"

        @ex.automain
        def main(name):
            print(name)
        """,
    )
    refused(run_file(path, "with", "name=Bob"), "'Bob'", "STRICT_PARSING")
    assert ok(run_file(path, "with", 'name="Bob"')).stdout == "Bob\n"


def test_no_main_function_and_no_command(tmp_path):
    path = write_experiment(
        tmp_path,
        """
        from sacred import Experiment
        ex = Experiment("nomain")

        @ex.command
        def other():
            print("other")

        if __name__ == "__main__":
            ex.run_commandline()
        """,
    )
    refused(run_file(path), "no main function", "other")
    assert ok(run_file(path, "other")).stdout == "other\n"


PYMONGO_BLOCKER = '''\
import sys


class _BlockPymongo:
    """Make pymongo unimportable, as on a machine without the mongo extra."""

    def find_spec(self, name, path=None, target=None):
        if name == "pymongo" or name.startswith("pymongo."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _BlockPymongo())
'''


@pytest.mark.parametrize("target", ["mongodb://127.0.0.1:9/db", "sacred_db"])
def test_mongo_flag_without_pymongo_names_the_extra_in_one_line(exp, tmp_path, target):
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(PYMONGO_BLOCKER, encoding="utf-8")
    stderr = refused(run_file(exp, "-m", target, env={"PYTHONPATH": str(shim)}),
                     "MongoObserver needs the package pymongo", "pip install sacred[mongo]")
    assert len(stderr.strip().splitlines()) == 1, stderr

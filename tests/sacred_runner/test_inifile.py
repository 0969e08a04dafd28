"""Rootdir and config-file discovery (as pytest's) and reading the [sacred] keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred_runner.errors import UsageError
from sacred_runner.inifile import locate_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_config_is_found_by_walking_up_from_the_common_ancestor(tmp_path):
    write(tmp_path / "sacred.ini", "[sacred]\nisolate = true\n")
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "c").mkdir(parents=True)
    ini = locate_config(["a/b", "a/c"], invocation_dir=tmp_path)
    assert ini.rootdir == tmp_path
    assert ini.inipath == tmp_path / "sacred.ini"
    assert ini.get("isolate") is True


def test_nearest_config_wins_and_pyproject_counts_only_with_the_table(tmp_path):
    write(tmp_path / "sacred.ini", "[sacred]\n")
    write(tmp_path / "sub" / "pyproject.toml", "[tool.other]\nx = 1\n")
    assert locate_config(["sub"], invocation_dir=tmp_path).inipath == tmp_path / "sacred.ini"
    write(tmp_path / "sub" / "pyproject.toml", "[tool.sacred]\nobservers = ['file_storage:r']\n")
    ini = locate_config(["sub"], invocation_dir=tmp_path)
    assert ini.inipath == tmp_path / "sub" / "pyproject.toml"
    assert ini.rootdir == tmp_path / "sub"
    assert ini.get("observers") == ["file_storage:r"]


def test_without_config_the_common_ancestor_is_the_rootdir(tmp_path):
    (tmp_path / "x" / "y").mkdir(parents=True)
    write(tmp_path / "x" / "y" / "exp_a.py", "")
    ini = locate_config(["x/y/exp_a.py::ex"], invocation_dir=tmp_path)
    assert ini.inipath is None and ini.rootdir == tmp_path / "x" / "y"


def test_dash_c_and_rootdir_override(tmp_path):
    write(tmp_path / "sacred.ini", "[sacred]\n")
    other = write(tmp_path / "conf" / "custom.ini", "[sacred]\nloglevel = DEBUG\n")
    (tmp_path / "root").mkdir()
    ini = locate_config([], inifile="conf/custom.ini", invocation_dir=tmp_path)
    assert ini.inipath == other and ini.rootdir == other.parent and ini.get("loglevel") == "DEBUG"
    ini = locate_config([], inifile="conf/custom.ini", rootdir="root", invocation_dir=tmp_path)
    assert ini.rootdir == tmp_path / "root"
    with pytest.raises(UsageError, match="does not exist: missing.ini"):
        locate_config([], inifile="missing.ini", invocation_dir=tmp_path)
    with pytest.raises(UsageError, match="--rootdir does not exist"):
        locate_config([], rootdir="nowhere", invocation_dir=tmp_path)


def test_malformed_ini_names_file_and_line(tmp_path):
    write(tmp_path / "sacred.ini", "[sacred]\nisolate = true\nno equals sign here\n")
    with pytest.raises(UsageError, match=r"sacred\.ini:3: cannot parse"):
        locate_config([], invocation_dir=tmp_path)


def test_malformed_pyproject_names_file_and_line(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.sacred]\nobservers = [\n")
    with pytest.raises(UsageError, match=r"pyproject\.toml:\d+: cannot parse"):
        locate_config([], invocation_dir=tmp_path)


def test_bad_value_names_file_line_and_key(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.x]\na=1\n[tool.sacred]\ncapture = 'no'\nisolate = 'maybe'\n")
    ini = locate_config([], invocation_dir=tmp_path)
    with pytest.raises(UsageError, match=r"pyproject\.toml:5: bad value for 'isolate': expected true or false"):
        ini.get("isolate")
    write(tmp_path / "pyproject.toml", "[tool.sacred]\nbeat_interval = -1\n")
    with pytest.raises(UsageError, match=r":2: bad value for 'beat_interval'"):
        locate_config([], invocation_dir=tmp_path).get("beat_interval")


def test_defaults_and_unknown_keys(tmp_path):
    write(tmp_path / "sacred.ini", "[sacred]\nfrobnicate = 1\n")
    ini = locate_config([], invocation_dir=tmp_path)
    assert ini.get("experiment_files") == ["exp_*.py", "*_exp.py", "*_experiment.py", "experiment_*.py"]
    assert ini.get("store") == ".sacred/runs"
    assert ini.unknown_keys() == ["frobnicate"]


@given(st.lists(st.from_regex(r"[A-Za-z0-9_.*-]{1,8}", fullmatch=True), min_size=1, max_size=5))
def test_args_values_round_trip_through_ini_text(tmp_path_factory, words):
    folder = tmp_path_factory.mktemp("ini")
    write(folder / "sacred.ini", "[sacred]\nexperiment_files = " + " ".join(words) + "\n")
    assert locate_config([], invocation_dir=folder).get("experiment_files") == words


@pytest.mark.parametrize(("line", "message"), [
    ("capture = bogus", "bad value for 'capture': expected one of no, sys, fd, got 'bogus'"),
    ("loglevel = LOUD", "bad value for 'loglevel': expected a number or one of CRITICAL, ERROR"),
    ("observers =\n    file_storage:ok\n    pigeon:home", "bad observer 'pigeon:home'"),
])
def test_bad_ini_values_name_file_and_line_before_any_run(sacredtester, line, message):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("sacred.ini", f"[sacred]\n{line}\n")
    result = sacredtester.run("run", "--color=no")
    assert result.ret == 4, result.stdout + result.stderr
    assert f"sacred.ini:2: {message}" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (sacredtester.path / ".sacred" / "runs" / "1").exists()


def test_lowercase_and_numeric_log_levels_are_accepted(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("sacred.ini", "[sacred]\nloglevel = warning\n")
    assert sacredtester.run("run", "--color=no").ret == 0
    assert sacredtester.run("run", "--color=no", "--loglevel", "30").ret == 0


@pytest.mark.parametrize(("flag", "message"), [
    (["--capture", "bogus"], "--capture: expected one of no, sys, fd, got 'bogus'"),
    (["-l", "LOUD"], "--loglevel: expected a number or one of"),
    (["-l", "²"], "--loglevel: expected a number or one of"),
    (["-b", "soon"], "--beat_interval: expected a positive number of seconds, got 'soon'"),
])
def test_bad_experiment_flag_values_are_usage_errors(sacredtester, flag, message):
    sacredtester.experiment("exp_a.py")
    result = sacredtester.run("run", *flag)
    assert result.ret == 4 and message in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_missing_ini_path_names_file_and_line(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("pyproject.toml", '[tool.sacred]\ncapture = "sys"\npaths = ["nothere"]\n')
    result = sacredtester.run("run")
    assert result.ret == 4 and "pyproject.toml:3: 'paths' names 'nothere'" in result.stderr


def test_a_pyproject_with_every_key_drives_the_session(sacredtester):
    import json

    from sacred_runner.inifile import BUILTIN_INI_KEYS

    sacredtester.write("pyproject.toml", """\
        [project]
        name = "demo"

        [tool.sacred]
        experiment_files = ["run_*.py"]
        paths = ["experiments"]
        norecursedirs = ["skipped"]
        observers = ["file_storage:my_runs"]
        store = "unused_store"
        named_configs = ["small"]
        capture = "no"
        beat_interval = 0.5
        loglevel = "WARNING"
        isolate = true
        plugins = ["header_plugin"]
        addopts = "-v --color=no"
        """)
    written = {line.split("=")[0].strip() for line in (sacredtester.path / "pyproject.toml").read_text().splitlines()
               if "=" in line and not line.startswith("name =")}
    assert written == {key.name for key in BUILTIN_INI_KEYS}
    sacredtester.write("header_plugin.py", """\
        import os
        from sacred_runner.hookspecs import hookimpl
        @hookimpl
        def sacred_report_header(config):
            return f"header_plugin in pid {os.getpid()}"
        """)
    experiment = """\
        import os
        from sacred import Experiment
        ex = Experiment("demo")
        @ex.config
        def cfg():
            n = 10
        @ex.named_config
        def small():
            n = 1
        @ex.automain
        def main(n):
            return [n, os.getpid()]
        """
    sacredtester.write("experiments/run_demo.py", experiment)
    sacredtester.write("experiments/skipped/run_other.py", experiment)
    sacredtester.write("experiments/exp_ignored.py", experiment)
    result = sacredtester.run_subprocess("run", env={"PYTHONPATH": str(sacredtester.path)})
    assert result.ret == 0, result.stdout + result.stderr
    assert "configfile: pyproject.toml" in result.stdout and "header_plugin in pid" in result.stdout
    assert "experiments/run_demo.py::demo::main STARTED" in result.stdout  # -v from addopts
    assert "collected 1 run" in result.stdout  # patterns, paths and norecursedirs
    assert "INFO - demo" not in result.stderr  # loglevel WARNING
    run = json.loads((sacredtester.path / "my_runs" / "1" / "run.json").read_text())
    assert not (sacredtester.path / "unused_store").exists()  # observers replace the store
    assert run["meta"]["named_configs"] == ["small"] and run["result"][0] == 1
    assert run["meta"]["options"]["--capture"] == "no" and run["meta"]["options"]["--beat-interval"] == 0.5
    assert run["meta"]["options"]["--loglevel"] == "WARNING"
    runner_pid = int(result.stdout.split("header_plugin in pid ")[1].split()[0])
    assert run["result"][1] != runner_pid  # isolate: the run had its own process


# ------------------------------------------------------------------ hostile config files

def test_a_sacred_ini_that_is_not_utf8_is_a_usage_error(sacredtester):
    sacredtester.experiment("exp_a.py")
    (sacredtester.path / "sacred.ini").write_bytes(b"[sacred]\ncapture = \xff\n")
    result = sacredtester.run("run")
    assert result.ret == 4 and "sacred.ini: config file is not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_unknown_ini_keys_are_warned_about_with_key_and_file(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("sacred.ini", "[sacred]\nbeat_intervall = 3\n")
    result = sacredtester.run("run", "--color=no")
    assert result.ret == 0
    assert "sacred.ini:2: unknown config key 'beat_intervall' (ignored)" in result.stdout + result.stderr


@pytest.mark.parametrize("value", ["inf", "1e10", "nan", "-1", "0"])
def test_a_beat_interval_in_the_ini_file_follows_the_flag_rule(sacredtester, value):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("sacred.ini", f"[sacred]\nbeat_interval = {value}\n")
    result = sacredtester.run("run")
    assert result.ret == 4
    assert "sacred.ini:2: bad value for 'beat_interval': expected a " in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
OTHER_UID = 65534  # nobody


@needs_root
def test_a_sacred_ini_of_another_user_in_a_parent_folder_is_refused(sacredtester, monkeypatch):
    sacredtester.write("sub/exp_a.py", "from sacred import Experiment\nex = Experiment('a')\n"
                                       "@ex.automain\ndef main():\n    return 1\n")
    planted = sacredtester.write("sacred.ini", "[sacred]\nplugins = planted\n")
    os.chown(planted, OTHER_UID, OTHER_UID)
    monkeypatch.chdir(sacredtester.path / "sub")
    result = sacredtester.run("run", "exp_a.py")
    assert result.ret == 4
    assert f"refusing to use {planted}: it is owned by uid {OTHER_UID}" in result.stderr
    assert "SACRED_ALLOW_FOREIGN_FILES=1" in result.stderr
    monkeypatch.setenv("SACRED_ALLOW_FOREIGN_FILES", "1")
    assert "refusing" not in sacredtester.run("run", "exp_a.py").stderr


@needs_root
def test_a_sacred_plugins_file_of_another_user_is_not_imported(sacredtester):
    sacredtester.experiment("exp_a.py")
    marker = sacredtester.path / "imported"
    plugin = sacredtester.write("sacred_plugins.py", f"open({str(marker)!r}, 'w').close()\n")
    os.chown(plugin, OTHER_UID, OTHER_UID)
    result = sacredtester.run("run")
    assert result.ret == 4 and "sacred_plugins.py is imported, so it runs code" in result.stderr
    assert not marker.exists()


@needs_root
def test_a_symlinked_sacred_ini_owned_by_another_user_is_refused(sacredtester, tmp_path):
    sacredtester.experiment("exp_a.py")
    target = tmp_path / "mine.ini"
    target.write_text("[sacred]\n")
    link = sacredtester.path / "sacred.ini"
    link.symlink_to(target)
    os.lchown(link, OTHER_UID, OTHER_UID)
    result = sacredtester.run("run")
    assert result.ret == 4 and "the symbolic link is owned by uid 65534" in result.stderr

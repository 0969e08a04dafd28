"""Version, help, exit codes and usage errors of the sacred command."""

from __future__ import annotations

import json

import pytest

from sacred.commandline_options import BUILTIN_OPTIONS


def test_version(sacredtester):
    result = sacredtester.run("--version")
    assert result.ret == 0 and result.stdout.startswith("sacred ")


def test_help_lists_subcommands(sacredtester):
    result = sacredtester.run("--help")
    assert result.ret == 0 and "run" in result.stdout and "collect" in result.stdout


def test_run_help_lists_every_option(sacredtester):
    result = sacredtester.run("run", "--help")
    assert result.ret == 0
    for flag in ["-k", "-x", "--lf", "--isolate", "--color", "-c", "--rootdir", "-p", "-q", "-v"]:
        assert flag in result.stdout
    for option in BUILTIN_OPTIONS:
        if option.key != "--help":
            assert option.key in result.stdout, option.key


def test_collect_help(sacredtester):
    result = sacredtester.run("collect", "--help")
    assert result.ret == 0 and "--json" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "missing command"),
        (("frobnicate",), "unknown command 'frobnicate'"),
        (("run", "--no-such-option"), "unrecognized arguments: --no-such-option"),
        (("run", "missing/dir"), "file or directory not found: missing/dir"),
        (("run", "-k", "a and"), "Wrong expression passed to '-k'"),
        (("run", "-p", "no_such_plugin_xyz"), "unknown plugin 'no_such_plugin_xyz'"),
        (("run", "with", "a=1", "nosuchnamed"), "no selected experiment accepts"),
        (("run", "with", "zzz=1"), "does not use zzz"),
        # the same suggestion as 'python exp_a.py with aa=1' gives
        (("run", "with", "aa=1"), "exp_a.py::exp_a::main does not use aa (did you mean 'a'?)"),
        (("run", "nosuchcommand"), "'nosuchcommand' is neither an existing path nor a command"),
        (("run", "with"), "'with' must be followed"),
        (("run", "with", "a.=1"), "Invalid config update"),
        (("run", "exp_a.py::nope"), "not found: exp_a.py::nope"),
        # -n belongs to parallel runs (to come), never silently to --name
        (("run", "-n", "0"), "expected a positive number of worker processes or 'auto'"),
        (("run", "-n"), "argument -n/--numprocesses: expected one argument"),
    ],
)
def test_bad_input_is_a_usage_error_without_traceback(sacredtester, args, message):
    sacredtester.experiment("exp_a.py")
    result = sacredtester.run(*args)
    assert result.ret == 4, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_malformed_ini_is_a_usage_error_with_file_and_line(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("sacred.ini", "[sacred]\ncapture = sys\nno equals sign here\n")
    result = sacredtester.run("run")
    assert result.ret == 4 and "sacred.ini:3:" in result.stderr


def test_nothing_collected_is_exit_5(sacredtester):
    sacredtester.write("helpers.py", "x = 1\n")
    assert sacredtester.run("run").ret == 5
    assert sacredtester.run("collect").ret == 5


def test_internal_error_is_exit_3(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("sacred_plugins.py", """\
        from sacred_runner.hookspecs import hookimpl
        @hookimpl
        def sacred_configure(config):
            raise RuntimeError("plugin bug")
        """)
    result = sacredtester.run("run")
    assert result.ret == 3 and "INTERNAL ERROR" in result.stderr and "plugin bug" in result.stderr


def test_console_script_in_a_subprocess(sacredtester):
    sacredtester.experiment("exp_a.py", result="a * 3")
    result = sacredtester.run_subprocess("run", "with", "a=4")
    assert result.ret == 0, result.stderr
    assert "exp_a.py::exp_a::main COMPLETED" in result.stdout and "result=12" in result.stdout


def test_name_is_long_only_and_reaches_every_run(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.experiment("exp_b.py")
    result = sacredtester.run("run", "--name", "trial", "--color=no")
    assert result.ret == 0, result.stderr
    for run_id in ("1", "2"):
        stored = json.loads((sacredtester.path / ".sacred" / "runs" / run_id / "run.json").read_text())
        assert stored["experiment"]["name"] == "trial"

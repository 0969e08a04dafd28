"""Flags an experiment defines itself (cli_option / additional_cli_options) through ``sacred run``."""

from __future__ import annotations

import json

OWN_FLAGS_EXPERIMENT = """\
    from sacred import Experiment
    from sacred.commandline_options import cli_option

    @cli_option("-o", "--own-flag", is_flag=True)
    def own_flag(args, run):
        '''Mark the run.'''
        run.info["own"] = args

    @cli_option("-w", "--own-value")
    def own_value(args, run):
        '''Store a value in the run's info.'''
        run.info["value"] = args

    @cli_option("-q", "--quick")
    def quick(args, run):
        '''A short form that clashes with the runner's -q.'''
        run.info["quick"] = args

    ex = Experiment("flags", additional_cli_options=[own_flag, own_value, quick])

    @ex.config
    def cfg():
        a = 1

    @ex.automain
    def main(a, _run):
        return dict(_run.info)
    """


def stored_info(sacredtester, run_id):
    return json.loads((sacredtester.path / ".sacred" / "runs" / str(run_id) / "info.json").read_text())


def test_an_experiments_own_flags_reach_its_runs(sacredtester):
    sacredtester.write("exp_flags.py", OWN_FLAGS_EXPERIMENT)
    result = sacredtester.run("run", "--color=no", "--own-flag", "--own-value", "5", "with", "a=2")
    assert result.ret == 0, result.stdout + result.stderr
    assert stored_info(sacredtester, 1) == {"own": True, "value": "5"}
    short = sacredtester.run("run", "--color=no", "exp_flags.py", "-o", "-w", "7")
    assert short.ret == 0, short.stdout + short.stderr
    assert stored_info(sacredtester, 2) == {"own": True, "value": "7"}


def test_a_short_form_clashing_with_the_runner_works_in_long_form(sacredtester):
    sacredtester.write("exp_flags.py", OWN_FLAGS_EXPERIMENT)
    result = sacredtester.run("run", "--color=no", "--quick=fast")
    assert result.ret == 0, result.stdout + result.stderr
    assert stored_info(sacredtester, 1) == {"quick": "fast"}
    clash = sacredtester.run("run", "-q", "fast")
    assert clash.ret == 4
    assert "'fast' is neither an existing path nor a command" in clash.stderr
    assert "'fast' follows -q" in clash.stderr and "long form" in clash.stderr
    assert "Traceback" not in clash.stderr
    not_a_command = sacredtester.run("run", "-q", "5")
    assert not_a_command.ret == 4
    assert "file or directory not found: 5" in not_a_command.stderr and "'5' follows -q" in not_a_command.stderr


def test_experiments_without_the_flag_are_deselected_with_the_reason(sacredtester):
    sacredtester.write("exp_flags.py", OWN_FLAGS_EXPERIMENT)
    sacredtester.experiment("exp_plain.py")
    result = sacredtester.run("run", "--color=no", "--own-flag")
    assert result.ret == 0, result.stdout + result.stderr
    assert "deselected exp_plain.py::exp_plain::main: does not define the flag --own-flag" in result.stdout
    assert "exp_flags.py::flags::main COMPLETED" in result.stdout
    assert "exp_plain.py::exp_plain::main COMPLETED" not in result.stdout


def test_a_flag_no_selected_experiment_defines_is_a_usage_error(sacredtester):
    sacredtester.write("exp_flags.py", OWN_FLAGS_EXPERIMENT)
    sacredtester.experiment("exp_plain.py")
    typo = sacredtester.run("run", "--own-flga")
    assert typo.ret == 4
    assert "unrecognized arguments: --own-flga" in typo.stderr
    assert "Flags defined by the collected experiments: --own-flag, --own-value, --quick." in typo.stderr
    only_plain = sacredtester.run("run", "exp_plain.py", "--own-flag")
    assert only_plain.ret == 4 and "unrecognized arguments: --own-flag" in only_plain.stderr
    deselected = sacredtester.run("run", "-k", "plain", "--own-flag")
    assert deselected.ret == 4
    assert "no selected experiment accepts" in deselected.stderr
    assert "does not define the flag --own-flag" in deselected.stderr
    assert not (sacredtester.path / ".sacred" / "runs" / "1").exists()


def test_a_value_after_an_own_flag_is_not_taken_for_a_path(sacredtester):
    sacredtester.write("exp_flags.py", OWN_FLAGS_EXPERIMENT)
    (sacredtester.path / "results").mkdir()
    result = sacredtester.run("run", "--color=no", "exp_flags.py", "--own-value", "results")
    assert result.ret == 0, result.stdout + result.stderr
    assert stored_info(sacredtester, 1) == {"value": "results"}
    assert "collected 1 run" in result.stdout


def test_own_flags_reach_isolated_runs(sacredtester):
    sacredtester.write("exp_flags.py", OWN_FLAGS_EXPERIMENT)
    result = sacredtester.run_subprocess("run", "--color=no", "--isolate", "--own-value", "9")
    assert result.ret == 0, result.stdout + result.stderr
    assert stored_info(sacredtester, 1) == {"value": "9"}


def test_collect_lists_own_flags(sacredtester):
    sacredtester.write("exp_flags.py", OWN_FLAGS_EXPERIMENT)
    listing = sacredtester.run("collect", "--color=no")
    assert "<Flag --own-value (-w) VALUE>  Store a value in the run's info." in listing.stdout
    data = json.loads(sacredtester.run("collect", "--json").stdout)
    flags = data["experiments"][0]["flags"]
    assert {"long_flag": "--own-flag", "short_flag": "-o", "is_flag": True, "doc": "Mark the run."} in flags


def test_run_help_says_which_short_forms_need_the_long_form(sacredtester):
    result = sacredtester.run("run", "--help")
    text = " ".join(result.stdout.split())
    assert "--comment, --print_config, --queue and --name work in their long form only" in text
    assert "Flags an experiment defines itself (cli_option / additional_cli_options) are accepted" in text

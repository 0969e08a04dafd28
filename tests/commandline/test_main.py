"""run_commandline in-process: argv forms, return values, exits, hooks, masking."""

from __future__ import annotations

import pytest

from sacred import Experiment
from sacred.commandline.main import apply_option_hooks, run_commandline
from sacred.masking import mask_secrets


@pytest.fixture
def ex():
    experiment = Experiment("main_demo")

    @experiment.config
    def cfg():
        a = 1

    @experiment.command
    def double(a):
        """Return twice a."""
        return 2 * a

    @experiment.main
    def main(a):
        return a

    return experiment


def test_string_argv_is_split_like_a_shell(ex):
    run = run_commandline(ex, "prog.py -l ERROR -u with 'a=5'")
    assert run.result == 5 and run.status == "COMPLETED"


def test_list_argv_and_named_command(ex):
    assert (
        run_commandline(ex, ["prog.py", "double", "-u", "-l", "ERROR", "with", "a=4"]).result == 8
    )


def test_experiment_method_delegates(ex):
    assert ex.run_commandline(["prog.py", "-u", "-l", "ERROR"]).result == 1


def test_argv_defaults_to_sys_argv(ex, monkeypatch):
    monkeypatch.setattr("sys.argv", ["prog.py", "-u", "-l", "ERROR", "with", "a=3"])
    assert run_commandline(ex).result == 3


def test_help_prints_usage_and_returns_none(ex, capsys):
    assert run_commandline(ex, ["prog.py", "--help"]) is None
    out = capsys.readouterr().out
    assert out.startswith("Usage:\n  prog.py [(with UPDATE...)] [options]")
    assert "  double               Return twice a." in out


def test_help_flag_with_a_command_shows_that_command(ex, capsys):
    assert run_commandline(ex, ["prog.py", "double", "-h"]) is None
    assert capsys.readouterr().out == "double(a)\n    Return twice a.\n\n"


def test_usage_error_exits_one_with_message_on_stderr(ex, capsys):
    with pytest.raises(SystemExit) as info:
        run_commandline(ex, ["prog.py", "tripple"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Usage:\n  prog.py")
    assert 'Error: Command "tripple" not found. Available commands are:' in err


def test_unparsable_shell_string_is_a_plain_error(ex, capsys):
    with pytest.raises(SystemExit):
        run_commandline(ex, "prog.py with 'a=1")
    assert "Cannot split the command line" in capsys.readouterr().err


def test_failing_run_exits_one_after_printing_the_filtered_trace(capsys):
    ex = Experiment("failing_demo")

    @ex.main
    def main():
        raise RuntimeError("kaputt")

    with pytest.raises(SystemExit) as info:
        run_commandline(ex, ["prog.py", "-u", "-l", "ERROR"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "WITHOUT Sacred internals" in err and "RuntimeError: kaputt" in err


def test_debug_reraises_the_original_exception():
    ex = Experiment("debug_demo")

    @ex.main
    def main():
        raise RuntimeError("kaputt")

    with pytest.raises(RuntimeError, match="kaputt"):
        run_commandline(ex, ["prog.py", "-u", "-d", "-l", "ERROR"])


def test_option_hooks_see_every_option_and_change_only_flags(ex):
    seen = {}

    @ex.option_hook
    def hook(options):
        seen.update(options)
        options["--beat-interval"] = 7
        options["--comment"] = "hooked"
        options["COMMAND"] = "double"
        options["UPDATE"] = ["a=100"]

    run = run_commandline(ex, ["prog.py", "-u", "-l", "ERROR", "with", "a=2"])
    assert seen["UPDATE"] == ["a=2"] and seen["--loglevel"] == "ERROR" and "--debug" in seen
    assert run.result == 2
    assert run.meta_info["comment"] == "hooked"
    assert run.meta_info["options"]["--beat-interval"] == 7


def test_option_hooks_see_keys_spelled_as_in_0_8_7_and_any_spelling_works(ex):
    seen = {}

    @ex.option_hook
    def hook(options):
        seen["keys"] = set(options)
        seen["hyphen"] = (options["--print-config"], options.get("--beat-interval"))
        seen["underscore"] = (options["--print_config"], "--beat_interval" in options)
        options["--beat_interval"] = 5

    run = run_commandline(ex, ["prog.py", "-u", "-l", "ERROR", "-b", "3"])
    assert {"--beat-interval", "--print-config", "--file_storage", "--unobserved"} <= seen["keys"]
    assert not {"--beat_interval", "--print_config"} & seen["keys"]
    assert seen["hyphen"] == (False, "3") and seen["underscore"] == (False, True)
    assert run.meta_info["options"]["--beat-interval"] == 5


def test_custom_flag_keeps_its_declared_spelling_for_option_hooks():
    from sacred import Experiment, cli_option

    @cli_option("-o", "--own-flag", is_flag=True)
    def own_flag(args, run):
        run.info["own"] = args

    ex = Experiment("custom_flag", additional_cli_options=[own_flag])
    seen = []
    ex.option_hook(lambda options: seen.append(options["--own-flag"]))

    @ex.main
    def main():
        pass

    run = run_commandline(ex, ["prog.py", "-u", "-l", "ERROR", "--own-flag"])
    assert seen == [True] and run.info["own"] is True


def test_apply_option_hooks_canonicalises_respelled_flags():
    class Fake:
        option_hooks = [lambda options: options.update({"--print-config": True, "with": False})]

    args = {"COMMAND": None, "UPDATE": [], "help": False, "with": True, "--print_config": False}
    result = apply_option_hooks(Fake(), args)
    assert result["--print_config"] is True and "--print-config" not in result
    assert result["with"] is True


def test_mask_secrets_masks_passwords_in_every_string():
    options = {
        "--mongo_db": "mongodb://user:pw1@host:27017/db",
        "--sql": "postgresql://me:pw2@localhost/runs",
        "--s3": "s3://bucket/path",
        "UPDATE": ["url=https://a:pw3@x.org/"],
        "--debug": True,
        "--id": None,
    }
    masked = mask_secrets(options)
    assert masked["--mongo_db"] == "mongodb://user:***@host:27017/db"
    assert masked["--sql"] == "postgresql://me:***@localhost/runs"
    assert masked["--s3"] == "s3://bucket/path"
    assert masked["UPDATE"] == ["url=https://a:***@x.org/"]
    assert masked["--debug"] is True and masked["--id"] is None
    assert options["--mongo_db"].endswith("pw1@host:27017/db")  # the input is untouched

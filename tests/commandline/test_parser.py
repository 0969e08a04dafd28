"""The argv grammar: commands, `with` updates, every built-in flag, custom flags, errors."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sacred.commandline.errors import CommandLineError
from sacred.commandline.parser import get_default_options, parse_argv
from sacred.commandline_options import BUILTIN_OPTIONS, cli_option
from sacred.utils import SacredError

COMMANDS = ["print_config", "print_dependencies", "save_config", "my_main", "dataset.stats"]


@cli_option("-o", "--own-flag", is_flag=True)
def own_flag(args, run):
    """A bare custom flag."""


@cli_option("-w", "--own-value")
def own_value(args, run):
    """A custom flag with a value."""


OPTIONS = list(BUILTIN_OPTIONS) + [own_flag, own_value]


def parse(line: str, commands=COMMANDS):
    return parse_argv(shlex.split(line), OPTIONS, commands)


def test_empty_command_line_gives_defaults():
    args = parse("")
    assert args["COMMAND"] is None and args["UPDATE"] == []
    assert args["help"] is False and args["with"] is False
    assert args["--loglevel"] is None and args["--debug"] is False
    assert args["--own_flag"] is False


def test_result_has_one_canonical_key_per_option():
    args = parse("")
    keys = {k for k in args if k.startswith("--")}
    assert keys == {o.key for o in OPTIONS}
    assert "--beat_interval" in keys and "--print_config" in keys and "--own_flag" in keys


def test_default_options_are_false_for_flags_and_none_for_values():
    defaults = get_default_options(OPTIONS)
    assert defaults["--debug"] is False and defaults["--comment"] is None
    assert defaults["--own_flag"] is False and defaults["--own_value"] is None


def test_command_with_updates():
    args = parse("print_config with a=10 'b=\"FooBar\"' variant1")
    assert args["COMMAND"] == "print_config"
    assert args["with"] is True
    assert args["UPDATE"] == ["a=10", 'b="FooBar"', "variant1"]


def test_updates_without_command_run_the_default_command():
    args = parse("with seed=123")
    assert args["COMMAND"] is None and args["UPDATE"] == ["seed=123"]


def test_dotted_ingredient_commands_are_commands():
    assert parse("dataset.stats")["COMMAND"] == "dataset.stats"


@pytest.mark.parametrize(
    "line",
    [
        "-l ERROR print_config with a=1",
        "print_config -l ERROR with a=1",
        "print_config with -l ERROR a=1",
        "print_config with a=1 -l ERROR",
        "print_config with a=1 --loglevel=ERROR",
        "print_config --loglevel ERROR with a=1",
    ],
)
def test_flags_may_stand_before_or_after_command_and_updates(line):
    args = parse(line)
    assert (args["COMMAND"], args["UPDATE"], args["--loglevel"]) == (
        "print_config",
        ["a=1"],
        "ERROR",
    )


@pytest.mark.parametrize(
    "short, long, key",
    [
        ("-d", "--debug", "--debug"),
        ("-D", "--pdb", "--pdb"),
        ("-e", "--enforce_clean", "--enforce_clean"),
        ("-f", "--force", "--force"),
        ("-h", "--help", "--help"),
        ("-p", "--print_config", "--print_config"),
        ("-q", "--queue", "--queue"),
        ("-u", "--unobserved", "--unobserved"),
        ("-o", "--own-flag", "--own_flag"),
    ],
)
def test_every_bare_flag_in_short_and_long_form(short, long, key):
    assert parse(short)[key] is True
    assert parse(long)[key] is True
    assert parse("")[key] is False


@pytest.mark.parametrize(
    "short, long, key, value",
    [
        ("-b", "--beat_interval", "--beat_interval", "3.5"),
        ("-C", "--capture", "--capture", "sys"),
        ("-c", "--comment", "--comment", "my comment"),
        ("-F", "--file_storage", "--file_storage", "my_runs"),
        ("-i", "--id", "--id", "17"),
        ("-l", "--loglevel", "--loglevel", "WARNING"),
        ("-m", "--mongo_db", "--mongo_db", "localhost:27017:db"),
        ("-n", "--name", "--name", "my name"),
        ("-P", "--priority", "--priority", "5"),
        ("-S", "--s3", "--s3", "s3://bucket/exp"),
        ("-s", "--sql", "--sql", "sqlite:///x.db"),
        ("-t", "--tiny_db", "--tiny_db", "tinydir"),
        ("-w", "--own-value", "--own_value", "hello"),
    ],
)
def test_every_valued_flag_in_all_spellings(short, long, key, value):
    quoted = shlex.quote(value)
    for line in (f"{short} {quoted}", f"{long}={quoted}", f"{long} {quoted}"):
        assert parse(line)[key] == value, line
    if " " not in value:
        assert parse(f"{short}{value}")[key] == value
    assert parse("")[key] is None


@pytest.mark.parametrize(
    "line, key, value",
    [
        ("--beat-interval=3", "--beat_interval", "3"),
        ("--print-config", "--print_config", True),
        ("--enforce-clean", "--enforce_clean", True),
        ("--file-storage runs", "--file_storage", "runs"),
        ("--own_flag", "--own_flag", True),
        ("--own_value=x", "--own_value", "x"),
    ],
)
def test_long_flags_accept_hyphens_and_underscores(line, key, value):
    assert parse(line)[key] == value


def test_unique_prefix_of_a_long_flag_is_accepted():
    assert parse("--comm hi")["--comment"] == "hi"
    assert parse("--unobs")["--unobserved"] is True


def test_ambiguous_prefix_names_the_candidates():
    with pytest.raises(CommandLineError, match="ambiguous") as info:
        parse("--pr")
    assert "--print_config" in str(info.value) and "--priority" in str(info.value)


def test_bare_short_flags_combine_and_the_last_may_take_a_value():
    args = parse("-pul ERROR")
    assert args["--print_config"] and args["--unobserved"] and args["--loglevel"] == "ERROR"
    assert parse("-plERROR")["--loglevel"] == "ERROR"


def test_double_dash_ends_flags():
    args = parse("print_config with -- -x=1")
    assert args["UPDATE"] == ["-x=1"]


def test_help_command_and_help_flag():
    assert parse("help")["help"] is True
    args = parse("help print_config")
    assert args["help"] is True and args["COMMAND"] == "print_config"
    assert parse("-h")["--help"] is True
    assert parse("--help")["--help"] is True


def test_value_of_a_flag_may_look_like_a_command_or_with():
    args = parse("-c with print_config")
    assert args["--comment"] == "with" and args["COMMAND"] == "print_config"


def _error(line: str, commands=COMMANDS) -> CommandLineError:
    with pytest.raises(CommandLineError) as info:
        parse(line, commands)
    assert isinstance(info.value, SacredError)
    return info.value


def test_unknown_long_flag_is_refused_with_usage_and_a_suggestion():
    err = _error("--loglvl ERROR")
    assert "--loglvl" in str(err) and "--loglevel" in str(err) and err.print_usage


def test_unknown_short_flag_is_refused_listing_short_flags():
    err = _error("-x")
    assert "-x" in str(err) and "-l" in str(err) and err.print_usage


@pytest.mark.parametrize("line", ["-l", "--loglevel", "print_config -c", "-pl"])
def test_flag_missing_its_value(line):
    err = _error(line)
    assert "requires a value" in str(err) and err.print_usage


def test_bare_flag_given_a_value_is_refused():
    assert "takes no value" in str(_error("--debug=yes"))


def test_with_followed_by_nothing():
    err = _error("print_config with")
    assert "`with` must be followed" in str(err) and err.print_usage
    assert "`with` must be followed" in str(_error("with -l ERROR"))


def test_unknown_command_lists_the_commands_and_suggests():
    err = _error("print_confg")
    message = str(err)
    assert '"print_confg"' in message and "Did you mean print_config" in message
    for command in COMMANDS:
        assert command in message


def test_unknown_command_after_help():
    assert '"nope"' in str(_error("help nope"))


def test_update_without_with_points_to_with():
    assert "with a=1" in str(_error("a=1"))
    assert "with a=1" in str(_error("print_config a=1"))


def test_two_commands_are_refused():
    assert "at most one COMMAND" in str(_error("print_config save_config"))


def test_commands_are_not_checked_when_none_given():
    assert parse("anything", commands=None)["COMMAND"] == "anything"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=6))
def test_arbitrary_argv_parses_or_raises_command_line_error(argv):
    try:
        args = parse_argv(argv, OPTIONS, COMMANDS)
    except CommandLineError:
        return
    assert args["COMMAND"] is None or args["COMMAND"] in COMMANDS
    assert all(isinstance(u, str) for u in args["UPDATE"])

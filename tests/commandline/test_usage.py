"""Usage text generated from an experiment's commands and options."""

from __future__ import annotations

from sacred import Experiment, Ingredient, cli_option
from sacred.commandline.usage import format_options, get_usage, short_usage
from sacred.commandline_options import BUILTIN_OPTIONS


@cli_option("-o", "--own-flag", is_flag=True)
def own_flag(args, run):
    """Add some string to the info dict."""


@cli_option("-w", "--own-value")
def own_value(args, run):
    """
    This is my even better personal flag

    The cool message that gets saved to info.
    """


def make_experiment() -> Experiment:
    data = Ingredient("dataset")

    @data.command
    def stats(filename="x"):
        """Print statistics of the dataset.

        Details that the command list leaves out.
        """

    ex = Experiment("usage_demo", ingredients=[data], additional_cli_options=[own_flag, own_value])
    ex.doc = "A demo experiment.\n\nIt has a two-paragraph docstring.\n"

    @ex.command
    def scream():
        """
        scream, and shout, and let it all out ...
        """

    @ex.command
    def undocumented():
        pass

    @ex.main
    def my_main():
        """The main function."""

    return ex


def test_short_usage_lists_the_four_forms():
    assert short_usage("exp.py").splitlines() == [
        "Usage:",
        "  exp.py [(with UPDATE...)] [options]",
        "  exp.py help [COMMAND]",
        "  exp.py (-h | --help)",
        "  exp.py COMMAND [(with UPDATE...)] [options]",
    ]


def test_full_usage_has_doc_options_arguments_and_commands_in_order():
    short, full = get_usage(make_experiment(), "exp.py")
    assert full.startswith(short + "\n\nA demo experiment.\n\nIt has a two-paragraph docstring.\n")
    positions = [full.index(s) for s in ("Usage:", "Options:", "Arguments:", "Commands:")]
    assert positions == sorted(positions)
    assert "  COMMAND   Name of command to run (see below for list of commands)" in full
    assert "  UPDATE    Configuration assignments of the form foo.bar=17" in full


def test_commands_are_listed_with_the_first_line_of_their_docstring():
    full = get_usage(make_experiment(), "exp.py")[1]
    commands = full.split("Commands:\n")[1].splitlines()
    assert commands[:4] == [
        "  print_config         Print the updated configuration and exit.",
        "  print_dependencies   Print the detected source-files and dependencies.",
        "  save_config          Store the updated configuration in a file.",
        "  print_named_configs  Print the available named configs and exit.",
    ]
    assert "  scream               scream, and shout, and let it all out ..." in commands
    assert "  undocumented" in commands
    assert "  my_main              The main function." in commands
    assert "  dataset.stats        Print statistics of the dataset." in commands
    assert "Details that the command list leaves out" not in full


def test_custom_flags_are_documented_from_their_docstrings():
    full = get_usage(make_experiment(), "exp.py")[1]
    assert "  -o --own-flag                 Add some string to the info dict." in full
    assert (
        "  -w VALUE --own-value=VALUE    This is my even better personal flag  The cool\n"
        "                                message that gets saved to info."
    ) in full


def test_every_builtin_flag_appears_with_short_and_long_form():
    text = format_options(BUILTIN_OPTIONS)
    for option in BUILTIN_OPTIONS:
        assert option.short_flag in text and option.long_flag in text
    assert "  -l VALUE --loglevel=VALUE     Set the LogLevel." in text
    assert "  -u --unobserved               Ignore all observers for this run." in text


def test_descriptions_wrap_under_their_column():
    for line in format_options(BUILTIN_OPTIONS).splitlines():
        assert len(line) <= 81
        if not line.startswith("  -"):
            assert line.startswith(" " * 32) and line[32] != " "


def test_usage_follows_the_registered_options_not_a_fixed_text():
    ex = make_experiment()
    before = get_usage(ex, "p")[1]
    ex.all_cli_options = [o for o in ex.all_cli_options if o.long_flag != "--own-value"]
    after = get_usage(ex, "p")[1]
    assert "--own-value" in before and "--own-value" not in after


def test_program_name_defaults_to_the_script_name(monkeypatch):
    monkeypatch.setattr("sys.argv", ["/some/dir/my_exp.py", "with", "a=1"])
    assert "  my_exp.py help [COMMAND]" in get_usage(make_experiment())[0]

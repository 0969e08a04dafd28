"""sacred.arg_parser: 0.8.7's helpers that training scripts import directly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sacred import Experiment
from sacred.arg_parser import format_usage, get_config_updates
from sacred.commandline_options import BUILTIN_OPTIONS


def test_get_config_updates_as_087():
    updates = ['a=1', 'b.c="x"', "named", "d=[1,2]", "e=hello", 'f={"k": 1}', "g=1e3", "h=None", "i=(1,2)"]
    assert get_config_updates(updates) == (
        {"a": 1, "b": {"c": "x"}, "d": [1, 2], "e": "hello", "f": {"k": 1}, "g": 1000.0, "h": None, "i": [1, 2]},
        ["named"],
    )
    assert get_config_updates([]) == ({}, [])
    assert get_config_updates(None) == ({}, [])


@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), st.integers(), max_size=5))
def test_get_config_updates_round_trips_integers(values):
    updates, named = get_config_updates([f"{k}={v}" for k, v in values.items()])
    assert updates == values and named == []


def test_format_usage_lists_program_description_options_and_commands():
    ex = Experiment("demo", interactive=True)

    @ex.command
    def other(x=1):
        """Other command doc.

        More text."""

    commands = dict(ex.gather_commands())
    text = format_usage("prog.py", "My doc", commands, BUILTIN_OPTIONS)
    assert text.startswith(
        "Usage:\n  prog.py [(with UPDATE...)] [options]\n  prog.py help [COMMAND]\n"
        "  prog.py (-h | --help)\n  prog.py COMMAND [(with UPDATE...)] [options]\n\nMy doc\n\nOptions:\n"
    )
    assert "-F VALUE --file_storage=VALUE" in text or "-F" in text and "--file_storage" in text
    assert "UPDATE    Configuration assignments of the form foo.bar=17" in text
    assert "\nCommands:\n" in text
    assert any(line.split() == ["other", "Other", "command", "doc."] for line in text.splitlines())
    assert "More text" not in text


def test_format_usage_without_commands_or_options():
    text = format_usage("prog.py", None)
    assert "Options:\n" in text and "Commands:" not in text

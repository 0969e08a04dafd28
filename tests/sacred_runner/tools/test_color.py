"""``--color=yes|no|auto`` on every command that prints: one shared definition, the same answers."""

from __future__ import annotations

import re

import pytest

from sacred_runner.color import COLOR_CHOICES, wants_color
from tests.sacred_runner.tools.helpers import sacred

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _parsers():
    from sacred_runner.cmdline import build_parser as run_parser
    from sacred_runner.tools import compare, rerun, runs, show, ui, worker

    parsers = {name: module.build_parser() for name, module in
               (("runs", runs), ("show", show), ("compare", compare), ("rerun", rerun), ("worker", worker),
                ("ui", ui))}
    parsers["run"] = run_parser("run")
    return parsers


def test_every_command_has_the_same_color_option():
    for name, parser in _parsers().items():
        [action] = [a for a in parser._actions if "--color" in a.option_strings]
        assert tuple(action.choices) == COLOR_CHOICES, name
        assert action.default == "auto", name


def test_runs_accepts_color_no_and_yes_and_colors_only_with_yes(file_store_dir):
    basedir, _played = file_store_dir
    plain = sacred("runs", "--store", str(basedir), "--color=no")
    assert plain.ret == 0, plain.err
    assert not ANSI.search(plain.out)
    colored = sacred("runs", "--store", str(basedir), "--color=yes")
    assert colored.ret == 0, colored.err
    assert "\x1b[32mCOMPLETED\x1b[0m" in colored.out and "\x1b[31mFAILED\x1b[0m" in colored.out
    assert ANSI.sub("", colored.out) == plain.out  # the layout is the same
    auto = sacred("runs", "--store", str(basedir))  # not a terminal: no colors
    assert auto.out == plain.out


@pytest.mark.parametrize("command", [["show", "1"], ["compare", "1", "2"]])
def test_show_and_compare_color_the_status_with_yes_only(file_store_dir, command):
    basedir, _played = file_store_dir
    plain = sacred(*command, "--store", str(basedir), "--color=no")
    assert plain.ret == 0, plain.err
    assert not ANSI.search(plain.out)
    colored = sacred(*command, "--store", str(basedir), "--color", "yes")
    assert colored.ret == 0, colored.err
    assert ANSI.search(colored.out)
    assert ANSI.sub("", colored.out) == plain.out


@pytest.mark.parametrize("command", ["runs", "show", "compare", "rerun", "worker", "ui"])
def test_a_bad_color_value_is_one_usage_error(command, tmp_path):
    result = sacred(command, "--color=sometimes", str(tmp_path))
    assert result.ret == 4, (result.out, result.err)
    assert "--color" in result.err and "sometimes" in result.err
    assert "Traceback" not in result.err


def test_auto_colors_a_terminal_unless_no_color(monkeypatch):
    class Tty:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert wants_color("auto", Tty()) and wants_color("yes", None) and not wants_color("no", Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_color("auto", Tty())

"""D6: ``sacred show`` and ``sacred runs`` print what a run stored without its terminal escapes
(they cleared the screen and retitled the terminal), and cut a 1 MB line as the live display does."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.sacred_runner.tools.helpers import sacred
from tests.sacred_runner.tools.trial_runs import run_experiment

HOSTILE = "\x1b[2J\x1b[H cleared \x1b]0;title\x07 retitled"
COMMENT = "evil\x1b[2J\x1b]0;pwn\x07"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
LONG = 1_000_000


@pytest.fixture
def hostile_store(tmp_path):
    store = tmp_path / "runs"

    def body(run):
        print(HOSTILE)
        print("x" * LONG)
        print("last line")
        return "done\x1b[31m"

    run_id = run_experiment(store, body, {"x": "a\x1b[2Jb"}, comment=COMMENT)
    return store, run_id


@pytest.mark.parametrize("color", ["--color=no", "--color=yes"])
def test_show_drops_escapes_and_cuts_long_lines(hostile_store, color) -> None:
    store, run_id = hostile_store
    result = sacred("show", run_id, "--store", str(store), color)
    assert result.ret == 0, result.err
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.out)  # the color codes the tool itself adds
    assert CONTROL.search(text) is None
    assert "comment:       evil\n" in text and "cleared  retitled" in text and "x = ab" in text
    assert f" … [{LONG - 2000} more characters not shown]" in text and len(max(text.splitlines(), key=len)) < 2100


def test_show_output_is_whole_but_clean_and_raw_on_request(hostile_store) -> None:
    store, run_id = hostile_store
    whole = sacred("show", run_id, "--store", str(store), "--output").out
    assert CONTROL.search(whole) is None and "  " + "x" * LONG + "\n" in whole
    raw = sacred("show", run_id, "--store", str(store), "--output", "--raw").out
    assert HOSTILE in raw


def test_runs_table_drops_escapes(hostile_store) -> None:
    store, _ = hostile_store
    for extra in ([], ["--columns", "id,comment,result,x"], ["--color=yes"]):
        result = sacred("runs", "--store", str(store), *extra)
        assert result.ret == 0, result.err
        text = re.sub(r"\x1b\[[0-9;]*m", "", result.out)
        assert CONTROL.search(text) is None
    assert "evil" in sacred("runs", "--store", str(store), "--columns", "id,comment").out


@given(st.text(alphabet=st.sampled_from("ab \t\n\r\b\x1b[]0;m\x07\x9b"), max_size=40), st.integers(1, 8))
def test_printable_lines_agree_with_the_live_display(text, width) -> None:
    from sacred_runner.run_output import LineAssembler, printable_lines

    assembler = LineAssembler(width)
    expected = assembler.feed(text)
    rest = assembler.take_partial()
    expected += [] if rest is None else [rest]
    assert printable_lines(text, width) == expected
    assert all(CONTROL.search(line) is None for line in printable_lines(text, width))

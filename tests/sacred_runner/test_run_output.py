"""Turning what runs print into clean display lines, and routing fds 1 and 2 through a pipe."""

from __future__ import annotations

import os
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from sacred_runner.run_output import MAX_SHOWN_CHARACTERS, SYNC_MARK, LineAssembler, OutputRouter


def assemble(*pieces: str) -> tuple[list[str], str]:
    assembler = LineAssembler()
    lines = [line for piece in pieces for line in assembler.feed(piece)]
    return lines, assembler.partial


def test_carriage_return_overwrites_as_a_terminal_does():
    assert assemble("abcdef\rXY\n") == (["XYcdef"], "")
    assert assemble(" 10%|#   |\r 20%|##  |\r100%|####|\n") == (["100%|####|"], "")
    assert assemble("line\r\n") == (["line"], "")  # CRLF keeps the line


def test_backspace_steps_back():
    assert assemble("ab\bc\n") == (["ac"], "")
    assert assemble("\b\bx\n") == (["x"], "")


def test_escape_sequences_and_control_characters_are_dropped():
    text = "\x1b[31mred\x1b[0m \x1b]0;window title\x07plain\x1b]8;;http://x\x1b\\link\x1b[2J\x07\x00\x7f\x9b\n"
    assert assemble(text) == (["red plainlink"], "")


def test_output_without_a_trailing_newline_stays_partial_until_taken():
    assembler = LineAssembler()
    assert assembler.feed("loading") == []
    assert assembler.partial == "loading"
    assert assembler.take_partial() == "loading"
    assert assembler.take_partial() is None and assembler.partial == ""


def test_a_very_long_line_is_cut_with_a_note():
    lines, _ = assemble("x" * (MAX_SHOWN_CHARACTERS + 500) + "\n")
    assert lines == ["x" * MAX_SHOWN_CHARACTERS + " … [500 more characters not shown]"]


def test_a_sync_mark_ends_an_unfinished_line_and_is_counted():
    assembler = LineAssembler()
    assert assembler.feed("half" + SYNC_MARK + SYNC_MARK + "next\n") == ["half", "next"]
    assert assembler.syncs == 2


@given(st.text(alphabet=st.sampled_from(list("ab \t\r\n\b\x1b[]m;0\x07\\é")), max_size=200),
       st.lists(st.integers(min_value=0, max_value=200), max_size=6))
def test_splitting_the_input_anywhere_gives_the_same_lines(text, cuts):
    bounds = sorted({0, len(text), *(min(c, len(text)) for c in cuts)})
    pieces = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    assert assemble(*pieces) == assemble(text)


@given(st.text(max_size=300))
def test_display_lines_never_hold_control_characters(text):
    lines, partial = assemble(text)
    for line in [*lines, partial]:
        assert not any(ord(c) < 0x20 and c != "\t" or 0x7F <= ord(c) < 0xA0 for c in line), repr(line)


@given(st.lists(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=50), max_size=20))
def test_plain_lines_pass_unchanged(lines):
    assert assemble("".join(line + "\n" for line in lines)) == (lines, "")


def test_the_router_takes_fds_1_and_2_and_hands_on_lines_in_order(tmp_path):
    received: list[str] = []
    router = OutputRouter(received.extend)
    terminal = os.open(tmp_path / "terminal", os.O_WRONLY | os.O_CREAT)
    try:
        stream = router.start(terminal)
        os.write(1, b"first\nsecond ")
        os.write(2, b"continues on stderr\n")
        sys.__stdout__.write("via sys.stdout\n")  # pytest replaced sys.stdout; this one is on fd 1
        sys.__stdout__.flush()
        subprocess.run([sys.executable, "-c", "import sys; sys.stdout.write('child\\r' + 'CHILD\\n')"], check=True)
        os.write(1, "caf\xc3\xa9 \xff\n".encode("latin-1"))
        os.write(1, b"no newline")
        router.sync()
        assert received == ["first", "second continues on stderr", "via sys.stdout", "CHILD", "café \ufffd",
                            "no newline"]
        os.write(1, b"left at the end")
        stream.write("to the terminal\n")
        stream.flush()
    finally:
        router.stop()
        router.close_terminal()
        os.close(terminal)
    assert received[-1] == "left at the end"
    assert (tmp_path / "terminal").read_text() == "to the terminal\n"
    assert not router.active

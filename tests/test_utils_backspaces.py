"""apply_backspaces_and_linefeeds: terminal-like replay of ``\\r`` and ``\\b``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred.utils import apply_backspaces_and_linefeeds

# Observed from sacred 0.8.7 (``sacred.utils.apply_backspaces_and_linefeeds``
# run as a black box on each input); our function must give the same result.
OBSERVED_FROM_SACRED_087 = [
    ("", ""),
    ("plain text\n", "plain text\n"),
    ("10%\r20%\r", "20%\r"),
    ("10%\r20%", "20%"),
    ("abc\rX", "Xbc"),
    ("ab\x08\x08cd", "cd"),
    ("a\x08b", "b"),
    ("\x08", ""),
    ("\r", "\r"),
    ("\n", "\n"),
    ("\r\r", "\r"),
    ("x\r", "x\r"),
    ("a\r\n", "a\n"),
    ("abc\r\nd", "abc\nd"),
    ("a\n\rb", "a\nb"),
    ("abc\x08", "abc"),
    ("abc\x08\n", "abc\n"),
    ("\x08\x08a", "a"),
    ("abc\x08\x08\x08X", "Xbc"),
    ("ab\x08\x08\x08\x08cd", "cd"),
    ("abc\rde\rf", "fec"),
    ("12345\r\x08\x08ab", "ab345"),
    ("hello\rhi\n", "hillo\n"),
    ("abc\rdef\x08\x08g", "dgf"),
    ("a\tb\rc", "c\tb"),
    ("abcd\r\r\rxy", "xycd"),
    ("a\nb\r", "a\nb\r"),
    ("ab\r\x08", "ab"),
    ("ab\r\n\r", "ab\n\r"),
    ("é\x08ü", "ü"),
    ("😀x\rY", "Yx"),
    ("line1\nline2\rL\nline3\x08\x083", "line1\nLine2\nlin33"),
    ("Epoch 1: [=>   ] 10%\rEpoch 1: [==> ] 50%\rEpoch 1: [====] 100%\n", "Epoch 1: [====] 100%\n"),
    ("Downloading 1/3\rDownloading 2/3\rDownloading 3/3\rDone           \n", "Done           \n"),
    ("|\x08/\x08-\x08\\\x08|\x08done\n", "done\n"),
    ("a\x0bb\rc", "c\x0bb"),
    ("x\u2028y\rz", "z\u2028y"),
]


@pytest.mark.parametrize(("text", "expected"), OBSERVED_FROM_SACRED_087)
def test_matches_outputs_observed_from_sacred_087(text, expected):
    assert apply_backspaces_and_linefeeds(text) == expected


def test_progress_bar_keeps_only_the_last_state_of_each_line():
    bar = "".join(f"\rtraining {p:3d}%" for p in range(0, 101, 5))
    text = "start\n" + bar + "\nloss 0.1\n"
    assert apply_backspaces_and_linefeeds(text) == "start\ntraining 100%\nloss 0.1\n"


def test_spinner_made_of_backspaces_leaves_the_final_character():
    text = "working " + "".join(c + "\b" for c in "|/-\\" * 5) + "ok\n"
    assert apply_backspaces_and_linefeeds(text) == "working ok\n"


@pytest.mark.parametrize("bad", [None, b"ab\rc", 5, ["a"]])
def test_non_text_input_is_rejected_with_a_clear_error(bad):
    with pytest.raises(TypeError, match="expects the captured output as str, got"):
        apply_backspaces_and_linefeeds(bad)


def reference_terminal(text: str) -> str:
    """An independent, character-by-character model of the same terminal rules."""
    lines = text.split("\n")
    replayed = []
    for line in lines:
        cells: list[str] = []
        cursor = 0
        for ch in line:
            if ch == "\r":
                cursor = 0
            elif ch == "\b":
                cursor = max(0, cursor - 1)
            elif cursor < len(cells):
                cells[cursor] = ch
                cursor += 1
            else:
                cells.append(ch)
                cursor += 1
        replayed.append("".join(cells))
    if text.endswith("\r"):
        replayed[-1] += "\r"
    return "\n".join(replayed)


control_heavy_text = st.text(
    alphabet=st.sampled_from(["a", "b", "é", "😀", "\t", " ", "\r", "\b", "\n"]),
    max_size=60,
)
plain_text = st.text(
    alphabet=st.characters(blacklist_characters="\r\b\n", blacklist_categories=("Cs",)),
    max_size=20,
)


@given(control_heavy_text)
def test_agrees_with_a_character_by_character_terminal_model(text):
    assert apply_backspaces_and_linefeeds(text) == reference_terminal(text)


@given(st.text(alphabet=st.characters(blacklist_characters="\r\b")))
def test_text_without_cursor_controls_is_unchanged(text):
    assert apply_backspaces_and_linefeeds(text) == text


@given(control_heavy_text)
def test_line_count_is_kept_and_no_backspace_survives(text):
    result = apply_backspaces_and_linefeeds(text)
    assert result.count("\n") == text.count("\n")
    assert "\b" not in result
    assert "\r" not in result[:-1]
    assert result.endswith("\r") == text.endswith("\r")


@given(control_heavy_text)
def test_applying_twice_changes_nothing(text):
    once = apply_backspaces_and_linefeeds(text)
    assert apply_backspaces_and_linefeeds(once) == once


@given(plain_text, plain_text.filter(bool))
def test_carriage_return_overwrites_from_the_start_of_the_line(first, second):
    result = apply_backspaces_and_linefeeds(first + "\r" + second)
    assert result == second + first[len(second) :]


@given(plain_text, st.integers(min_value=0, max_value=30), plain_text)
def test_backspaces_move_left_without_erasing(before, count, after):
    result = apply_backspaces_and_linefeeds(before + "\b" * count + after)
    start = max(0, len(before) - count)
    assert result == before[:start] + after + before[start + len(after) :]


@given(st.lists(control_heavy_text.map(lambda t: t.replace("\n", "")), min_size=1, max_size=5))
def test_lines_are_replayed_independently(lines):
    joined = apply_backspaces_and_linefeeds("\n".join(lines))
    one_by_one = [apply_backspaces_and_linefeeds(line) for line in lines]
    one_by_one[:-1] = [line.removesuffix("\r") for line in one_by_one[:-1]]
    assert joined == "\n".join(one_by_one)

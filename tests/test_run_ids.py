"""sacred.run_ids: a custom run id never breaks a store."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred.run_ids import MAX_RUN_ID_LENGTH, check_run_id, is_numeric_run_id


@pytest.mark.parametrize("run_id", [1, 42, "42", "baseline", "exp-3_b", "é-run", "run 2"])
def test_plain_ids_are_accepted_as_strings(run_id):
    assert check_run_id(run_id) == str(run_id)


@pytest.mark.parametrize(("run_id", "problem"), [
    ("", "it is empty"),
    ("   ", "it is empty"),
    (".", "path separator"),
    ("..", "path separator"),
    ("a/b", "path separator"),
    ("a\\b", "path separator"),
    ("_sources", "starts with '_' or '.'"),
    (".hidden", "starts with '_' or '.'"),
    ("runs.index.jsonl", "stores use that name"),
    ("metadata.json", "stores use that name"),
    ("²", "digit that is not ASCII"),
    ("٣", "digit that is not ASCII"),
    ("a\x00b", "control character"),
    ("line\nbreak", "control character"),
    (" padded", "whitespace"),
    ("x" * (MAX_RUN_ID_LENGTH + 1), "longer than"),
    (True, "is not an id"),
    (None, "is not an id"),
])
def test_ids_that_would_break_a_store_are_refused_with_the_reason(run_id, problem):
    with pytest.raises(ValueError, match="Run id") as error:
        check_run_id(run_id)
    assert problem in str(error.value) and "use a number such as 42" in str(error.value)


def test_numeric_ids_are_ascii_digits_only():
    assert is_numeric_run_id("17") and not is_numeric_run_id("²") and not is_numeric_run_id("1a")


@given(st.text(max_size=40))
def test_every_accepted_id_names_exactly_one_folder_of_its_own(tmp_path_factory, run_id):
    try:
        name = check_run_id(run_id)
    except ValueError:
        return
    base = tmp_path_factory.mktemp("ids")
    folder = base / name
    folder.mkdir()
    assert [p.name for p in base.iterdir()] == [name] and folder.parent == base
    if is_numeric_run_id(name):
        assert int(name) >= 0

"""Session checks that turn bad flags into one ERROR line (exit 4) before any run or store exists."""

from __future__ import annotations

import pytest


def _no_traceback(result) -> None:
    assert "Traceback" not in result.stdout + result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("ERROR:")]) == 1


@pytest.mark.parametrize(("flag", "message"), [
    (["-b", "inf"], "--beat_interval: expected a positive number of seconds up to 604800"),
    (["-b", "1e10"], "--beat_interval: expected a positive number of seconds up to 604800"),
    (["-b", "nan"], "--beat_interval: expected a positive number of seconds up to 604800"),
    (["-b", "-2"], "--beat_interval: expected a positive number of seconds up to 604800"),
    (["-P", "1e400"], "--priority: expected a finite number, got '1e400'"),
    (["-P", "nan"], "--priority: expected a finite number, got 'nan'"),
    (["-i", "runs.index.jsonl"], "Run id 'runs.index.jsonl' cannot be used"),
    (["-i", "²"], "it contains a digit that is not ASCII 0-9"),
    (["-i", "_sources"], "starts with '_' or '.'"),
    (["-i", "a/../b"], "path separator"),
    (["-F", ""], "--file_storage needs a value"),
    (["-t", ""], "--tiny_db needs a value"),
])
def test_bad_flag_values_end_in_one_error_before_any_store_exists(sacredtester, flag, message):
    sacredtester.experiment("exp_a.py")
    result = sacredtester.run("run", *flag)
    assert result.ret == 4 and message in result.stderr, result.stderr
    _no_traceback(result)
    assert not (sacredtester.path / ".sacred").exists()
    assert sorted(p.name for p in sacredtester.path.iterdir()) == ["exp_a.py"]


def test_one_run_id_for_two_experiments_is_a_usage_error(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.experiment("exp_b.py")
    result = sacredtester.run("run", "--id", "5")
    assert result.ret == 4
    assert "--id 5 names one run, but 2 runs are selected (exp_a.py::exp_a::main, exp_b.py::exp_b::main)" \
        in result.stderr
    _no_traceback(result)
    assert not (sacredtester.path / ".sacred").exists()
    assert sacredtester.run("run", "exp_b.py", "--id", "5").ret == 0


def test_an_unhashable_dict_key_in_a_with_value_is_one_error(sacredtester):
    sacredtester.experiment("exp_a.py")
    result = sacredtester.run("run", "with", "a={(1,2):3}")
    assert result.ret == 4
    assert "the dict key (1, 2) is a tuple; config dict keys must be strings or numbers" in result.stderr
    _no_traceback(result)


def test_sacred_addopts_that_a_shell_cannot_split_is_one_error(sacredtester, monkeypatch):
    sacredtester.experiment("exp_a.py")
    monkeypatch.setenv("SACRED_ADDOPTS", "'")
    result = sacredtester.run("run")
    assert result.ret == 4 and "SACRED_ADDOPTS=\"'\" cannot be split into options" in result.stderr
    _no_traceback(result)


def test_an_error_line_never_shows_a_password(sacredtester):
    sacredtester.experiment("exp_a.py")
    result = sacredtester.run("run", "-s", "nosuchdialect://u:pa/ss@127.0.0.1:1/db?password=zz")
    assert result.ret == 4 and "ERROR:" in result.stderr
    assert "pa/ss" not in result.stderr and "zz" not in result.stderr
    assert "u:***@127.0.0.1" in result.stderr

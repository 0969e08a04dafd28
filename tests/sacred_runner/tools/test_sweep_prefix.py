"""D11: ``--sweep`` takes a unique prefix of a sweep id (``sacred compare --sweep 5d37`` found nothing);
an ambiguous prefix is one error line naming the candidates."""

from __future__ import annotations

import pytest

from sacred.runs import FilterError, open_store
from tests.sacred_runner.tools.helpers import sacred
from tests.sacred_runner.tools.trial_runs import run_experiment

SWEEPS = ("5d375efa3ab5", "5d99aa001122", "8f3a00112233")


def sweep_store(tmp_path):
    store = tmp_path / "runs"
    for sweep_id in SWEEPS:
        for index in range(2):
            meta = {"sweep": {"id": sweep_id, "index": index, "count": 2, "point": {"x": index}}}
            run_experiment(store, lambda run: None, {"x": index}, meta=meta)
    return store


def _ids(output: str) -> set[str]:
    return {line.split()[0] for line in output.splitlines()[2:-1]}


def test_runs_and_compare_take_a_unique_prefix(tmp_path) -> None:
    store = sweep_store(tmp_path)
    listed = sacred("runs", "--store", str(store), "--sweep", "5d37")
    assert listed.ret == 0, listed.err
    assert _ids(listed.out) == {"1", "2"}
    assert _ids(sacred("runs", "--store", str(store), "--sweep", "5d375efa3ab5").out) == {"1", "2"}
    compared = sacred("compare", "--store", str(store), "--sweep", "5d37")
    assert compared.ret == 0, compared.err
    assert "run 1" in compared.out and "run 2" in compared.out and "run 3" not in compared.out
    with open_store(str(store)) as opened:
        assert opened.count(sweep="8f") == 2


def test_an_ambiguous_prefix_names_the_candidates(tmp_path) -> None:
    store = sweep_store(tmp_path)
    for command in ("runs", "compare"):
        result = sacred(command, "--store", str(store), "--sweep", "5d")
        assert result.ret == 4 and result.out == ""
        assert result.err.strip() == ("ERROR: sweep id prefix '5d' is ambiguous: it starts "
                                      "5d375efa3ab5, 5d99aa001122")
    with open_store(str(store)) as opened, pytest.raises(FilterError):
        opened.count(sweep="5d")
    assert "no runs of sweep '77'" in sacred("compare", "--store", str(store), "--sweep", "77").err

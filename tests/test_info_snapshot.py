"""The heartbeat's copy of the info dict: consistent, independent, re-made only where it changed."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from sacred.run import _InfoSnapshot

values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=4)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=10,
)
infos = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), values, max_size=4)


@settings(max_examples=150)
@given(st.lists(infos, min_size=1, max_size=6))
def test_each_snapshot_equals_the_info_of_its_beat(beats):
    snapshot = _InfoSnapshot()
    for info in beats:
        expected = copy.deepcopy(info)
        taken = snapshot.take(info)
        assert taken == expected
        assert list(taken) == list(info)  # same key order
        assert repr(taken) == repr(expected)  # same types (1 vs 1.0 vs True)


def test_unchanged_entries_are_not_copied_again_and_copies_stay_independent():
    info = {"losses": [0.5] * 1000, "n": 1}
    snapshot = _InfoSnapshot()
    first = snapshot.take(info)
    assert first["losses"] is not info["losses"]
    second = snapshot.take(info)
    assert second["losses"] is first["losses"]  # equal pickle: the previous copy
    info["losses"].append(1.0)  # changed in place: a new copy
    info["n"] = 1.0  # equal in python, another type: a new copy
    third = snapshot.take(info)
    assert third["losses"] is not first["losses"] and len(third["losses"]) == 1001
    assert type(third["n"]) is float
    assert len(first["losses"]) == 1000  # earlier copies never change


def test_values_that_do_not_pickle_fall_back_to_a_deep_copy():
    snapshot = _InfoSnapshot()
    info = {"f": lambda: 1, "x": [1]}
    taken = snapshot.take(info)
    assert taken["x"] == [1] and taken["x"] is not info["x"]
    assert snapshot.take({"x": [2]}) == {"x": [2]}


def test_the_copy_carries_each_entrys_pickle_and_is_a_plain_dict_elsewhere():
    import pickle

    info = {"a": [1.5, 2], "b": {"c": None}}
    taken = _InfoSnapshot().take(info)
    assert taken.entry_pickles == {k: pickle.dumps((k, v), protocol=pickle.HIGHEST_PROTOCOL) for k, v in info.items()}
    assert type(pickle.loads(pickle.dumps(taken))) is dict
    assert type(copy.deepcopy(taken)) is dict and copy.deepcopy(taken) == info



def test_the_copies_are_released_when_the_run_ends():
    from sacred import Experiment

    ex = Experiment("snap")
    kept = []

    @ex.main
    def main(_run):
        _run.info["x"] = [1.0] * 10
        _run._beat()  # a heartbeat: its copy is kept for comparing with the next one
        kept.append(len(_run._info_snapshot._previous))

    class Observer:
        priority = 0

        def heartbeat_event(self, info, captured_out, beat_time, result):
            pass

    ex.observers.append(Observer())
    run = ex.run(options={"--capture": "no"})
    assert kept == [1]
    assert run._info_snapshot._previous == []

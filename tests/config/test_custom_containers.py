"""Config containers under their 0.8.7 names."""

from __future__ import annotations

import copy
import pickle

import pytest

from sacred.config.custom_containers import (
    DogmaticDict,
    DogmaticList,
    ReadOnlyDict,
    ReadOnlyList,
    fallback_dict,
    make_read_only,
)
from sacred.utils import SacredError


def test_dogmatic_list_ignores_in_place_changes():
    lst = DogmaticList([1, 2])
    lst.append(3)
    lst.extend([3])
    lst.insert(0, 3)
    lst.remove(1)
    lst[0] = 9
    del lst[0]
    lst.sort()
    lst.reverse()
    lst += [5]
    lst *= 2
    assert lst == [1, 2] and isinstance(lst, list)
    with pytest.raises(TypeError):
        lst.pop()


def test_fallback_dict():
    d = fallback_dict({"a": 1}, b=2)
    assert type(d) is dict and d == {"a": 1, "b": 2}


def test_make_read_only_and_read_only_containers():
    ro = make_read_only({"a": [1, {"b": 2}], "c": (1, 2)})
    assert isinstance(ro, ReadOnlyDict) and isinstance(ro["a"], ReadOnlyList)
    assert isinstance(ro["a"][1], ReadOnlyDict) and ro["c"] == (1, 2)
    with pytest.raises(SacredError, match="read-only"):
        ro["a"] = 1
    with pytest.raises(SacredError):
        ro["a"].append(1)
    assert make_read_only(5) == 5 and make_read_only([1]) == [1]
    assert pickle.loads(pickle.dumps(ro)) == ro and copy.deepcopy(ro) == ro


def test_dogmatic_dict_keeps_fixed_values_and_serves_fallback():
    dd = DogmaticDict(fixed={"a": 1}, fallback={"f": 5})
    dd["a"] = 2
    dd["b"] = 3
    assert dd["a"] == 1 and dd["b"] == 3 and dd["f"] == 5
    assert "f" not in dict(dd)

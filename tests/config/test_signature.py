"""Signature with Sacred 0.8.7's attributes and construct_arguments(bound=...)."""

from __future__ import annotations

from collections import OrderedDict

import pytest

from sacred.config.signature import Signature
from sacred.utils import MissingConfigError, SignatureError


def f(a, b, c=3, *args, d=4, **kw):
    pass


def g(a, b=2):
    pass


class C:
    def m(self, x, y=1):
        pass


def test_attributes_as_087():
    s = Signature(f)
    assert s.arguments == ["a", "b", "c", "d"]
    assert s.positional_args == ["a", "b"]
    assert s.kwargs == OrderedDict([("c", 3), ("d", 4)])
    assert (s.vararg_name, s.kw_wildcard_name, s.name) == ("args", "kw", "f")
    s2 = Signature(g)
    assert (s2.vararg_name, s2.kw_wildcard_name) == (None, None)


def test_construct_arguments_as_087():
    s = Signature(f)
    assert s.construct_arguments((1,), {"c": 5}, {"b": 2, "x": 9}) == ((1,), {"c": 5, "b": 2})
    s2 = Signature(g)
    assert s2.construct_arguments((), {}, {"a": 1, "b": 3}, False) == ((), {"a": 1, "b": 3})
    assert s2.construct_arguments((), {}, {"a": 1}, True) == ((), {})
    assert s2.get_free_parameters((1,), {}) == ["b"]
    with pytest.raises(MissingConfigError, match="'a'"):
        s2.construct_arguments((), {}, {})
    with pytest.raises(SignatureError):
        s2.construct_arguments((1, 2, 3), {}, {})
    with pytest.raises(SignatureError, match="'z'"):
        s2.construct_arguments((), {"z": 1}, {})


def test_bound_methods_skip_self():
    s = Signature(C.m)
    assert s.arguments == ["self", "x", "y"] and s.positional_args == ["self", "x"]
    assert s.construct_arguments((), {}, {"x": 1}, bound=True) == ((), {"x": 1})
    assert s.get_free_parameters((), {}, bound=True) == ["x", "y"]

"""sacred.introspection gives what inspect gives, for every kind of callable."""

import functools
import inspect
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred import introspection


def as_inspect(func):
    """``(name, kind, default)`` of each parameter, as inspect reports them."""
    return [
        (p.name, int(p.kind), introspection.EMPTY if p.default is p.empty else p.default)
        for p in inspect.signature(func).parameters.values()
    ]


def as_ours(func):
    return [(p.name, p.kind, p.default) for p in introspection.parameters(func)]


@st.composite
def function_sources(draw):
    """The source of a function with a random mix of every parameter kind."""
    names = iter(f"p{i}" for i in range(100))
    positional_only = [next(names) for _ in range(draw(st.integers(0, 3)))]
    positional = [next(names) for _ in range(draw(st.integers(0, 3)))]
    keyword_only = [next(names) for _ in range(draw(st.integers(0, 3)))]
    ordered = positional_only + positional
    with_default = draw(st.integers(0, len(ordered)))
    parts = []
    for index, name in enumerate(ordered):
        default = f"={index}" if index >= len(ordered) - with_default else ""
        parts.append(name + default)
        if positional_only and name == positional_only[-1]:
            parts.append("/")
    star = draw(st.booleans())
    if star:
        parts.append("*args")
    elif keyword_only:
        parts.append("*")
    for name in keyword_only:
        parts.append(name + (f"='k{name}'" if draw(st.booleans()) else ""))
    if draw(st.booleans()):
        parts.append("**kwargs")
    body = "    local = 1\n" * draw(st.integers(0, 2)) + "    return None\n"
    return f"def f({', '.join(parts)}):\n{body}"


@given(function_sources())
def test_parameters_of_plain_functions_are_inspects(source):
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 - generated test source
    func = namespace["f"]
    assert as_ours(func) == as_inspect(func), source
    assert introspection.parameter_names(func) == list(inspect.signature(func).parameters)


class Base:
    def method(self, a, b=2, *rest, c, **more):
        """Documented in the base class."""

    def star(*args, **kwargs):
        pass

    @classmethod
    def make(cls, x, y=1):
        return cls

    @staticmethod
    def helper(z):
        return z


class Child(Base):
    def method(self, a, b=2, *rest, c, **more):
        pass


def decorated(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


@decorated
def wrapped(a, b=3):
    return a + b


def with_signature(x, y):
    return x


with_signature.__signature__ = inspect.Signature(
    [inspect.Parameter("only", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
)


@pytest.mark.parametrize(
    "func",
    [
        Base().method,
        Base().star,
        Base.make,
        Base.helper,
        Child().method,
        wrapped,
        with_signature,
        functools.partial(wrapped, 1),
        lambda q, *, r=5: q,
        Base,
        dict.get,
    ],
)
def test_parameters_of_other_callables_are_inspects(func):
    assert as_ours(func) == as_inspect(func)


def test_a_method_without_self_is_refused_like_inspect():
    class Odd:
        def nothing():  # noqa: N805 - deliberately without self
            pass

        def keyword_self(*, me):
            pass

    for func in (Odd().nothing, Odd().keyword_self):
        with pytest.raises(ValueError):
            inspect.signature(func)
        with pytest.raises(ValueError):
            introspection.parameters(func)


def test_no_signature_raises_as_inspect():
    with pytest.raises(TypeError):
        introspection.parameters(42)


@given(st.text(alphabet=" \t\n\r\x0b\x0c\x85\u3000\u2028ab#", max_size=40))
def test_cleandoc_is_inspects(doc):
    assert introspection.cleandoc(doc) == inspect.cleandoc(doc)


def test_getdoc_is_inspects_including_inherited_docs():
    def plain():
        """
        Indented
          text.
        """

    def bare():
        pass

    for func in (plain, bare, Child.method, Child().method, Base.method, Base, print):
        assert introspection.getdoc(func) == inspect.getdoc(func)
    assert introspection.getdoc(Child.method) == "Documented in the base class."


def test_source_file_name_is_the_code_objects_file_or_inspects_mapping():
    assert introspection.source_file_name(wrapped) == __file__
    compiled = compile("def g():\n    pass\n", os.path.join("somewhere", "mod.pyc"), "exec")
    namespace: dict = {}
    exec(compiled, namespace)  # noqa: S102 - test code
    expected = inspect.getsourcefile(namespace["g"]) or compiled.co_filename
    assert introspection.source_file_name(namespace["g"]) == expected

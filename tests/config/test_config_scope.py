"""Config scopes: locals become entries (spec: Configuration / Config Scopes)."""

import os

import numpy as np
import pytest

from sacred.config.config_scope import ConfigScope
from sacred.utils import ConfigError


def test_spec_config_demo_scope_returns_its_dict():
    def my_config():
        """This is my demo configuration"""
        a = 10  # some integer
        # a dictionary
        foo = {"a_squared": a**2, "bar": "my_string%d" % a}
        if a > 8:
            # cool: a dynamic entry
            e = a / 2

    scope = ConfigScope(my_config)
    assert scope() == {"foo": {"bar": "my_string10", "a_squared": 100}, "a": 10, "e": 5}


def test_docstring_and_line_comments_become_docs():
    def my_config():
        """This is my demo configuration"""
        a = 10  # some integer
        # a dictionary
        foo = {"a_squared": a**2}
        if a > 8:
            # cool: a dynamic entry
            e = a / 2
        b = 3  # pylint: disable=foo

    docs = ConfigScope(my_config)().docs
    assert docs["__doc__"] == "This is my demo configuration"
    assert docs["a"] == "some integer"
    assert docs["foo"] == "a dictionary"
    assert docs["e"] == "cool: a dynamic entry"
    assert "b" not in docs  # IGNORED_COMMENTS filters linter directives


def test_only_json_like_values_are_kept_and_tuples_become_lists():
    def cfg():
        t = (1, 2, (3, 4))
        module = os
        func = len
        lam = lambda x: x  # noqa: E731
        obj = object()
        s = {1, 2}
        ok = {"nested": (5,)}
        none = None

    result = ConfigScope(cfg)()
    assert result == {"t": [1, 2, [3, 4]], "ok": {"nested": [5]}, "none": None}


def test_fixed_values_win_and_derived_entries_recompute():
    def cfg():
        a = 10
        foo = {"a_squared": a**2, "bar": "my_string%d" % a}
        if a > 8:
            e = a / 2

    assert ConfigScope(cfg)(fixed={"a": 23}) == {
        "foo": {"bar": "my_string23", "a_squared": 529},
        "a": 23,
        "e": 11.5,
    }


def test_nested_fixed_value_keeps_siblings():
    def cfg():
        a = 10
        foo = {"a_squared": a**2, "bar": "my_string%d" % a}

    result = ConfigScope(cfg)(fixed={"foo": {"bar": "baobab"}})
    assert result == {"foo": {"bar": "baobab", "a_squared": 100}, "a": 10}


def test_mutating_a_fixed_value_in_the_scope_changes_neither_it_nor_the_update():
    def cfg():
        lst = []
        lst.append(1)
        lst += [2]
        d = {"inner": []}
        d["inner"].append(3)

    fixed = {"lst": [9], "d": {"inner": [8]}}
    result = ConfigScope(cfg)(fixed=fixed)
    # as in 0.8.7: an update is a fixed value, whatever the scope does with it
    assert result == {"lst": [9], "d": {"inner": [8]}}
    assert fixed == {"lst": [9], "d": {"inner": [8]}}


def test_scope_may_declare_earlier_entries_and_overwrite_them():
    def my_config2(a):
        c = a * 2
        a = -1

    result = ConfigScope(my_config2)(preset={"a": 10, "b": "test"})
    assert result == {"a": -1, "b": "test", "c": 20}


def test_undeclared_earlier_entries_are_not_visible():
    def my_config2(a):
        d = b + "2"  # noqa: F821

    with pytest.raises(NameError):
        ConfigScope(my_config2)(preset={"a": 10, "b": "test"})


def test_declared_parameter_without_value_is_a_clear_error():
    def cfg(missing):
        x = missing

    with pytest.raises(ConfigError, match="'cfg' declares parameter 'missing'"):
        ConfigScope(cfg)()


@pytest.mark.parametrize(
    "source, kind",
    [
        ("def bad_scope():\n    a = 1\n    return a\n", "return"),
        ("def bad_scope():\n    a = 1\n    yield a\n", "yield"),
    ],
)
def test_return_or_yield_is_refused_naming_the_function(tmp_path, source, kind):
    path = tmp_path / "scope_mod.py"
    path.write_text(source)
    namespace: dict = {}
    exec(compile(source, str(path), "exec"), namespace)
    with pytest.raises(ConfigError, match=f"'bad_scope' contains a '{kind}'"):
        ConfigScope(namespace["bad_scope"])


def test_nested_function_may_return():
    def cfg():
        def helper():
            return 3

        a = helper()

    assert ConfigScope(cfg)() == {"a": 3}


def test_exception_in_scope_points_at_user_line():
    import traceback

    def cfg():
        a = 1
        b = a / 0  # the failing line

    with pytest.raises(ZeroDivisionError) as info:
        ConfigScope(cfg)()
    frames = traceback.extract_tb(info.value.__traceback__)
    assert frames[-1].filename == __file__
    assert "the failing line" in frames[-1].line


def test_invalid_key_in_scope_dict_is_refused():
    def cfg():
        d = {"a.b": 1}

    with pytest.raises(ConfigError, match='"a.b"'):
        ConfigScope(cfg)()


def test_numpy_values_become_python_types():
    def cfg():
        f = np.float32(1.5)
        i = np.int64(3)
        arr = np.array([[1, 2], [3, 4]])

    result = ConfigScope(cfg)()
    assert result == {"f": 1.5, "i": 3, "arr": [[1, 2], [3, 4]]}
    assert type(result["i"]) is int and type(result["f"]) is float


# --- comments found from the AST agree with tokenize ------------------------------------

import ast  # noqa: E402
import warnings  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sacred.config.config_scope import comments_by_tokenize, comments_from_tree  # noqa: E402

_TEXT = st.text(alphabet=st.sampled_from(list("ab #'\"\\é€:{}")), max_size=12)


@st.composite
def _source_line(draw):
    """One line of Python: assignments of literals that may hold '#', comments, f-strings."""
    value = draw(_TEXT)
    literal = draw(st.sampled_from([repr(value), "b" + repr(value.encode("utf-8")),
                                    "f" + repr(value.replace("{", "").replace("}", "")),
                                    "f'{x!r:>5}#{x}'", "123", "[1, '#', 2]"]))
    comment = draw(st.sampled_from(["", "  # a doc", "  #", "# é#x", "  ## two"]))
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return f"x = {literal}{comment}"
    if kind == 1:
        return comment.strip() or "pass"
    if kind == 2:  # implicit concatenation across lines, a comment between
        return f"y = ({literal}{comment}\n     {literal})"
    if kind == 3:  # a triple-quoted string that may hold '#'
        return f'z = """{value.replace(chr(34), "")}\n#{value.replace(chr(34), "")} """{comment}'
    return f"def f():  {comment.strip()}\n    return {literal}"


@settings(max_examples=300, deadline=None)
@given(st.lists(_source_line(), min_size=1, max_size=8))
def test_comments_from_the_ast_are_those_tokenize_finds(lines):
    text = "x = 0\n" + "\n".join(lines) + "\n"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in generated literals
            tree = ast.parse(text)
    except SyntaxError:
        return  # only valid sources reach a config scope
    found = comments_from_tree(text, tree)
    if found is not None:  # None: the caller tokenizes
        assert found == comments_by_tokenize(text)


def test_comments_from_the_ast_on_typical_config_source():
    text = (
        "def cfg():\n"
        "    a = 1  # the answer\n"
        "    # above b\n"
        "    b = 'not # a comment'  # but this is\n"
        "    c = f'{a}#'\n"
        "    d = 'é#'  # ünïcode\n"
    )
    found = comments_from_tree(text, ast.parse(text))
    assert found == {2: "the answer", 3: "above b", 4: "but this is", 6: "ünïcode"}
    assert found == comments_by_tokenize(text)


def test_comments_fall_back_to_tokenize_when_a_multiline_string_holds_a_hash():
    text = 'x = """\n# inside\n"""  # after\n'
    assert comments_from_tree(text, ast.parse(text)) is None
    assert comments_by_tokenize(text) == {3: "after"}
    crlf = "x = 1  # c\r\n"
    assert comments_from_tree(crlf, ast.parse(crlf)) is None

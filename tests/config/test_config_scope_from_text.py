"""Config scope bodies compiled from their lines give what the AST path gives.

``_compile_body_from_text`` compiles the common shape of a config scope without
building Python AST objects; anything unusual goes to the AST path. Each source
here is evaluated both ways: same values, same docs, same errors, same lines in
tracebacks, and the text path is taken exactly where it is meant to be.
"""

import itertools
import linecache
import traceback

import pytest

from sacred.config import config_scope
from sacred.config.config_scope import ConfigScope
from sacred.config.config_summary import ConfigSummary
from sacred.utils import ConfigError

_counter = itertools.count()

# (source, name of the scope, whether the text path takes it)
SOURCES = [
    ("@ex_config\ndef cfg():\n    a = 1  # the answer\n    # above b\n    b = a + 1\n", "cfg", True),
    ("@ex_config  # comment\n# between\n\n@ex_config\ndef cfg():\n    a = [\n1,\n  2]\n", "cfg", True),
    ("def outer():\n    @ex_config\n    def cfg():\n        a = 1\n        b = {'k': a}\n    return cfg\n"
     "cfg = outer()\n", "cfg", True),
    ("@ex_config\ndef cfg():\n    a = 1\n    s = '''\ncol0 # not a comment\n'''  # doc of s\n"
     "def after():\n    pass\n", "cfg", True),
    # a trailing string statement compiles to nothing, but the implicit return is located on it
    ("@ex_config\ndef cfg():\n    a = 1\n    '''\nat col 0\n    '''\n", "cfg", True),
    # the scan stopping inside a string makes the compile fail: the AST path
    ("@ex_config\ndef cfg():\n    a = 1\n    raise ValueError(1)\n    '''\nat col 0\n    '''\n",
     "cfg", False),
    ("@ex_config\ndef cfg():\n    a: int = 1  # annotated\n    b = 2\n    if False:\n        c = 3\n",
     "cfg", True),
    ("@ex_config\ndef cfg():\n    a = 1\n    if False:\n        return\n", "cfg", False),
    # tabs up to the last line of code: inside the function, the tokenizer reads them as ever
    ("@ex_config\ndef cfg():\n\ta = 1\n\tb = 2\n", "cfg", True),
    ("@ex_config\ndef cfg(): a = 1\n", "cfg", False),  # one-line def
    ('@ex_config\ndef cfg():\n    """The doc."""\n    a = 1\n', "cfg", False),  # docstring
    ("@ex_config(\n    'arg'\n)\ndef cfg():\n    a = 1\n", "cfg", False),  # multi-line decorator
    ("@ex_config\ndef cfg() -> 'x(':\n    b = 1\n", "cfg", False),  # strings in the header
    ("@ex_config\ndef cfg():\n    a = 1\n    b = \\\n3\n", "cfg", True),
    ("@ex_config\ndef cfg():\n    a = 1\n    x = 1\n# a comment at col 0\n    y = x + a\n"
     "z = 5\n", "cfg", True),
    ("@ex_config\ndef cfg():\n    def helper():\n        return 3\n    a = helper()\n", "cfg", True),
    ("@ex_config\ndef cfg():\n    a = 1\n    b = a / 0  # fails here\n", "cfg", True),
]


def load(tmp_path, source, name):
    """Define the scope function from a real file (linecache reads it as for any module)."""
    path = tmp_path / f"scope_{next(_counter)}.py"
    path.write_text(source)
    linecache.checkcache(str(path))
    namespace = {"ex_config": lambda *args: args[0] if args and callable(args[0]) else (lambda f: f)}
    exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - test sources
    return namespace[name]


def evaluate(func, monkeypatch, text_path):
    """Build and evaluate a scope: (outcome, docs, failing line and column, text path taken)."""
    with monkeypatch.context() as patch:
        if not text_path:
            patch.setattr(config_scope, "_compile_body_from_text", lambda func: None)
        try:
            scope = ConfigScope(func)
        except ConfigError as err:
            return ("ConfigError", str(err)), None, None, False
        used_text = scope._func_def is None
        try:
            summary = scope()
        except (ZeroDivisionError, ValueError) as err:
            frame = traceback.extract_tb(err.__traceback__)[-1]
            return (type(err).__name__,), scope.docs, (frame.lineno, frame.colno), used_text
        return ("values", dict(summary)), summary.docs, None, used_text


@pytest.mark.parametrize("source, name, takes_text_path", SOURCES)
def test_text_path_gives_what_the_ast_path_gives(tmp_path, monkeypatch, source, name, takes_text_path):
    func = load(tmp_path, source, name)
    fast = evaluate(func, monkeypatch, text_path=True)
    slow = evaluate(func, monkeypatch, text_path=False)
    assert fast[:3] == slow[:3]
    assert fast[3] is takes_text_path
    assert slow[3] is False


def test_return_in_dead_code_is_refused_as_before(tmp_path, monkeypatch):
    func = load(tmp_path, "@ex_config\ndef cfg():\n    a = 1\n    if False:\n        return\n", "cfg")
    with pytest.raises(ConfigError, match="'cfg' contains a 'return' statement"):
        ConfigScope(func)


def test_docs_are_read_from_the_source_only_when_asked_for(tmp_path, monkeypatch):
    func = load(tmp_path, "@ex_config\ndef cfg():\n    a = 1  # the answer\n", "cfg")
    scope = ConfigScope(func)
    parsed = []
    original = config_scope._function_node
    monkeypatch.setattr(config_scope, "_function_node", lambda f: parsed.append(f) or original(f))
    summary = scope()
    assert dict(summary) == {"a": 1} and not parsed
    merged = ConfigSummary()
    merged.update_from(summary, "sub")
    assert not parsed
    assert merged.docs == {"sub.a": "the answer"} and len(parsed) == 1
    assert scope() is not None and len(parsed) == 1  # parsed once


def test_lazy_docs_merge_in_the_order_of_the_merges():
    first = ConfigSummary({}, docs=lambda: {"__doc__": "one", "a": "lazy a"})
    second = ConfigSummary({}, docs={"__doc__": "two", "a": "eager a"})
    merged = ConfigSummary()
    merged.update_from(first)
    merged.update_from(second)
    assert merged.docs == {"__doc__": "one\ntwo", "a": "eager a"}
    eager = ConfigSummary()
    eager.update_from(ConfigSummary({}, docs={"__doc__": "one", "a": "lazy a"}))
    eager.update_from(second)
    assert eager.docs == merged.docs
    merged.docs = {"replaced": "yes"}
    assert merged.docs == {"replaced": "yes"}


def test_a_summary_with_lazy_docs_pickles_with_them():
    import pickle

    summary = ConfigSummary({"a": 1}, added={"a"}, docs=lambda: {"a": "doc"})
    copy = pickle.loads(pickle.dumps(summary))
    assert copy == {"a": 1} and copy.docs == {"a": "doc"} and copy.added == {"a"}

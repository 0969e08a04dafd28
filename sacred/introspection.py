"""What sacred reads from functions (parameters, docstrings, source file) without :mod:`inspect`.

Every run reads the signatures of its captured functions and config scopes.
:mod:`inspect` brings ``ast``, ``dis``, ``tokenize`` and ``enum`` classes into a
fresh process (about a fifth of a hello world's instructions after ``import
sacred``), so plain functions, the overwhelming case, are read from their code
object here, with exactly the result :func:`inspect.signature` gives them.
Anything else (bound methods, ``functools.partial``, classes, builtins,
functions carrying ``__wrapped__`` or ``__signature__``) goes to :mod:`inspect`.
"""

from __future__ import annotations

import sys
from types import FunctionType, MethodType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = [
    "POSITIONAL_ONLY",
    "POSITIONAL_OR_KEYWORD",
    "VAR_POSITIONAL",
    "KEYWORD_ONLY",
    "VAR_KEYWORD",
    "EMPTY",
    "CO_GENERATOR",
    "CO_ASYNC_GENERATOR",
    "FunctionType",
    "Parameter",
    "parameters",
    "parameter_names",
    "cleandoc",
    "getdoc",
    "source_file_name",
]

# the parameter kinds in inspect's order (their ints are inspect.Parameter.kind's values)
POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD, VAR_POSITIONAL, KEYWORD_ONLY, VAR_KEYWORD = range(5)

# code object flags (stable since Python 3.6; the values inspect exports)
_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08
CO_GENERATOR = 0x20
"""``co_flags`` bit of a generator function (``inspect.CO_GENERATOR``)."""
CO_ASYNC_GENERATOR = 0x200
"""``co_flags`` bit of an asynchronous generator function (``inspect.CO_ASYNC_GENERATOR``)."""


class _Empty:
    """The marker of a parameter without a default."""

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY: Any = _Empty()
"""``Parameter.default`` of a parameter that has no default."""

# attributes that make inspect.signature look beyond the code object
_SIGNATURE_ATTRIBUTES = ("__wrapped__", "__signature__", "_partialmethod", "__partialmethod__")


class Parameter:
    """One parameter: its ``name``, ``kind`` (one of the kind constants) and ``default``."""

    __slots__ = ("name", "kind", "default")

    def __init__(self, name: str, kind: int, default: Any = EMPTY) -> None:
        self.name = name
        self.kind = kind
        self.default = default

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, {self.kind}, {self.default!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Parameter):
            return NotImplemented
        return (self.name, self.kind) == (other.name, other.kind) and (
            self.default is other.default or self.default == other.default
        )

    __hash__ = None  # type: ignore[assignment]


def _is_plain_function(func: Any) -> bool:
    """True if ``inspect.signature(func)`` reads nothing but ``func``'s code object and defaults."""
    if type(func) is not FunctionType:
        return False
    attributes = func.__dict__
    return not attributes or not any(name in attributes for name in _SIGNATURE_ATTRIBUTES)


def parameters(func: Callable) -> list[Parameter]:
    """The parameters of ``func`` in order, as :func:`inspect.signature` lists them.

    Raises what :func:`inspect.signature` raises (``TypeError``, ``ValueError``)
    for objects without a signature.
    """
    if type(func) is MethodType and _is_plain_function(func.__func__):
        return _bound(parameters(func.__func__))
    if not _is_plain_function(func):
        return _parameters_by_inspect(func)
    code = func.__code__
    names = code.co_varnames
    positional_count = code.co_argcount
    positional_only = code.co_posonlyargcount
    keyword_only_count = code.co_kwonlyargcount
    defaults = func.__defaults__ or ()
    kwdefaults = func.__kwdefaults__ or {}
    first_default = positional_count - len(defaults)
    result = []
    for index in range(positional_count):
        kind = POSITIONAL_ONLY if index < positional_only else POSITIONAL_OR_KEYWORD
        default = defaults[index - first_default] if index >= first_default else EMPTY
        result.append(Parameter(names[index], kind, default))
    next_name = positional_count + keyword_only_count
    if code.co_flags & _CO_VARARGS:
        result.append(Parameter(names[next_name], VAR_POSITIONAL))
        next_name += 1
    for name in names[positional_count : positional_count + keyword_only_count]:
        result.append(Parameter(name, KEYWORD_ONLY, kwdefaults.get(name, EMPTY)))
    if code.co_flags & _CO_VARKEYWORDS:
        result.append(Parameter(names[next_name], VAR_KEYWORD))
    return result


def _bound(params: list[Parameter]) -> list[Parameter]:
    """The parameters of a bound method: the function's without the first (``self``)."""
    if not params or params[0].kind in (KEYWORD_ONLY, VAR_KEYWORD):
        raise ValueError("invalid method signature")
    if params[0].kind == VAR_POSITIONAL:  # def method(*args): self is part of args
        return params
    return params[1:]


def _parameters_by_inspect(func: Callable) -> list[Parameter]:
    import inspect

    return [
        Parameter(p.name, int(p.kind), EMPTY if p.default is p.empty else p.default)
        for p in inspect.signature(func).parameters.values()
    ]


def parameter_names(func: Callable) -> list[str]:
    """The names of ``func``'s parameters in order (``list(inspect.signature(func).parameters)``)."""
    return [p.name for p in parameters(func)]


# what counts as indentation: any whitespace up to Python 3.12, spaces from 3.13 on
_INDENT = " " if sys.version_info >= (3, 13) else None


def cleandoc(doc: str) -> str:
    """A docstring without its indentation, as :func:`inspect.cleandoc` cleans it.

    Tabs are expanded; the first line loses its leading whitespace, the others
    the smallest indentation among their non-blank lines; leading and trailing
    empty lines are dropped. (Python 3.13 counts only spaces as indentation.)
    """
    lines = doc.expandtabs().split("\n")
    margin = sys.maxsize
    for line in lines[1:]:
        content = len(line.lstrip(_INDENT))
        if content:
            margin = min(margin, len(line) - content)
    lines[0] = lines[0].lstrip(_INDENT)
    if margin < sys.maxsize:
        for index in range(1, len(lines)):
            lines[index] = lines[index][margin:]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def getdoc(func: Any) -> str | None:
    """``func``'s cleaned docstring, as :func:`inspect.getdoc` returns it (None if none)."""
    if type(func) is not FunctionType or (func.__doc__ is None and "." in func.__qualname__):
        # methods may inherit a docstring from a base class: inspect knows where to look
        import inspect

        return inspect.getdoc(func)
    doc = func.__doc__
    return cleandoc(doc) if isinstance(doc, str) else None


def source_file_name(func: Any) -> str:
    """The file ``func``'s source is read from (``inspect.getsourcefile`` or its code's file name).

    A code object names its source file; only names of byte code or extension
    files need :mod:`inspect`'s mapping to the source file.
    """
    code = getattr(func, "__code__", None)
    filename = getattr(code, "co_filename", "") or ""
    if code is None or filename.endswith((".pyc", ".pyo", ".so", ".pyd")):
        import inspect

        try:
            found = inspect.getsourcefile(func) if code is not None else None
        except TypeError:
            found = None
        return found or filename
    return filename

"""Config scopes: functions whose local variables become configuration entries.

The body of the decorated function is compiled once (with the user's file name
and line numbers, so errors point at the user's line) and executed in a
:class:`~sacred.config.custom_containers.DogmaticDict` that keeps config
updates fixed. Line comments and the docstring become entry docs.
"""

from __future__ import annotations

import collections
import copy
import linecache
import logging
import re
from collections.abc import Callable, Mapping

from sacred import introspection
from sacred.config.config_summary import ConfigSummary
from sacred.config.custom_containers import DogmaticDict, undogmatize
from sacred.config.normalize import (
    NotJsonLike,
    assert_is_valid_key,
    is_numpy_type_change_ignorable,
    normalize_value,
)
from sacred.settings import SETTINGS
from sacred.utils import ConfigError, iterate_flattened, recursive_update, set_by_dotted_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    from typing import Any


def _ast_module() -> Any:
    """The AST node classes, imported on first use.

    ``_ast`` holds the node classes and the parse flag without the ``ast`` module's
    helpers (its enum classes and unparser: ~5 M instructions a fresh process).
    (CPython's ``compile()`` creates the node classes themselves on its first call
    whatever the source, so a run pays those once anyway.)
    """
    try:
        import _ast
    except ImportError:  # pragma: no cover - an interpreter without the _ast module
        import ast as _ast
    return _ast

__all__ = ["ConfigScope", "compute_changes"]


class ConfigScope:
    """A config defined by the local variables of a function.

    Its parameters name earlier entries or other ingredients' configs; ``_log``
    gets the ingredient's logger (the only special value 0.8.7 allows here).
    """

    def __init__(self, func: Callable) -> None:
        self._func = func
        self.__name__ = getattr(func, "__name__", "config_scope")
        self.__doc__ = introspection.getdoc(func)
        self.__wrapped__ = func
        params = introspection.parameters(func)
        for param in params:
            if param.kind in (introspection.VAR_POSITIONAL, introspection.VAR_KEYWORD):
                raise ConfigError(
                    f"Config scope '{self.__name__}' cannot take *args or **kwargs; "
                    "declare the earlier entries it uses by name"
                )
        self.arg_spec = [param.name for param in params]
        self._parsed: _ParsedSource | None = None
        self._func_def: Any = None
        body_code = _compile_body_from_text(func)
        if body_code is None:  # anything unusual: the AST, which also gives exact errors
            body_code, self._parsed, self._func_def = _compile_body(func)
        self._body_code = body_code
        self._globals = func.__globals__
        self._docs: dict[str, str] | None = None

    @property
    def doc(self) -> str | None:
        """The scope's docstring."""
        return self.__doc__

    @property
    def docs(self) -> dict[str, str]:
        """Entry docs from line comments (and ``__doc__``), extracted on first use."""
        if self._docs is None:
            if self._func_def is None:
                self._parsed, self._func_def = _function_node(self._func)
            self._docs = _extract_docs(self._parsed, self._func_def, self.__doc__)
        return self._docs

    def _docs_source(self) -> dict[str, str] | Callable[[], dict[str, str]]:
        """The docs if known, else what reads them when a summary's docs are asked for."""
        return self._docs if self._docs is not None else (lambda: self.docs)

    def __call__(
        self,
        fixed: Mapping | None = None,
        preset: Mapping | None = None,
        fallback: Mapping | None = None,
    ) -> ConfigSummary:
        """Evaluate the scope; fixed values win, ``preset`` holds earlier entries."""
        fixed = copy.deepcopy(dict(fixed or {}))
        preset = dict(preset or {})
        fallback = dict(fallback or {})
        local = DogmaticDict(fixed=fixed)
        for name in self.arg_spec:
            if name in fixed:
                continue
            if name in preset:
                dict.__setitem__(local, name, copy.deepcopy(preset[name]))
            elif name in fallback:
                local.fallback[name] = fallback[name]
            elif name == "_log":
                # evaluated outside a run's configuration: the root logger, as 0.8.7
                local.fallback[name] = logging.getLogger()
            else:
                raise ConfigError(
                    f"Config scope '{self.__name__}' declares parameter '{name}', but no "
                    f"earlier config entry or ingredient of that name exists "
                    f"(available: {', '.join(sorted(set(preset) | set(fallback))) or 'none'})",
                    conflicting_configs=(name,),
                )
        exec(self._body_code, self._globals, local)  # noqa: S102 - a config scope is user code
        local.revelate()
        values = {}
        for key, value in dict.items(local):
            if key == "__doc__" or key in local.fallback and key not in local.assigned:
                continue
            plain = undogmatize(value)
            try:
                normalized = normalize_value(plain, str(key))
            except NotJsonLike:  # only JSON-like locals are kept
                continue
            assert_is_valid_key(key)
            values[key] = normalized
        result = copy.deepcopy(preset)
        for key, value in values.items():
            if key in local.assigned or key not in result:
                result[key] = value
            elif isinstance(result[key], dict) and isinstance(value, dict):
                recursive_update(result[key], value)
            else:
                result[key] = value
        defaults = _defaults(preset, values, local)
        summary = compute_changes(
            result, fixed, defaults=_merged(preset, defaults), docs=self._docs_source()
        )
        summary.defaults = defaults
        return summary

    def __repr__(self) -> str:
        return f"<ConfigScope {self.__name__}>"


def _defaults(preset: dict, values: dict, local: DogmaticDict) -> dict:
    """What this scope itself would set without updates (blocked assignments restored)."""
    defaults: dict = {}
    for key in local.assigned:
        if key in values:
            defaults[key] = copy.deepcopy(values[key])
    for path in local.revealed:
        parts = path.split(".")
        parent = defaults
        for part in parts[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and "." in path:
            parent.pop(parts[-1], None)
    for path, attempted in local.nested_blocked.items():
        try:
            set_by_dotted_path(defaults, path, normalize_value(undogmatize(attempted)))
        except Exception:  # noqa: BLE001 - non JSON values were never entries
            continue
    return defaults


def _merged(base: Mapping, top: Mapping) -> dict:
    merged = copy.deepcopy(dict(base))
    recursive_update(merged, copy.deepcopy(dict(top)))
    return merged


def compute_changes(
    result: dict,
    fixed: Mapping,
    defaults: Mapping,
    docs: Mapping[str, str] | Callable[[], dict[str, str]] | None = None,
) -> ConfigSummary:
    """Build a :class:`ConfigSummary` comparing fixed updates with the defaults.

    ``docs`` may be a function returning them: it is called when the summary's
    docs are first read (config scopes read their comments only then).
    """
    added: set[str] = set()
    modified: set[str] = set()
    typechanged: dict[str, tuple[type, type]] = {}
    for path, new_value in iterate_flattened(fixed):
        old_value = _lookup(defaults, path)
        if old_value is _MISSING:
            added.add(path)
            continue
        if _differs(old_value, new_value):
            modified.add(path)
        old_type, new_type = type(old_value), type(new_value)
        if old_type is not new_type and not _compatible(old_type, new_type, old_value):
            typechanged[path] = (old_type, new_type)
    summary = ConfigSummary(result, added, modified, typechanged, docs if callable(docs) else dict(docs or {}))
    summary.defaults = dict(defaults)
    return summary


_MISSING = object()


def _lookup(d: Mapping, path: str) -> Any:
    current: Any = d
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _differs(old: Any, new: Any) -> bool:
    try:
        return bool(old != new) or type(old) is not type(new)
    except Exception:  # noqa: BLE001 - exotic comparisons count as changed
        return True


def _compatible(old_type: type, new_type: type, old_value: Any) -> bool:
    if old_value is None:
        return True
    if is_numpy_type_change_ignorable(old_type, new_type):
        return True
    if issubclass(old_type, dict) and issubclass(new_type, dict):
        return True
    return False


# --- compilation and docs ---------------------------------------------------


class _ParsedSource:
    """A source text parsed once: its AST, its functions by first line, its comments."""

    def __init__(self, text: str, filename: str) -> None:
        ast = _ast_module()
        self.filename = filename
        self.lines = text.splitlines()
        self.tree = compile(text, filename, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        self.functions: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for node in _walk_statements(self.tree.body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([d.lineno for d in node.decorator_list] + [node.lineno])
                self.functions.setdefault(first, node)
                self.functions.setdefault(node.lineno, node)
        self._text = text
        self._comments: dict[int, str] | None = None

    @property
    def comments(self) -> dict[int, str]:
        """Line number -> comment text (without ``#``), found on first use."""
        if self._comments is None:
            found = comments_from_tree(self._text, self.tree)
            self._comments = found if found is not None else comments_by_tokenize(self._text)
        return self._comments

    def is_comment_only(self, line: int) -> bool:
        """True if ``line`` holds nothing but a comment."""
        return 0 < line <= len(self.lines) and self.lines[line - 1].lstrip().startswith("#")


def comments_by_tokenize(text: str) -> dict[int, str]:
    """Line number -> comment text (without ``#``) of ``text``, by the tokenize module."""
    import io
    import tokenize

    comments = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    return comments


_UNUSUAL_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def comments_from_tree(text: str, tree: ast.AST) -> dict[int, str] | None:
    """What :func:`comments_by_tokenize` returns, found from ``text``'s AST without tokenizing.

    In valid Python a ``#`` outside a string literal starts a comment, and the AST gives
    every literal's position, so only lines holding a ``#`` are looked at. Returns None
    (the caller tokenizes) whenever that could be wrong: a ``#`` on a line a multi-line
    literal covers (a triple-quoted string, or strings joined across lines with a comment
    between them), or line breaks other than ``\\n``. Tokenizing a file costs a process
    about as much as the rest of its first run (tokenize compiles its patterns on first use).
    """
    ast = _ast_module()
    if any(char in text for char in _UNUSUAL_LINE_BREAKS):
        return None
    candidates: dict[int, tuple[bytes, list[int]]] = {}
    for number, line in enumerate(text.split("\n"), 1):
        if "#" in line:
            data = line.encode("utf-8")  # AST columns are UTF-8 byte offsets
            candidates[number] = (data, [i for i, byte in enumerate(data) if byte == 35])
    if not candidates:
        return {}
    for node in _walk(tree):
        if not (isinstance(node, ast.JoinedStr)
                or isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)):
            continue
        first, last = node.lineno, node.end_lineno
        if last is None or node.end_col_offset is None:
            return None
        if first != last:
            if any(first <= number <= last for number in candidates):
                return None
            continue
        entry = candidates.get(first)
        if entry is not None:
            start, end = node.col_offset, node.end_col_offset
            entry[1][:] = [i for i in entry[1] if not start <= i < end]
    return {
        number: data[offsets[0]:].decode("utf-8").lstrip("#").strip()
        for number, (data, offsets) in candidates.items()
        if offsets
    }


_PARSED_CACHE: dict[tuple[str, int], _ParsedSource] = {}
_PARSED_CACHE_SIZE = 64


def _parsed_source(func: Callable) -> _ParsedSource:
    """The parsed source file of ``func`` (cached, so many scopes in one file parse once)."""
    name = getattr(func, "__name__", repr(func))
    code = getattr(func, "__code__", None)
    filename = introspection.source_file_name(func) if code else ""
    lines = linecache.getlines(filename, getattr(func, "__globals__", None)) if filename else []
    if not lines:
        raise ConfigError(
            f"Cannot read the source of config scope '{name}'. Config scopes must be "
            "defined in a file (or a notebook cell)."
        )
    text = "".join(lines)
    key = (filename, hash(text))
    parsed = _PARSED_CACHE.get(key)
    if parsed is None:
        if len(_PARSED_CACHE) >= _PARSED_CACHE_SIZE:
            _PARSED_CACHE.pop(next(iter(_PARSED_CACHE)))
        parsed = _PARSED_CACHE[key] = _ParsedSource(text, filename)
    return parsed


def _function_node(func: Callable) -> tuple[_ParsedSource, Any]:
    """The parsed source file of ``func`` and ``func``'s ``def`` node in it (checked)."""
    parsed = _parsed_source(func)
    func_def = parsed.functions.get(func.__code__.co_firstlineno)
    if func_def is None or func_def.name != func.__name__:
        raise ConfigError(
            f"Config scope '{func.__name__}' must be a plain function defined with 'def' "
            f"({parsed.filename}, line {func.__code__.co_firstlineno})"
        )
    _refuse_return_and_yield(func, func_def, parsed.filename)
    return parsed, func_def


def _compile_body(func: Callable):
    ast = _ast_module()
    parsed, func_def = _function_node(func)
    body = func_def.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    # the statements keep their line numbers in the user's file
    code = compile(ast.Module(body=body, type_ignores=[]), parsed.filename, "exec")
    return code, parsed, func_def


def _walk(node: Any):
    """Every node under ``node`` (itself included), as ``ast.walk`` yields them."""
    ast = _ast_module()
    pending = collections.deque([node])
    while pending:
        node = pending.popleft()
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                pending.append(value)
            elif isinstance(value, list):
                pending.extend(item for item in value if isinstance(item, ast.AST))
        yield node


# one line each, no string, bracket pair or backslash that could continue it on the next line
_DECORATOR_LINE = re.compile(r"[ ]*@[^#'\"()\\\n]*(\([^#'\"()\\\n]*\))?[ ]*(#[^\n]*)?\n?")
_DEF_LINE = re.compile(
    r"([ ]*)def[ ]+([A-Za-z_][A-Za-z0-9_]*)[ ]*\([^#'\"()\\\n]*\)[ ]*(->[^#'\"():\\\n]*)?:"
    r"[ ]*(#[^\n]*)?\n?"
)


def _compile_body_from_text(func: Callable) -> Any:
    """The body of ``func`` compiled straight from its lines, or None to take the AST path.

    Parsing a file into Python AST objects costs more than compiling it (a
    2,000-entry scope: ``ast.parse`` 128 M instructions, compiling the whole file
    100 M), and the docs that need the AST are read only when asked for. For the
    common shape (single-line decorators and ``def`` header, spaces for any indented line
    after the last line of code, no docstring, not a generator) the body's lines are compiled as the block of an
    ``if 1:`` put in place of the ``def`` line, so every statement keeps its line
    and column. Where the function ends is not guessed: the block runs from the
    header to the first later line indented no deeper than the ``def`` (after the
    last line the function's own code is on), and it must compile, which proves
    that this line starts a new statement outside the function (the text before
    it closes every string and bracket). Anything else, including every compile
    error (a ``return`` at the top level of the body, say), returns None and the
    AST path does the work and raises its exact errors.
    """
    code = getattr(func, "__code__", None)
    if (
        type(func) is not introspection.FunctionType
        or func.__doc__ is not None
        or code.co_flags & (introspection.CO_GENERATOR | introspection.CO_ASYNC_GENERATOR)
    ):
        return None
    filename = introspection.source_file_name(func)
    lines = linecache.getlines(filename, func.__globals__) if filename else []
    index = code.co_firstlineno - 1  # 0-based index of the first decorator or the def line
    if not 0 <= index < len(lines):
        return None
    while index < len(lines) and not _DEF_LINE.fullmatch(lines[index]):
        line = lines[index].strip()
        if line and not line.startswith("#") and not _DECORATOR_LINE.fullmatch(lines[index]):
            return None
        index += 1
    if index >= len(lines):
        return None
    header = _DEF_LINE.fullmatch(lines[index])
    if header is None or header.group(2) != func.__name__:
        return None
    indent = len(header.group(1))
    # the last line the function's own code reaches (the end of a multi-line value included)
    last = max((end for _, end, _, _ in code.co_positions() if end is not None), default=0)
    end = len(lines)
    for position in range(max(last, index + 1), len(lines)):
        text = lines[position]
        content = text.lstrip()
        if not content or content.startswith("#"):
            continue
        leading = text[: len(text) - len(content)]
        if leading.strip(" "):  # tabs or form feeds: leave indentation to the tokenizer
            return None
        if len(leading) <= indent:
            end = position
            break
    source = "\n" * index + "if 1:\n" + "".join(lines[index + 1 : end])
    try:
        return compile(source, filename, "exec")
    except (SyntaxError, ValueError):
        return None


_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


def _walk_statements(statements: list, into_functions: bool = True):
    """Yield statements (not expressions) recursively; much cheaper than ``ast.walk``."""
    ast = _ast_module()
    for node in statements:
        yield node
        if not into_functions and isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            continue
        for field in _STATEMENT_LISTS:
            children = getattr(node, field, None)
            if children:
                yield from _walk_statements(children, into_functions)


def _refuse_return_and_yield(func: Callable, func_def: ast.AST, filename: str) -> None:
    """Config scopes cannot return or yield: their locals are the result."""
    ast = _ast_module()
    name = func.__name__
    found = None
    if func.__code__.co_flags & (introspection.CO_GENERATOR | introspection.CO_ASYNC_GENERATOR):
        found = ("yield", _first_yield_line(func_def))
    for node in _walk_statements(func_def.body, into_functions=False):  # type: ignore[attr-defined]
        if isinstance(node, ast.Return):
            found = found or ("return", node.lineno)
            break
    if found:
        kind, line = found
        raise ConfigError(
            f"Config scope '{name}' contains a '{kind}' statement "
            f"({filename}, line {line}); config scopes must not "
            "contain return or yield statements"
        )


def _first_yield_line(func_def: ast.AST) -> int:
    ast = _ast_module()
    for node in _walk(func_def):
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return node.lineno
    return func_def.lineno  # type: ignore[attr-defined]


def _extract_docs(parsed: _ParsedSource, func_def: ast.AST, docstring: str | None) -> dict[str, str]:
    """Map assigned names to the comment on their line or the comment lines above."""
    ast = _ast_module()
    ignored = [re.compile(p) for p in SETTINGS.CONFIG.IGNORED_COMMENTS]
    all_comments = parsed.comments
    end = getattr(func_def, "end_lineno", None) or len(parsed.lines)
    comments = {
        ln: c
        for ln in range(func_def.lineno, end + 1)  # type: ignore[attr-defined]
        if (c := all_comments.get(ln)) and not any(p.search(c) for p in ignored)
    }
    docs: dict[str, str] = {}
    if docstring:
        docs["__doc__"] = docstring
    for node in _walk_statements(func_def.body):  # type: ignore[attr-defined]
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        else:
            continue
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        for t in targets:
            if isinstance(t, (ast.Tuple, ast.List)):
                names += [e.id for e in t.elts if isinstance(e, ast.Name)]
        if not names:
            continue
        doc = comments.get(node.lineno) if not parsed.is_comment_only(node.lineno) else None
        if doc is None:
            above = []
            ln = node.lineno - 1
            while parsed.is_comment_only(ln) and ln in comments:
                above.insert(0, comments[ln])
                ln -= 1
            doc = "\n".join(above) if above else None
        if doc:
            for name in names:
                docs.setdefault(name, doc)
    return docs

"""Config scopes: functions whose local variables become configuration entries.

The body of the decorated function is compiled once (with the user's file name
and line numbers, so errors point at the user's line) and executed in a
:class:`~sacred.config.custom_containers.DogmaticDict` that keeps config
updates fixed. Line comments and the docstring become entry docs.
"""

from __future__ import annotations

import ast
import copy
import inspect
import io
import re
import textwrap
import tokenize
from collections.abc import Callable, Mapping
from typing import Any

from sacred.config.config_summary import ConfigSummary
from sacred.config.custom_containers import DogmaticDict, undogmatize
from sacred.config.normalize import (
    assert_is_valid_key,
    is_numpy_type_change_ignorable,
    normalize_value,
)
from sacred.settings import SETTINGS
from sacred.utils import ConfigError, iterate_flattened, recursive_update, set_by_dotted_path

__all__ = ["ConfigScope", "compute_changes"]


class ConfigScope:
    """A config defined by the local variables of a function."""

    def __init__(self, func: Callable) -> None:
        self._func = func
        self.__name__ = getattr(func, "__name__", "config_scope")
        self.__doc__ = inspect.getdoc(func)
        self.__wrapped__ = func
        signature = inspect.signature(func)
        for param in signature.parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise ConfigError(
                    f"Config scope '{self.__name__}' cannot take *args or **kwargs; "
                    "declare the earlier entries it uses by name"
                )
        self.arg_spec = list(signature.parameters)
        self._body_code, self._body_lines, self._first_line, self._filename = _compile_body(func)
        self._globals = func.__globals__
        self.docs = _extract_docs(self._body_lines, self._first_line, self.__doc__)

    @property
    def doc(self) -> str | None:
        """The scope's docstring."""
        return self.__doc__

    def __call__(
        self,
        fixed: Mapping | None = None,
        preset: Mapping | None = None,
        fallback: Mapping | None = None,
    ) -> ConfigSummary:
        """Evaluate the scope; fixed values win, ``preset`` holds earlier entries."""
        fixed = dict(fixed or {})
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
            except Exception as err:  # noqa: BLE001 - only JSON-like locals are kept
                if type(err).__name__ == "_NotJsonLike":
                    continue
                raise
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
            result, fixed, defaults=_merged(preset, defaults), docs=self.docs
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
    result: dict, fixed: Mapping, defaults: Mapping, docs: Mapping[str, str] | None = None
) -> ConfigSummary:
    """Build a :class:`ConfigSummary` comparing fixed updates with the defaults."""
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
    summary = ConfigSummary(result, added, modified, typechanged, dict(docs or {}))
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


def _function_source(func: Callable) -> tuple[list[str], int, str]:
    try:
        lines, first_line = inspect.getsourcelines(func)
    except (OSError, TypeError) as err:
        raise ConfigError(
            f"Cannot read the source of config scope '{getattr(func, '__name__', func)}': "
            f"{err}. Config scopes must be defined in a file."
        ) from None
    return lines, first_line, inspect.getsourcefile(func) or "<config scope>"


def _compile_body(func: Callable):
    lines, first_line, filename = _function_source(func)
    source = textwrap.dedent("".join(lines))
    tree = ast.parse(source)
    func_def = next(
        (n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None
    )
    if func_def is None:
        raise ConfigError(
            f"Config scope '{func.__name__}' must be a plain function defined with 'def'"
        )
    _refuse_return_and_yield(func_def, func.__name__, filename, first_line)
    body = func_def.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    module = ast.Module(body=body, type_ignores=[])
    ast.increment_lineno(module, first_line - 1)
    code = compile(module, filename, "exec")
    return code, lines, first_line, filename


class _ReturnYieldFinder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[str, int]] = []

    def visit_Return(self, node: ast.Return) -> None:
        self.found.append(("return", node.lineno))

    def visit_Yield(self, node: ast.Yield) -> None:
        self.found.append(("yield", node.lineno))

    def visit_YieldFrom(self, node: ast.YieldFrom) -> None:
        self.found.append(("yield from", node.lineno))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        return  # nested functions may return

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Lambda(self, node: ast.Lambda) -> None:
        return

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        return


def _refuse_return_and_yield(func_def: ast.AST, name: str, filename: str, first_line: int) -> None:
    finder = _ReturnYieldFinder()
    for statement in func_def.body:  # type: ignore[attr-defined]
        finder.visit(statement)
    if finder.found:
        kind, line = finder.found[0]
        raise ConfigError(
            f"Config scope '{name}' contains a '{kind}' statement "
            f"({filename}, line {line + first_line - 1}); config scopes must not "
            "contain return or yield statements"
        )


def _extract_docs(lines: list[str], first_line: int, docstring: str | None) -> dict[str, str]:
    """Map assigned names to the comment on their line or the comment lines above."""
    source = textwrap.dedent("".join(lines))
    comments: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        return {"__doc__": docstring} if docstring else {}
    ignored = [re.compile(p) for p in SETTINGS.CONFIG.IGNORED_COMMENTS]
    comments = {ln: c for ln, c in comments.items() if c and not any(p.search(c) for p in ignored)}
    source_lines = source.splitlines()

    def is_comment_only(ln: int) -> bool:
        return 0 < ln <= len(source_lines) and source_lines[ln - 1].strip().startswith("#")

    docs: dict[str, str] = {}
    if docstring:
        docs["__doc__"] = docstring
    tree = ast.parse(source)
    func_def = tree.body[0]
    for node in ast.walk(func_def):
        if node is func_def:
            continue
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
        doc = comments.get(node.lineno) if not is_comment_only(node.lineno) else None
        if doc is None:
            above = []
            ln = node.lineno - 1
            while is_comment_only(ln) and ln in comments:
                above.insert(0, comments[ln])
                ln -= 1
            doc = "\n".join(above) if above else None
        if doc:
            for name in names:
                docs.setdefault(name, doc)
    return docs

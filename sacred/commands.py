"""The built-in *commands* every experiment has (what follows the file name: ``python exp.py print_config``).

Not to be confused with :mod:`sacred.commandline` (how an experiment file's argv is
parsed and run) or :mod:`sacred.commandline_options` (the ``--flags`` and ``-x`` options).

=======================  ==========================================  ==========
command name             function                                    unobserved
=======================  ==========================================  ==========
``print_config``         :func:`print_config`                        yes
``print_dependencies``   :func:`print_dependencies`                  yes
``save_config``          :func:`save_config`                         yes
``print_named_configs``  ``print_named_configs(experiment)``          yes
=======================  ==========================================  ==========

:func:`builtin_commands` returns them in this order for registration.
Output is coloured only when stdout is a terminal (see :func:`colors_enabled`).
"""

from __future__ import annotations

import collections
import os
import sys
from collections.abc import Callable, Mapping

from sacred.introspection import cleandoc
from sacred.masking import mask_text
from sacred.utils import PATHCHANGE, iterate_flattened_separately

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "COLOR_ADDED",
    "COLOR_DOC",
    "COLOR_MODIFIED",
    "COLOR_TYPECHANGED",
    "ConfigEntry",
    "ENDC",
    "PathEntry",
    "print_config",
    "print_dependencies",
    "save_config",
    "print_named_configs",
    "help_for_command",
    "format_config",
    "format_dependencies",
    "format_named_configs",
    "builtin_commands",
    "colors_enabled",
    "remember_terminal",
]

BLUE, GREEN, RED, GREY, ENDC = "\033[34m", "\033[32m", "\033[31m", "\033[2m", "\033[0m"
# the names Sacred 0.8.7 gives these colours
COLOR_ADDED, COLOR_MODIFIED, COLOR_TYPECHANGED, COLOR_DOC = GREEN, BLUE, RED, GREY


# named tuples of the collections module: typing.NamedTuple would import typing into every run
class ConfigEntry(collections.namedtuple("ConfigEntry", "key value added modified typechanged doc")):
    """One config entry as ``print_config`` shows it (0.8.7's record).

    ``key: str, value: Any, added: bool, modified: bool, typechanged: Any, doc: str | None``.
    """

    __slots__ = ()


class PathEntry(collections.namedtuple("PathEntry", "key added modified typechanged doc")):
    """A nested dict's header line as ``print_config`` shows it (0.8.7's record).

    ``key: str, added: bool, modified: bool, typechanged: Any, doc: str | None``.
    """

    __slots__ = ()
COMMENT_COLUMN = 37

_terminal_at_start: bool | None = None


def remember_terminal(is_terminal: bool | None) -> None:
    """Record whether stdout was a terminal before output capturing began.

    During a run stdout may be redirected for capturing; the command line
    calls this first so that colours follow the real terminal.
    """
    global _terminal_at_start
    _terminal_at_start = is_terminal


def colors_enabled() -> bool:
    """Whether to colour output: ``NO_COLOR`` disables, ``FORCE_COLOR`` enables,
    otherwise only when stdout is (or was, at start-up) a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if _terminal_at_start is not None:
        return _terminal_at_start
    try:
        return bool(sys.stdout.isatty())
    except (AttributeError, ValueError):
        return False


def _paint(text: str, color: str, use_color: bool) -> str:
    return f"{color}{text}{ENDC}" if use_color else text


def _plain(value: Any) -> Any:
    """Read-only containers -> plain dicts and lists, so repr shows clean literals."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return [_plain(v) for v in value]
    return value


def _with_comment(line: str, doc: str | None, indent: str, use_color: bool) -> str:
    if not doc:
        return line
    doc_lines = [d.strip() for d in str(doc).splitlines() if d.strip()] or [""]
    padding = COMMENT_COLUMN - len(line) if len(line) <= COMMENT_COLUMN - 2 else 4
    first = _paint("# " + doc_lines[0], GREY, use_color)
    rest = [" " * (len(line) + padding) + _paint("# " + d, GREY, use_color) for d in doc_lines[1:]]
    return "\n".join([line + " " * padding + first] + rest)


def _docstring_block(doc: str, indent: str, use_color: bool) -> str:
    lines = cleandoc(doc).splitlines() or [""]
    text = "\n".join(indent + line for line in lines)
    text = text[: len(indent)] + '"""' + text[len(indent) :] + '"""'
    return _paint(text, GREY, use_color)


def _change_color(path: str, summary: Any) -> str | None:
    if path in getattr(summary, "typechanged", {}):
        return RED
    if path in getattr(summary, "added", ()):
        return GREEN
    if path in getattr(summary, "modified", ()):
        return BLUE
    return None


def format_config(config: Mapping, summary: Any = None, use_color: bool | None = None) -> str:
    """The text ``print_config`` shows.

    ``summary`` is a ConfigSummary (``added``, ``modified``, ``typechanged``,
    ``docs``); without it nothing is highlighted or documented. Plain entries
    of a level come first (sorted), then each nested dict under ``name:``.
    """
    use_color = colors_enabled() if use_color is None else use_color
    docs = getattr(summary, "docs", {}) or {}
    legend = ", ".join(
        [
            _paint("modified", BLUE, use_color),
            _paint("added", GREEN, use_color),
            _paint("typechanged", RED, use_color),
            _paint("doc", GREY, use_color),
        ]
    )
    lines = [f"Configuration ({legend}):"]
    if docs.get("__doc__"):
        lines.append(_docstring_block(docs["__doc__"], "  ", use_color))
    for path, value in iterate_flattened_separately(_plain(config)):
        key = path.rpartition(".")[2]
        indent = "  " * (path.count(".") + 1)
        if value is PATHCHANGE:
            line = _with_comment(f"{indent}{key}:", docs.get(path), indent, use_color)
            sub_doc = docs.get(path + ".__doc__")
            color = _change_color(path, summary)
            lines.append(_paint(line, color, use_color and color is not None))
            if sub_doc:
                lines.append(_docstring_block(sub_doc, indent + "  ", use_color))
            continue
        line = _with_comment(f"{indent}{key} = {value!r}", docs.get(path), indent, use_color)
        color = _change_color(path, summary)
        lines.append(_paint(line, color, use_color and color is not None))
    return "\n".join(lines)


def print_config(_run: Any) -> None:
    """Print the updated configuration and exit.

    Text is highlighted on a terminal:
      blue: value modified, green: value added, red: value changed type.
    """
    print(format_config(_run.config, _run.config_modifications))


def format_dependencies(experiment_info: Mapping, use_color: bool | None = None) -> str:
    """The text ``print_dependencies`` shows for an ``ex_info`` dict."""
    use_color = colors_enabled() if use_color is None else use_color
    lines = ["Dependencies:"]
    for dependency in experiment_info.get("dependencies", []):
        name, sep, version = str(dependency).partition("==")
        lines.append(f"  {name:<20} == {version}" if sep else f"  {name}")
    lines += ["", "Sources:"]
    for source in experiment_info.get("sources", []):
        filename, md5 = source[0], source[1]
        lines.append(f"  {filename:<43}  {md5}")
    lines.append("")
    repositories = experiment_info.get("repositories", [])
    if repositories:
        lines.append("Version Control:")
        for repo in repositories:
            url = mask_text(str(repo.get("url") or ""))
            text = f"{url:<43}  {repo.get('commit') or ''}"
            if repo.get("dirty"):
                lines.append(_paint("M " + text, RED, use_color))
            else:
                lines.append("  " + text)
        lines.append("")
    return "\n".join(lines)


def print_dependencies(_run: Any) -> None:
    """Print the detected source-files and dependencies."""
    print(format_dependencies(_run.experiment_info))


def save_config(_config: Mapping, _log: Any, config_filename: str = "config.json") -> None:
    """Store the updated configuration in a file.

    By default uses the filename "config.json", but that can be changed by
    setting the config_filename config entry (its extension picks the format:
    .json, .yaml/.yml or .pickle). ``config_filename`` itself is not saved.
    """
    from sacred.config.config_files import save_config_file

    to_save = {k: _plain(v) for k, v in _config.items() if k != "config_filename"}
    _log.info('Saving config to "%s"', config_filename)
    save_config_file(to_save, config_filename)


def _named_config_doc(config: Any) -> str | None:
    if isinstance(config, (str, bytes, os.PathLike)):
        return None
    doc = getattr(config, "doc", None)
    if callable(doc):
        doc = doc()
    return cleandoc(doc) if isinstance(doc, str) and doc.strip() else None


def format_named_configs(
    named_configs: list[tuple[str, Any]], use_color: bool | None = None
) -> str:
    """The text ``print_named_configs`` shows for ``(name, config)`` pairs."""
    use_color = colors_enabled() if use_color is None else use_color
    lines = [f"Named Configurations ({_paint('doc', GREY, use_color)}):"]
    if not named_configs:
        lines.append("  No named configs")
    for name, config in named_configs:
        doc = _named_config_doc(config)
        if doc is None:
            lines.append(f"  {name}")
        elif "\n" not in doc:
            lines.append(f"  {name}" + _paint(f"   # {doc}", GREY, use_color))
        else:
            lines.append(f"  {name}")
            lines.append(_docstring_block(doc, "    ", use_color))
    return "\n".join(lines)


def print_named_configs(ingredient: Any) -> Callable[[], None]:
    """Make the ``print_named_configs`` command for ``ingredient``."""

    def print_named_configs():  # no annotations: `help print_named_configs` shows them
        """Print the available named configs and exit."""
        print(format_named_configs(list(ingredient.gather_named_configs())))

    return print_named_configs


def help_for_command(command: Callable) -> str:
    """Signature and docstring of a command, as ``help COMMAND`` prints them."""
    import inspect

    function = inspect.unwrap(command)
    name = getattr(function, "__name__", "command")
    try:
        signature = str(_plain_signature(function) if function in _PLAIN else inspect.signature(function))
    except (TypeError, ValueError):
        signature = "(...)"
    doc = cleandoc(getattr(command, "__doc__", None) or function.__doc__ or "")
    text = f"{name}{signature}\n"
    if doc:
        text += "\n".join("    " + line for line in doc.splitlines()) + "\n"
    return text


def builtin_commands(experiment: Any) -> list[tuple[str, Callable]]:
    """The built-in commands in registration order as ``(name, function)``.

    All of them are registered with ``unobserved=True``; each function's
    ``__name__`` is its command name.
    """
    return [
        ("print_config", print_config),
        ("print_dependencies", print_dependencies),
        ("save_config", save_config),
        ("print_named_configs", print_named_configs(experiment)),
    ]


def _plain_signature(function: Callable) -> Any:
    """The signature of ``function`` without type hints (``help COMMAND`` of the built-ins)."""
    import inspect

    signature = inspect.signature(function)
    return signature.replace(
        parameters=[
            p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()
        ],
        return_annotation=inspect.Signature.empty,
    )


# the built-ins whose help shows no type hints (computed when asked: inspect is not imported by runs)
_PLAIN = (print_config, print_dependencies, save_config)

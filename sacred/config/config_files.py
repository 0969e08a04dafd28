"""Load and save config files: ``.json``, ``.yaml``/``.yml``, ``.pickle``.

Loading never executes code: YAML goes through the safe loader and JSON is
plain JSON (no jsonpickle object reconstruction). ``.pickle`` files are the one
documented exception: unpickling can run code, so every load of a pickle logs a
warning naming the file, and ``SETTINGS.CONFIG.ALLOW_PICKLE_FILES = False``
refuses them.

A YAML file whose aliases would expand to more than :data:`MAX_YAML_NODES`
nodes (an "alias bomb": a few hundred bytes that expand to billions of
values) or that refers to itself is refused before anything is built.
"""

from __future__ import annotations

import contextlib
import logging
import os

from sacred.settings import SETTINGS
from sacred.utils import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

# json, pickle and pathlib (with urllib.parse, ipaddress, fnmatch) are imported by the
# functions that read or write a file: every experiment imports this module, few load files.

__all__ = [
    "HANDLERS",
    "HANDLER_BY_EXT",
    "Handler",
    "MAX_YAML_NODES",
    "get_handler",
    "load_config_file",
    "load_yaml_text",
    "save_config_file",
    "is_config_file_name",
]

# The most values (scalars, lists, mappings; aliases counted as the copies they stand for)
# a YAML config may expand to. Real configs have hundreds; an alias bomb has billions.
MAX_YAML_NODES = 1_000_000

logger = logging.getLogger(__name__)

HANDLERS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".pickle": "pickle", ".pkl": "pickle"}


class Handler:
    """Sacred 0.8.7's file handler: ``load(fp)``, ``dump(obj, fp)`` and the file ``mode``.

    ``mode`` is ``"b"`` for binary formats (pickle), ``""`` for text ones.
    JSON is written as plain JSON (values through :func:`sacred.serializer.flatten`).
    """

    def __init__(self, load: Any, dump: Any, mode: str) -> None:
        self.load = load
        self.dump = dump
        self.mode = mode


def _json_load(fp: Any) -> Any:
    import json

    return json.load(fp)


def _json_dump(obj: Any, fp: Any) -> None:
    import json

    from sacred.serializer import flatten

    json.dump(flatten(obj), fp, sort_keys=True, indent=2)


def _yaml_load(fp: Any) -> Any:
    import yaml

    return yaml.safe_load(fp)


def _yaml_dump(obj: Any, fp: Any) -> None:
    import yaml

    from sacred.serializer import flatten

    yaml.safe_dump(flatten(obj), fp)


def _pickle_load(fp: Any) -> Any:
    import pickle

    return pickle.load(fp)  # noqa: S301 - the handler 0.8.7 exposed; load_config_file warns


def _pickle_dump(obj: Any, fp: Any) -> None:
    import pickle

    pickle.dump(obj, fp)


_JSON_HANDLER = Handler(_json_load, _json_dump, "")
_YAML_HANDLER = Handler(_yaml_load, _yaml_dump, "")
_PICKLE_HANDLER = Handler(_pickle_load, _pickle_dump, "b")
HANDLER_BY_EXT = {
    ".json": _JSON_HANDLER,
    ".pickle": _PICKLE_HANDLER,
    ".pkl": _PICKLE_HANDLER,
    ".yaml": _YAML_HANDLER,
    ".yml": _YAML_HANDLER,
}


def get_handler(filename: str | os.PathLike) -> Handler:
    """The :class:`Handler` for ``filename``'s extension (``ConfigError`` naming the supported ones)."""
    from pathlib import Path

    path = Path(os.fspath(filename))
    _format_of(path)  # a clear error for an unknown extension
    return HANDLER_BY_EXT[path.suffix.lower()]


def is_config_file_name(name: str) -> bool:
    """True if ``name`` has an extension of a supported config file format."""
    from pathlib import Path

    return Path(str(name)).suffix.lower() in HANDLERS


def _format_of(path: Path, action: str = "read") -> str:
    fmt = HANDLERS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f'Cannot {action} config file "{path}": unknown extension "{path.suffix}"; '
            f"supported: {', '.join(sorted(HANDLERS))}"
        )
    return fmt


def load_config_file(filename: str | os.PathLike) -> dict:
    """Read a config file and return its content as a dict (errors name file and line)."""
    import json
    from pathlib import Path

    path = Path(os.fspath(filename))
    fmt = _format_of(path)
    if not path.exists():
        raise ConfigError(f'Config file "{path}" does not exist')
    if path.is_dir():
        raise ConfigError(f'Config file "{path}" is a directory')
    try:
        if fmt == "json":
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        elif fmt == "yaml":
            with open(path, encoding="utf-8") as f:
                data = load_yaml_text(f.read(), str(path))
        else:
            data = _load_pickle(path)
    except ConfigError:
        raise
    except json.JSONDecodeError as err:
        raise ConfigError(
            f'Config file "{path}" is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})'
        ) from None
    except UnicodeDecodeError as err:
        raise ConfigError(f'Config file "{path}" is not UTF-8 text: {err}') from None
    except Exception as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ConfigError(f'Config file "{path}" could not be parsed{where}: {err}') from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f'Config file "{path}" must contain a mapping at the top level, '
            f"found {type(data).__name__}"
        )
    return data


def save_config_file(data: Any, filename: str | os.PathLike) -> None:
    """Write ``data`` to ``filename`` in the format its extension names (atomically)."""
    import json
    import pickle
    from pathlib import Path

    path = Path(os.fspath(filename))
    fmt = _format_of(path, "save")
    if path.is_dir():
        raise ConfigError(f'Cannot save config file "{path}": it is a directory')
    if fmt == "pickle":
        content = pickle.dumps(dict(data))
    else:
        from sacred.serializer import flatten

        if fmt == "json":
            text = json.dumps(flatten(data), indent=2, sort_keys=True) + "\n"
        else:
            import yaml

            text = yaml.safe_dump(flatten(data), sort_keys=True)
        content = text.encode("utf-8")
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(content)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise ConfigError(
            f'Cannot save config file "{path}": {err.strerror or err}{_parent_problem(path)}'
        ) from None


def _parent_problem(path: Path) -> str:
    """Why the folder of ``path`` cannot hold it, for the error message ('' if it looks fine)."""
    parent = path.parent
    for folder in (parent, *parent.parents):
        if folder.exists() and not folder.is_dir():
            return f' ("{folder}" is a file, not a directory)'
        if folder.is_dir():
            break
    if not parent.is_dir():
        return f' (directory "{parent}" does not exist)'
    return ""


def _load_pickle(path: Path) -> Any:
    """Unpickle ``path`` after warning (unpickling runs code) unless pickles are refused."""
    if not SETTINGS.CONFIG.ALLOW_PICKLE_FILES:
        raise ConfigError(
            f'Refusing to load the pickle config file "{path}": unpickling can run code and '
            "SETTINGS.CONFIG.ALLOW_PICKLE_FILES is False. Use a .json or .yaml file instead."
        )
    import pickle

    logger.warning(
        'Loading the pickle config file "%s": unpickling runs any code the file contains, so only '
        "load pickles you trust (SETTINGS.CONFIG.ALLOW_PICKLE_FILES = False refuses them).",
        path,
    )
    with open(path, "rb") as f:
        return pickle.load(f)  # noqa: S301 - documented, warned about and refusable


def load_yaml_text(text: str, name: str = "<yaml>") -> Any:
    """Parse YAML with the safe loader, refusing alias bombs and self-references.

    The document's node graph is composed first (aliases are shared nodes, cheap);
    its size with every alias expanded is counted in linear time; only then is it
    turned into Python values. ``name`` is used in the error messages.
    """
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, name)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: Any, name: str) -> None:
    """Raise ConfigError if ``root`` expands to more than MAX_YAML_NODES nodes or contains itself."""
    import yaml

    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node, yaml))
            if sizes[key] > MAX_YAML_NODES:
                raise ConfigError(
                    f'Config file "{name}" expands to more than {MAX_YAML_NODES:,} values through '
                    "YAML aliases (*name); refusing to load it. Write the values out or use fewer aliases."
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            mark = node.start_mark
            raise ConfigError(
                f'Config file "{name}" (line {mark.line + 1}) contains itself through a YAML alias; '
                "a config cannot be recursive."
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node, yaml) if id(child) not in sizes)


def _children(node: Any, yaml: Any) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []

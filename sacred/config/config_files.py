"""Load and save config files: ``.json``, ``.yaml``/``.yml``, ``.pickle``.

Loading never executes code: YAML goes through the safe loader and JSON is
plain JSON (no jsonpickle object reconstruction). ``.pickle`` files are the one
documented exception: unpickling can run code, so only load pickles you trust.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

from sacred.utils import ConfigError

__all__ = [
    "HANDLERS",
    "HANDLER_BY_EXT",
    "Handler",
    "get_handler",
    "load_config_file",
    "save_config_file",
    "is_config_file_name",
]

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


def _json_dump(obj: Any, fp: Any) -> None:
    from sacred.serializer import flatten

    json.dump(flatten(obj), fp, sort_keys=True, indent=2)


def _yaml_load(fp: Any) -> Any:
    import yaml

    return yaml.safe_load(fp)


def _yaml_dump(obj: Any, fp: Any) -> None:
    import yaml

    from sacred.serializer import flatten

    yaml.safe_dump(flatten(obj), fp)


_JSON_HANDLER = Handler(json.load, _json_dump, "")
_YAML_HANDLER = Handler(_yaml_load, _yaml_dump, "")
_PICKLE_HANDLER = Handler(pickle.load, pickle.dump, "b")
HANDLER_BY_EXT = {
    ".json": _JSON_HANDLER,
    ".pickle": _PICKLE_HANDLER,
    ".pkl": _PICKLE_HANDLER,
    ".yaml": _YAML_HANDLER,
    ".yml": _YAML_HANDLER,
}


def get_handler(filename: str | os.PathLike) -> Handler:
    """The :class:`Handler` for ``filename``'s extension (``ConfigError`` naming the supported ones)."""
    path = Path(os.fspath(filename))
    _format_of(path)  # a clear error for an unknown extension
    return HANDLER_BY_EXT[path.suffix.lower()]


def is_config_file_name(name: str) -> bool:
    """True if ``name`` has an extension of a supported config file format."""
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
            import yaml

            with open(path, encoding="utf-8") as f:
                data = yaml.safe_load(f)
        else:
            with open(path, "rb") as f:
                data = pickle.load(f)  # noqa: S301 - documented: pickle config files
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
        tmp.unlink(missing_ok=True)
        raise ConfigError(
            f'Cannot save config file "{path}": {err.strerror or err}'
            + ("" if path.parent.is_dir() else f' (directory "{path.parent}" does not exist)')
        ) from None

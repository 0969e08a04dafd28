"""Load and save config files: ``.json``, ``.yaml``/``.yml``, ``.pickle``.

Loading never executes code: YAML goes through the safe loader and JSON is
plain JSON (no jsonpickle object reconstruction). ``.pickle`` files are the one
documented exception: unpickling can run code, so only load pickles you trust.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from sacred.utils import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

# json, pickle and pathlib (with urllib.parse, ipaddress, fnmatch) are imported by the
# functions that read or write a file: every experiment imports this module, few load files.

__all__ = ["HANDLERS", "load_config_file", "save_config_file", "is_config_file_name"]

HANDLERS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".pickle": "pickle", ".pkl": "pickle"}


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
    import pickle
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
        tmp.unlink(missing_ok=True)
        raise ConfigError(
            f'Cannot save config file "{path}": {err.strerror or err}'
            + ("" if path.parent.is_dir() else f' (directory "{path.parent}" does not exist)')
        ) from None

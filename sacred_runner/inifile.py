"""Find the rootdir and the config file as pytest does, and read the ``sacred`` keys.

The config file is the first of these found in the common ancestor of the
path arguments and then upwards: ``sacred.ini`` (always counts, even without
a ``[sacred]`` section) or ``pyproject.toml`` with a ``[tool.sacred]`` table.
Its directory becomes the rootdir. ``-c FILE`` names the file directly and
``--rootdir DIR`` overrides the rootdir. Without a config file the rootdir is
the common ancestor itself.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sacred_runner.errors import UsageError

LOCAL_PLUGIN_FILE = "sacred_plugins.py"  # as sacred_runner.plugins loads it from the rootdir

__all__ = [
    "IniKey",
    "IniValue",
    "RunnerIni",
    "BUILTIN_INI_KEYS",
    "LOG_LEVEL_NAMES",
    "check_choice",
    "common_ancestor",
    "locate_config",
    "read_config_file",
]

INI_NAME = "sacred.ini"
PYPROJECT_NAME = "pyproject.toml"
SECTION = "sacred"


LOG_LEVEL_NAMES = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "NOTSET")


def check_choice(value: str, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``; log levels also as any case or a number.

    Raises ValueError naming the accepted values otherwise.
    """
    if choices == LOG_LEVEL_NAMES:
        # isdecimal, not isdigit: "²" is a digit that int() refuses
        if value.upper() in choices or value.removeprefix("-").isdecimal():
            return value
        raise ValueError(f"expected a number or one of {', '.join(choices)}, got {value!r}")
    if value not in choices:
        raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
    return value


@dataclass(frozen=True)
class IniKey:
    """A key accepted in ``[sacred]`` / ``[tool.sacred]``.

    ``kind`` is one of ``string``, ``args`` (whitespace-separated, shell-quoted),
    ``linelist`` (one entry per line), ``bool`` or ``float``.
    """

    name: str
    help: str
    kind: str = "string"
    default: Any = None
    choices: tuple[str, ...] | None = None  # the accepted values of a string key, if limited
    check: Callable[[Any], Any] | None = None  # a further rule for the converted value


BUILTIN_INI_KEYS: tuple[IniKey, ...] = (
    IniKey(
        "experiment_files",
        "glob patterns of files collected as experiment files",
        "args",
        ["exp_*.py", "*_exp.py", "*_experiment.py", "experiment_*.py"],
    ),
    IniKey("paths", "directories or files collected when no path is given", "args", []),
    IniKey(
        "norecursedirs",
        "directory name patterns not descended into during collection",
        "args",
        ["*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}", "__pycache__"],
    ),
    IniKey(
        "observers",
        "observers for every run, one per line, e.g. 'file_storage:runs' or "
        "'mongo_db:mongodb://host:27017/db' (default: the embedded store)",
        "linelist",
        [],
    ),
    IniKey("store", "directory of the embedded default store, relative to the rootdir", "string", ".sacred/runs"),
    IniKey("named_configs", "named configs applied to every experiment that defines them", "args", []),
    IniKey("capture", "capture mode of every run: no, sys or fd", "string", None, ("no", "sys", "fd")),
    IniKey("beat_interval", "heartbeat interval of every run, in seconds", "float", None,
           check=lambda seconds: _flag_rule("--beat_interval", seconds)),
    IniKey("loglevel", "log level of every run (name or number)", "string", None, LOG_LEVEL_NAMES),
    IniKey("addopts", "extra command-line options, prepended to the given ones", "args", []),
    IniKey("isolate", "run each experiment in its own subprocess", "bool", False),
    IniKey("plugins", "plugin modules to load, as with -p", "args", []),
)


@dataclass(frozen=True)
class IniValue:
    """A raw value read from the config file and where it was found."""

    raw: Any
    path: Path
    line: int | None

    def where(self) -> str:
        """``file:line`` (or just ``file``) for error messages."""
        return f"{self.path}:{self.line}" if self.line else str(self.path)


@dataclass
class RunnerIni:
    """The rootdir, the config file (or None) and its raw ``sacred`` values."""

    rootdir: Path
    inipath: Path | None
    values: dict[str, IniValue] = field(default_factory=dict)
    keys: dict[str, IniKey] = field(default_factory=lambda: {k.name: k for k in BUILTIN_INI_KEYS})

    def add_key(self, key: IniKey) -> None:
        """Accept one more key (plugins call this through ``parser.addini``)."""
        self.keys[key.name] = key

    def unknown_keys(self) -> list[str]:
        """Names of keys present in the file that no one declared."""
        return sorted(name for name in self.values if name not in self.keys)

    def get(self, name: str) -> Any:
        """The converted value of ``name`` (its default when the file does not set it)."""
        try:
            key = self.keys[name]
        except KeyError:
            raise KeyError(f"unknown ini key {name!r}; declared keys: {', '.join(sorted(self.keys))}") from None
        value = self.values.get(name)
        if value is None:
            default = key.default
            return list(default) if isinstance(default, list) else default
        return _convert(key, value)


def _convert(key: IniKey, value: IniValue) -> Any:
    raw = value.raw
    converters: dict[str, Callable[[Any], Any]] = {
        "string": _to_string,
        "args": _to_args,
        "linelist": _to_linelist,
        "bool": _to_bool,
        "float": _to_float,
    }
    try:
        converted = converters[key.kind](raw)
        if key.check is not None:
            key.check(converted)
        return check_choice(converted, key.choices) if key.choices else converted
    except (TypeError, ValueError) as error:
        raise UsageError(f"{value.where()}: bad value for '{key.name}': {error}") from None


def _flag_rule(flag: str, value: Any) -> None:
    """Apply the experiment flag's own rule (sacred.commandline_options) to an ini value."""
    from sacred.commandline_options import check_option_value

    try:
        check_option_value(flag, value)
    except ValueError as error:
        raise ValueError(str(error).removeprefix(f"{flag}: ")) from None


def _to_string(raw: Any) -> str:
    if isinstance(raw, (list, dict)):
        raise TypeError(f"expected a single value, got {type(raw).__name__} {raw!r}")
    return str(raw).strip()


def _to_args(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(item) for item in raw]
    if isinstance(raw, dict):
        raise TypeError(f"expected a list or a string, got a table {raw!r}")
    try:
        return shlex.split(str(raw))
    except ValueError as error:
        raise ValueError(f"cannot split {raw!r} into words ({error})") from None


def _to_linelist(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(item).strip() for item in raw if str(item).strip()]
    if isinstance(raw, dict):
        raise TypeError(f"expected a list or lines of text, got a table {raw!r}")
    return [line.strip() for line in str(raw).splitlines() if line.strip()]


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise TypeError(f"expected a number, got {raw!r}")
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {raw!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {raw!r}")
    return number


def read_config_file(path: Path) -> dict[str, IniValue] | None:
    """Read the ``sacred`` values of ``path``; None if it is a pyproject without the table.

    A file that does not parse raises :class:`UsageError` naming file and line.
    """
    path = Path(path)
    if path.name == PYPROJECT_NAME or path.suffix == ".toml":
        return _read_pyproject(path)
    return _read_ini(path)


def _read_ini(path: Path) -> dict[str, IniValue]:
    import iniconfig

    try:
        config = iniconfig.IniConfig(str(path))
    except iniconfig.ParseError as error:
        raise UsageError(f"{error.path}:{error.lineno + 1}: cannot parse config file: {error.msg}") from None
    except OSError as error:
        raise UsageError(f"cannot read config file {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"{path}: config file is not UTF-8 text ({error.reason})") from None
    if SECTION not in config:
        return {}
    section = config[SECTION]
    return {
        name: IniValue(value, path, config.lineof(SECTION, name)) for name, value in section.items()
    }


def _read_pyproject(path: Path) -> dict[str, IniValue] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read config file {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"{path}: config file is not UTF-8 text ({error.reason})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = _toml_error_line(str(error))
        if line is None and "end of document" in str(error):
            line = max(1, len(text.splitlines()))
        where = f"{path}:{line}" if line else str(path)
        raise UsageError(f"{where}: cannot parse config file: {error}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict) or SECTION not in tool:
        return None
    table = tool[SECTION]
    if not isinstance(table, dict):
        line = _toml_key_line(text, None, "sacred")
        raise UsageError(f"{path}:{line}: [tool.sacred] must be a table, got {table!r}")
    return {name: IniValue(value, path, _toml_key_line(text, "tool.sacred", name)) for name, value in table.items()}


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def _toml_key_line(text: str, table: str | None, key: str) -> int | None:
    """Best-effort line number of ``key`` inside ``[table]`` (tomllib keeps no positions)."""
    inside = table is None
    key_pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    header = re.compile(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$")
    for number, line in enumerate(text.splitlines(), start=1):
        found = header.match(line)
        if found:
            inside = table is not None and found.group(1).strip() == table
            continue
        if inside and key_pattern.match(line):
            return number
    return None


def path_exists(path: Path) -> bool:
    """``path.exists()`` that says False instead of raising for names no file can have
    (too long, a NUL byte): such an argument is then a config update or a command."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def common_ancestor(paths: Iterable[Path]) -> Path:
    """The deepest directory containing every path (a file counts by its directory)."""
    directories = [p if p.is_dir() else p.parent for p in (Path(os.path.abspath(q)) for q in paths)]
    if not directories:
        return Path.cwd()
    return Path(os.path.commonpath([str(d) for d in directories]))


def check_trusted(path: Path, what: str) -> None:
    """UsageError if ``path`` (found, not named by the user) belongs to someone else or is a foreign link."""
    from sacred.file_trust import HOW_TO_ALLOW, foreign_file_problem

    problem = foreign_file_problem(path)
    if problem is not None:
        raise UsageError(f"refusing to use {path}: {problem}; {what} ({HOW_TO_ALLOW})")


def _config_in(directory: Path) -> tuple[Path, dict[str, IniValue]] | None:
    ini = directory / INI_NAME
    if ini.is_file():
        check_trusted(ini, "a config file loads plugins and sets every run's options")
        return ini, read_config_file(ini) or {}
    pyproject = directory / PYPROJECT_NAME
    if pyproject.is_file():
        values = read_config_file(pyproject)
        if values is not None:
            check_trusted(pyproject, "a config file loads plugins and sets every run's options")
            return pyproject, values
    return None


def locate_config(
    args: Sequence[str],
    inifile: str | None = None,
    rootdir: str | None = None,
    invocation_dir: Path | None = None,
) -> RunnerIni:
    """Determine rootdir and config file from the path arguments, ``-c`` and ``--rootdir``.

    ``args`` may contain node ids (``file.py::name``); only existing paths
    take part in finding the common ancestor.
    """
    invocation_dir = Path(invocation_dir or Path.cwd())
    existing = []
    for arg in args:
        candidate = invocation_dir / arg.split("::", 1)[0]
        if path_exists(candidate):
            existing.append(candidate)
    ancestor = common_ancestor(existing) if existing else invocation_dir.resolve()

    found: tuple[Path, dict[str, IniValue]] | None = None
    if inifile is not None:
        ini_path = (invocation_dir / inifile).resolve()
        if not ini_path.is_file():
            from sacred_runner.cmdline import RUNNER_SHORT_FLAGS_HINT

            raise UsageError(
                f"config file given with -c/--config-file does not exist: {inifile}\n"
                f"(if you meant an experiment flag: {RUNNER_SHORT_FLAGS_HINT}.)"
            )
        found = (ini_path, read_config_file(ini_path) or {})
    else:
        for directory in (ancestor, *ancestor.parents):
            found = _config_in(directory)
            if found is not None:
                break

    if rootdir is not None:
        root = (invocation_dir / rootdir).resolve()
        if not root.is_dir():
            raise UsageError(f"directory given with --rootdir does not exist: {rootdir}")
    elif found is not None:
        root = found[0].parent
    else:
        root = ancestor
    check_trusted(root / LOCAL_PLUGIN_FILE, "sacred_plugins.py is imported, so it runs code")
    if found is None:
        return RunnerIni(rootdir=root, inipath=None)
    return RunnerIni(rootdir=root, inipath=found[0], values=found[1])

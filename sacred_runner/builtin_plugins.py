"""Built-in plugins: observers from the ini file (or the embedded store), the launcher, --lf."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sacred_runner.errors import UsageError
from sacred_runner.hookspecs import hookimpl

__all__ = ["ObserversPlugin", "BuiltinLauncher", "LastFailedPlugin", "OBSERVER_OPTION_NAMES", "parse_observer_spec"]

# experiment flags that add an observer; the runner builds those observers itself
OBSERVER_OPTION_NAMES = ("file_storage", "mongo_db", "tiny_db", "sql", "s3")
_PATH_VALUED = ("file_storage", "tiny_db")
_URL_SCHEMES = {
    "mongodb://": "mongo_db",
    "mongodb+srv://": "mongo_db",
    "s3://": "s3",
    "sqlite://": "sql",
    "postgresql://": "sql",
    "postgresql+psycopg2://": "sql",
    "mysql://": "sql",
}


def parse_observer_spec(spec: str) -> tuple[str, str]:
    """``'file_storage:runs'`` -> ``('file_storage', 'runs')``; a bare URL picks its kind."""
    text = spec.strip()
    for scheme, kind in _URL_SCHEMES.items():
        if text.startswith(scheme):
            return kind, text
    from sacred.commandline_options import canonical_key

    name, sep, value = text.partition(":")
    name = canonical_key(name.strip())[2:]
    if not sep or name not in OBSERVER_OPTION_NAMES or not value.strip():
        raise UsageError(
            f"bad observer {spec!r}: write NAME:VALUE with NAME one of "
            f"{', '.join(OBSERVER_OPTION_NAMES)} (e.g. 'file_storage:runs'), or a "
            "mongodb://, s3:// or SQL URL"
        )
    return name, value.strip()


class _ObserverHolder:
    """Stands in for a Run when a built-in observer flag adds its observer."""

    def __init__(self) -> None:
        self.observers: list = []


def build_observer(kind: str, value: str, rootdir: Path) -> Any:
    """Construct one observer the way the experiment flag ``--KIND VALUE`` would."""
    from sacred.commandline_options import get_builtin_option
    from sacred.masking import mask_text
    from sacred.utils import SacredError

    if kind in _PATH_VALUED and not os.path.isabs(value):
        value = str(rootdir / value)
    holder = _ObserverHolder()
    try:
        get_builtin_option(kind).apply(value, holder)
    except (ImportError, ValueError, OSError, RuntimeError, SacredError) as error:
        raise UsageError(f"cannot create the {kind} observer for {mask_text(value)!r}: {error}") from None
    return holder.observers[-1]


def _absolute_spec(kind: str, value: str, rootdir: Path, invocation_dir: Path) -> tuple[str, str]:
    """``(kind, value)`` with relative paths made absolute, so another process finds the same store.

    Store folders are relative to the rootdir (as :func:`build_observer` takes
    them); a relative SQLite file is relative to the working directory.
    """
    if kind in _PATH_VALUED and not os.path.isabs(value):
        return kind, str(rootdir / value)
    prefix = "sqlite:///"
    if kind == "sql" and value.startswith(prefix) and not value.startswith(prefix + "/"):
        path = value[len(prefix):]
        if path and not path.startswith(":memory:"):
            return kind, prefix + str(Path(invocation_dir, path).resolve())
    return kind, value


class ObserversPlugin:
    """Provide the session's observers: ini ``observers``, observer flags, or the embedded store."""

    def __init__(self) -> None:
        self.observers: list | None = None
        self.specs: list[tuple[str, str]] = []  # (kind, value), absolute paths: launchers rebuild from these
        self.uses_default_store = False

    @hookimpl
    def sacred_configure(self, config: Any) -> None:
        """Build the observers once for a ``sacred run`` session."""
        if config.subcommand != "run":
            return
        from sacred_runner.cmdline import experiment_flag

        specs = []
        for text in config.getini("observers"):
            try:
                specs.append(parse_observer_spec(text))
            except UsageError as error:
                raise UsageError(f"{config.ini.values['observers'].where()}: {error}") from None
        for kind in OBSERVER_OPTION_NAMES:
            value = experiment_flag(config.option, kind)
            if value is not None and not str(value).strip():
                raise UsageError(f"--{kind} needs a value (a folder or URL), got an empty string")
            if value:
                specs.append((kind, value))
        if not specs:
            specs = [("file_storage", config.getini("store") or ".sacred/runs")]
            self.uses_default_store = True
        self.specs = [_absolute_spec(kind, value, config.rootdir, config.invocation_dir) for kind, value in specs]
        self.observers = [build_observer(kind, value, config.rootdir) for kind, value in specs]

    @hookimpl
    def sacred_make_observers(self, item: Any, config: Any) -> list:
        """The same observers for every run (none for ``--unobserved`` runs)."""
        if item.unobserved or not self.observers:
            return []
        return list(self.observers)


class BuiltinLauncher:
    """The default launch step: in this process, or a subprocess with ``--isolate``."""

    @hookimpl(trylast=True)
    def sacred_run_item(self, item: Any, observers: list, session: Any) -> Any:
        """Execute ``item`` and return its outcome."""
        from sacred_runner.execute import execute_in_process, execute_isolated

        execute = execute_isolated if session.config.isolate else execute_in_process
        return execute(item, observers, session.config.hook)


class LastFailedPlugin:
    """Remember failed node ids in ``<rootdir>/.sacred/lastfailed.json``; ``--lf`` reruns them."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.lastfailed: dict[str, bool] = {}

    @hookimpl
    def sacred_configure(self, config: Any) -> None:
        """Read the previous session's failures."""
        self.path = config.rootdir / ".sacred" / "lastfailed.json"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        self.lastfailed = {str(k): True for k in data} if isinstance(data, dict) else {}

    @hookimpl
    def sacred_collection_modifyitems(self, session: Any, config: Any, items: list) -> None:
        """With ``--lf`` keep only the items that failed last time (all when none did)."""
        if not getattr(config.option, "last_failed", False) or not self.lastfailed:
            return
        failed_files = {key for key in self.lastfailed if "::" not in key}
        for item in list(items):
            if item.nodeid not in self.lastfailed and item.relpath not in failed_files:
                session.deselect(item, "passed last time (--lf)")

    @hookimpl
    def sacred_run_report(self, item: Any, outcome: Any) -> None:
        """Track each finished run."""
        if outcome.failed:
            self.lastfailed[item.nodeid] = True
        else:
            self.lastfailed.pop(item.nodeid, None)

    @hookimpl
    def sacred_sessionfinish(self, session: Any, exitstatus: int) -> None:
        """Write the failures of this session (and still-unrun old ones) back."""
        if session.config.subcommand != "run" or self.path is None:
            return
        collected_files = {node.relpath for node in session.nodes}
        for error in session.collect_errors:
            self.lastfailed[error.relpath] = True
        for relpath in collected_files:
            self.lastfailed.pop(relpath, None)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".json.tmp")
            temporary.write_text(json.dumps(dict(sorted(self.lastfailed.items())), indent=2), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as error:
            session.config.warn(f"could not write {self.path}: {error.strerror}")

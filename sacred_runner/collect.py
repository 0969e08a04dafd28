"""Experiment discovery: walk paths like pytest, import files, describe experiments."""

from __future__ import annotations

import fnmatch
import os
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sacred_runner.hookspecs import hookimpl
from sacred_runner.items import CollectError, ExperimentNode

__all__ = [
    "BuiltinCollector",
    "FileSearch",
    "SkippedDir",
    "collect_error_from",
    "find_experiment_files",
    "iter_experiment_files",
    "observer_store_dirs",
    "relative_to_root",
    "store_layout",
]


def relative_to_root(path: Path, rootdir: Path) -> str:
    """``path`` relative to the rootdir with ``/`` separators (absolute if outside it)."""
    path = Path(os.path.abspath(path))
    try:
        return path.relative_to(rootdir).as_posix()
    except ValueError:
        return path.as_posix()


def _matches_any(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def _is_virtualenv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file()


# folders an observer writes stored source copies into: never experiment files
STORED_SOURCE_DIRS = ("_sources", "_resources")
_FILE_STORAGE_INDEX = "runs.index.jsonl"
_STORE_OBSERVER_CLASSES = ("FileStorageObserver", "TinyDbObserver")


@dataclass(frozen=True)
class SkippedDir:
    """A directory collection did not search, and why (``sacred collect -v`` lists them)."""

    path: Path
    reason: str


@dataclass
class FileSearch:
    """What walking the target directories found."""

    files: list[Path] = field(default_factory=list)
    skipped: list[SkippedDir] = field(default_factory=list)
    python_files: int = 0  # .py files seen, matching a pattern or not


def store_layout(dirnames: list[str], filenames: list[str]) -> str | None:
    """Which observer store a directory with these entries is (None if it looks like none).

    Recognised by the marker files observers write: a FileStorage store has
    ``runs.index.jsonl`` or ``_sources/`` beside numbered run folders, one of its runs ``run.json`` with
    ``config.json`` or ``cout.txt``; a TinyDB store has ``metadata.json``
    and ``hashfs/``.
    """
    names, files = set(dirnames), set(filenames)
    if _FILE_STORAGE_INDEX in files or ("_sources" in names and any(n.isdigit() for n in names)):
        return "a FileStorage observer's store (it has runs.index.jsonl or _sources/ and run folders)"
    if "metadata.json" in files and "hashfs" in names:
        return "a TinyDB observer's store (it has metadata.json and hashfs/)"
    if "run.json" in files and ("config.json" in files or "cout.txt" in files):
        return "a stored run (it has run.json and config.json)"
    return None


def observer_store_dirs(observers: list[Any]) -> list[Path]:
    """Local directories the FileStorage / TinyDB observers among ``observers`` write into."""
    found = []
    for observer in observers:
        if not any(cls.__name__ in _STORE_OBSERVER_CLASSES for cls in type(observer).__mro__):
            continue
        for attribute in ("basedir", "source_dir", "resource_dir", "root"):
            value = getattr(observer, attribute, None)
            if isinstance(value, (str, os.PathLike)) and "://" not in str(value):
                found.append(Path(os.path.abspath(value)))
    return found


def _skip_reason(directory: Path, name: str, norecurse: list[str], stores: dict[Path, str]) -> str | None:
    if directory in stores:
        return stores[directory]
    if name in STORED_SOURCE_DIRS:
        return "stored source copies of an observer"
    if _matches_any(name, norecurse):
        return "matches norecursedirs"
    if _is_virtualenv(directory):
        return "a virtualenv (it has pyvenv.cfg)"
    return None


def find_experiment_files(
    root: Path, patterns: list[str], norecurse: list[str], stores: dict[Path, str] | None = None
) -> FileSearch:
    """Experiment files under the directory ``root`` in a stable (sorted) order.

    Directories matching ``norecurse``, virtualenvs, the configured observer
    stores ``stores`` (``{absolute path: why}``) and anything laid out like an
    observer's store (see :func:`store_layout`) are not searched.
    """
    stores = stores or {}
    search = FileSearch()
    for current, dirnames, filenames in os.walk(root):
        base = Path(current)
        layout = store_layout(dirnames, filenames)
        if base == Path(root) and base in stores:
            layout = stores[base]
        if layout is not None:
            search.skipped.append(SkippedDir(base, layout))
            dirnames[:] = []
            continue
        kept = []
        for name in sorted(dirnames):
            reason = _skip_reason(base / name, name, norecurse, stores)
            if reason is None:
                kept.append(name)
            else:
                search.skipped.append(SkippedDir(base / name, reason))
        dirnames[:] = kept
        for filename in sorted(filenames):
            if filename.endswith(".py"):
                search.python_files += 1
                if _matches_any(filename, patterns):
                    search.files.append(base / filename)
    return search


def iter_experiment_files(root: Path, patterns: list[str], norecurse: list[str]) -> Iterator[Path]:
    """Experiment files under ``root`` (see :func:`find_experiment_files`)."""
    yield from find_experiment_files(root, patterns, norecurse).files


def collect_error_from(error: BaseException, path: Path, relpath: str) -> CollectError:
    """A :class:`CollectError` naming the line in ``path`` where ``error`` arose."""
    line = None
    if isinstance(error, SyntaxError) and error.filename and Path(error.filename).resolve() == path:
        line = error.lineno
    else:
        for frame in traceback.extract_tb(error.__traceback__):
            if frame.filename and Path(frame.filename).resolve() == path:
                line = frame.lineno
    if isinstance(error, SystemExit):
        message = f"SystemExit({error.code!r}) raised while importing"
    else:
        message = f"{type(error).__name__}: {error}"
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return CollectError(str(path), relpath, line, message, trace)


class BuiltinCollector:
    """The default ``sacred_collect_file``: import the file, describe its Experiments."""

    @hookimpl(trylast=True)
    def sacred_collect_file(self, path: Path, config: Any) -> list[ExperimentNode]:
        """Import ``path`` (not as ``__main__``) and describe each module-level Experiment."""
        from sacred_runner.experiments import describe_experiment, find_experiments
        from sacred_runner.importer import import_file

        module = import_file(path)
        relpath = relative_to_root(path, config.rootdir)
        found = find_experiments(module, path)
        names = [experiment.path for _, experiment in found]
        nodes = []
        for attribute, experiment in found:
            node_name = experiment.path if names.count(experiment.path) == 1 else f"{experiment.path}@{attribute}"
            nodes.append(describe_experiment(experiment, path, relpath, attribute, node_name))
        return nodes

"""Experiment discovery: walk paths like pytest, import files, describe experiments."""

from __future__ import annotations

import fnmatch
import os
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sacred_runner.hookspecs import hookimpl
from sacred_runner.items import CollectError, ExperimentNode

__all__ = ["iter_experiment_files", "relative_to_root", "collect_error_from", "BuiltinCollector"]


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


def iter_experiment_files(root: Path, patterns: list[str], norecurse: list[str]) -> Iterator[Path]:
    """Experiment files under the directory ``root`` in a stable (sorted) order."""
    for current, dirnames, filenames in os.walk(root):
        base = Path(current)
        dirnames[:] = sorted(
            d for d in dirnames if not _matches_any(d, norecurse) and not _is_virtualenv(base / d)
        )
        for filename in sorted(filenames):
            if filename.endswith(".py") and _matches_any(filename, patterns):
                yield base / filename


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

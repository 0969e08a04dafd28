"""Sources, package dependencies and git state of an experiment.

:func:`gather_sources_and_dependencies` inspects the globals of the module
that defines an experiment and returns its main file, its local python
sources (:class:`Source`, each with md5 digest and git state) and the
third-party packages it uses (:class:`PackageDependency`).

What is discovered follows two settings:

``SETTINGS.DISCOVER_SOURCES``
    ``"imported"`` (default): the main file plus every local module (a
    ``.py`` file under ``base_dir`` whose module name matches its path) that
    the main module references by a global name, followed transitively
    through the globals of those local modules; parent packages of a local
    module are included. ``"sys"``: every local module in ``sys.modules``.
    ``"dir"``: every ``.py`` file under ``base_dir`` (hidden directories,
    ``__pycache__``, ``node_modules``, ``site-packages`` and virtualenvs are
    skipped). ``"none"``: only the main file.

``SETTINGS.DISCOVER_DEPENDENCIES``
    ``"imported"`` (default): the top-level packages of the modules, classes
    and functions referenced by the globals of the main module and of its
    local sources. ``"sys"``: the top-level packages of all of
    ``sys.modules``. ``"pkg"``: every installed distribution. ``"none"``:
    nothing discovered.

The standard library is never a dependency; ``numpy`` (when installed) and
``sacred`` itself always are. Which distribution provides a module is looked
up in :mod:`sacred.packages`; the git state of each source comes from
:mod:`sacred.vcs`. Their public names (``PackageDependency``,
``get_commit_if_possible``, ``collect_repositories``, ...) stay importable
from here.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType

from sacred.packages import (
    PackageDependency,
    always_included,
    find_distribution,
    installed_distributions,
    is_standard_library,
    module_version,
    normalize_distribution_name,
    py_file_if_possible,
)
from sacred.settings import SETTINGS
from sacred.utils import SacredError
from sacred.vcs import (
    GitStateCache,
    collect_repositories,
    get_commit_if_possible,
    parse_porcelain_v2_status,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "PEP440_VERSION_PATTERN",
    "DiscoveryModeError",
    "PackageDependency",
    "Source",
    "collect_repositories",
    "dependency_discovery_strategies",
    "gather_sources_and_dependencies",
    "get_commit_if_possible",
    "get_digest",
    "get_py_file_if_possible",
    "is_local_source",
    "normalize_distribution_name",
    "parse_porcelain_v2_status",
    "source_discovery_strategies",
]

PEP440_VERSION_PATTERN = re.compile(
    r"""
    ^
    (\d+!)?                              # epoch
    (\d+(?:\.\d+)*)                      # release segment
    ((?:a|b|c|rc)\d+)?                   # pre-release
    (\.post\d+)?                         # post release
    (\.dev\d+)?                          # development release
    $
    """,
    re.VERBOSE,
)
"""A public PEP 440 version (``1.2.3``, ``1!2.0rc1.post2.dev3``), as 0.8.7 checks them."""

get_py_file_if_possible = py_file_if_possible


def is_local_source(filename: str, modname: str, experiment_path: str) -> bool:
    """True if ``filename`` lies under ``experiment_path`` and its path spells ``modname``.

    ``/exp/sub/b.py`` is a local source as module ``sub.b`` of experiment
    path ``/exp``, but not as module ``b`` (then it came from elsewhere on
    ``sys.path``, e.g. a virtualenv inside the experiment directory).
    """
    real_base = os.path.realpath(experiment_path)
    relative = os.path.relpath(os.path.realpath(filename), real_base)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep) or os.path.isabs(relative):
        return False
    parts = os.path.splitext(relative)[0].split(os.sep)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) == modname


_BLOCK_SIZE = 1 << 20


def _md5() -> Any:
    # the built-in _md5 module, when present, spares a fresh process hashlib and OpenSSL
    try:
        from _md5 import md5
    except ImportError:  # a Python built without it
        from hashlib import md5
    return md5()


def get_digest(filename: str | os.PathLike) -> str:
    """Return the md5 hex digest of the file's content."""
    md5 = _md5()
    with open(filename, "rb") as handle:
        while block := handle.read(_BLOCK_SIZE):
            md5.update(block)
    return md5.hexdigest()


class Source:
    """A python source file of the experiment, with its md5 digest and git state.

    Sources are equal when their (absolute) file names are equal.
    """

    def __init__(
        self,
        filename: str,
        digest: str,
        repo: str | None,
        commit: str | None,
        isdirty: bool | None,
    ) -> None:
        self.filename = os.path.abspath(filename)
        self.digest = digest
        self.repo = repo
        self.commit = commit
        self.is_dirty = isdirty

    @property
    def isdirty(self) -> bool | None:
        """Whether the repository had uncommitted changes (None: not in a repository)."""
        return self.is_dirty

    @staticmethod
    def create(filename: str | os.PathLike, save_git_info: bool = True) -> Source:
        """Make a Source for an existing file, computing its digest and git state."""
        return _create_source(filename, GitStateCache() if save_git_info else None)

    def to_json(self, base_dir: str | os.PathLike | None = None) -> tuple[str, str]:
        """``(path, digest)``; the path is relative to ``base_dir`` when one is given."""
        if base_dir:
            return os.path.relpath(self.filename, os.fspath(base_dir)), self.digest
        return self.filename, self.digest

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Source):
            return self.filename == other.filename
        return NotImplemented

    def __lt__(self, other: Source) -> bool:
        return self.filename < other.filename

    def __hash__(self) -> int:
        return hash(self.filename)

    def __repr__(self) -> str:
        return f"<Source: {self.filename}>"


def _create_source(filename: str | os.PathLike, git: GitStateCache | None) -> Source:
    path = os.fspath(filename)
    if not path or not os.path.isfile(path):
        raise ValueError(
            f'invalid filename or file not found "{path}": a source must be an existing file'
        )
    repo, commit, dirty = git.lookup(path) if git is not None else (None, None, None)
    return Source(path, get_digest(path), repo, commit, dirty)


def _local_source_file(module: ModuleType, real_base_dir: str) -> str | None:
    """The ``.py`` file of ``module`` if it is a local source under ``real_base_dir``.

    Local means: the file lies under base_dir and its path below base_dir
    spells (the end of) the module's dotted name, so that a virtualenv or
    site-packages inside base_dir does not count.
    """
    name = getattr(module, "__name__", None)
    filename = getattr(module, "__file__", None)
    if not isinstance(name, str) or not isinstance(filename, str) or name in _MAIN_NAMES:
        return None
    filename = py_file_if_possible(os.path.abspath(filename))
    if not filename.endswith(".py"):
        return None
    relative = os.path.relpath(os.path.realpath(filename), real_base_dir)
    if relative.startswith(os.pardir + os.sep) or relative == os.pardir or os.path.isabs(relative):
        return None
    parts = relative[: -len(".py")].split(os.sep)
    if parts[-1] == "__init__":
        parts.pop()
    module_parts = name.split(".")
    if len(parts) > len(module_parts) or (parts and module_parts[-len(parts) :] != parts):
        return None
    return filename


_MAIN_NAMES = frozenset({"__main__", "__mp_main__"})


def _referenced_modules(namespace: dict) -> Iterator[ModuleType]:
    """Modules referenced by a namespace: module objects and the ``__module__`` of other values."""
    modules = sys.modules
    for value in list(namespace.values()):
        if issubclass(type(value), ModuleType):  # type() never runs user attribute hooks
            yield value
            continue
        try:
            module_name = getattr(value, "__module__", None)
        except Exception:  # exotic proxies may raise on any attribute access
            continue
        if isinstance(module_name, str):
            module = modules.get(module_name)
            if module is not None:
                yield module


def _with_parent_packages(module: ModuleType) -> Iterator[ModuleType]:
    yield module
    name = module.__name__
    while "." in name:
        name = name.rsplit(".", 1)[0]
        parent = sys.modules.get(name)
        if parent is not None:
            yield parent


def _local_modules_imported(globs: dict, real_base_dir: str) -> dict[str, ModuleType]:
    """Local modules reachable from ``globs`` through globals of local modules: file -> module."""
    found: dict[str, ModuleType] = {}
    pending = [globs]
    visited_namespaces = {id(globs)}
    while pending:
        namespace = pending.pop()
        for referenced in _referenced_modules(namespace):
            for module in _with_parent_packages(referenced):
                if id(module.__dict__) in visited_namespaces:
                    continue
                filename = _local_source_file(module, real_base_dir)
                if filename is None:
                    continue
                visited_namespaces.add(id(module.__dict__))
                found.setdefault(filename, module)
                pending.append(module.__dict__)
    return found


def _local_modules_in_sys(real_base_dir: str) -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for module in list(sys.modules.values()):
        if isinstance(module, ModuleType):
            filename = _local_source_file(module, real_base_dir)
            if filename is not None:
                found.setdefault(filename, module)
    return found


_SKIPPED_DIRECTORIES = frozenset({"__pycache__", "node_modules", "site-packages", "dist-packages"})


def _python_files_in(base_dir: str) -> Iterator[str]:
    """All ``.py`` files under base_dir, skipping hidden dirs, caches and virtualenvs."""
    for directory, subdirectories, files in os.walk(base_dir):
        subdirectories[:] = sorted(
            d
            for d in subdirectories
            if not d.startswith(".")
            and d not in _SKIPPED_DIRECTORIES
            and not os.path.isfile(os.path.join(directory, d, "pyvenv.cfg"))
        )
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(directory, name)


def _sources_none(globs: dict, base_dir: str) -> tuple[list[str], list[dict]]:
    return [], []


def _sources_imported(globs: dict, base_dir: str) -> tuple[list[str], list[dict]]:
    found = _local_modules_imported(globs, os.path.realpath(base_dir))
    return list(found), [m.__dict__ for m in found.values()]


def _sources_sys(globs: dict, base_dir: str) -> tuple[list[str], list[dict]]:
    found = _local_modules_in_sys(os.path.realpath(base_dir))
    return list(found), [m.__dict__ for m in found.values()]


def _sources_dir(globs: dict, base_dir: str) -> tuple[list[str], list[dict]]:
    # The namespaces still come from the imported local modules, so that the
    # "imported" dependency discovery sees what those modules use.
    imported = _local_modules_imported(globs, os.path.realpath(base_dir))
    return list(_python_files_in(base_dir)), [m.__dict__ for m in imported.values()]


source_discovery_strategies: dict[str, Callable[[dict, str], tuple[list[str], list[dict]]]] = {
    "none": _sources_none,
    "imported": _sources_imported,
    "sys": _sources_sys,
    "dir": _sources_dir,
}
"""SETTINGS.DISCOVER_SOURCES value -> function(globs, absolute base_dir) -> (files, namespaces).

``namespaces`` are the globals of the local modules found, for dependency discovery.
"""


# ---------------------------------------------------------------------------
# package dependencies


def _dependencies_from_modules(
    modules: Iterable[ModuleType], base_dir: str
) -> set[PackageDependency]:
    real_base_dir = os.path.realpath(base_dir)
    dependencies: set[PackageDependency] = set()
    done: set[str] = set()
    for module in modules:
        name = getattr(module, "__name__", None)
        if not isinstance(name, str):
            continue
        top_level = name.split(".", 1)[0]
        if top_level in done or top_level in _MAIN_NAMES or is_standard_library(top_level):
            continue
        done.add(top_level)
        root = sys.modules.get(top_level, module)
        found = find_distribution(top_level, getattr(root, "__file__", None))
        if found is not None:
            dependencies.add(PackageDependency(*found))
            continue
        if _local_source_file(root, real_base_dir) is not None:
            continue  # the experiment's own code is a source, not a package
        version = module_version(root)
        if version is not None:
            dependencies.add(PackageDependency(top_level, version))
    return dependencies


def _dependencies_none(namespaces: list[dict], base_dir: str) -> set[PackageDependency]:
    return set()


def _dependencies_imported(namespaces: list[dict], base_dir: str) -> set[PackageDependency]:
    modules = (m for namespace in namespaces for m in _referenced_modules(namespace))
    return _dependencies_from_modules(modules, base_dir)


def _dependencies_sys(namespaces: list[dict], base_dir: str) -> set[PackageDependency]:
    modules = [m for m in list(sys.modules.values()) if isinstance(m, ModuleType)]
    return _dependencies_from_modules(modules, base_dir)


def _dependencies_pkg(namespaces: list[dict], base_dir: str) -> set[PackageDependency]:
    return {PackageDependency(name, version) for name, version in installed_distributions()}


dependency_discovery_strategies: dict[str, Callable[[list[dict], str], set[PackageDependency]]] = {
    "none": _dependencies_none,
    "imported": _dependencies_imported,
    "sys": _dependencies_sys,
    "pkg": _dependencies_pkg,
}
"""SETTINGS.DISCOVER_DEPENDENCIES value -> function(namespaces, absolute base_dir) -> dependencies."""


# ---------------------------------------------------------------------------
# the entry point


class DiscoveryModeError(SacredError, KeyError):
    """SETTINGS.DISCOVER_SOURCES / DISCOVER_DEPENDENCIES holds an unknown mode."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _strategy(setting: str, strategies: dict[str, Any]) -> Any:
    mode = SETTINGS[setting]
    try:
        return strategies[mode]
    except (KeyError, TypeError):
        raise DiscoveryModeError(
            f"SETTINGS.{setting} is {mode!r}; use one of {', '.join(repr(k) for k in strategies)}"
        ) from None


def _main_file(globs: dict) -> str | None:
    filename = globs.get("__file__")
    if not filename:
        return None
    return py_file_if_possible(os.path.abspath(os.fspath(filename)))


def gather_sources_and_dependencies(
    globs: dict, save_git_info: bool, base_dir: str | os.PathLike | None = None
) -> tuple[Source | None, set[Source], set[PackageDependency]]:
    """Discover the main file, local sources and package dependencies of an experiment.

    ``globs`` are the globals of the module defining the experiment.
    ``base_dir`` (default: the directory of ``globs['__file__']``, else the
    current directory) bounds which files count as the experiment's own.
    Returns ``(main source or None, sources incl. the main one, dependencies)``;
    git state is only collected when ``save_git_info`` is true.
    """
    source_strategy = _strategy("DISCOVER_SOURCES", source_discovery_strategies)
    dependency_strategy = _strategy("DISCOVER_DEPENDENCIES", dependency_discovery_strategies)
    main_filename = _main_file(globs)
    if base_dir is None:
        base_dir = os.path.dirname(main_filename) if main_filename else os.getcwd()
    base_dir = os.path.abspath(os.fspath(base_dir))

    git = GitStateCache() if save_git_info else None
    main = _create_source(main_filename, git) if main_filename else None
    sources: set[Source] = {main} if main is not None else set()
    seen_real_paths = {os.path.realpath(main_filename)} if main_filename else set()
    filenames, namespaces = source_strategy(globs, base_dir)
    for filename in filenames:
        real_path = os.path.realpath(filename)
        if real_path not in seen_real_paths and os.path.isfile(filename):
            seen_real_paths.add(real_path)
            sources.add(_create_source(filename, git))

    dependencies = always_included()
    dependencies |= dependency_strategy([globs, *namespaces], base_dir)
    return main, sources, dependencies

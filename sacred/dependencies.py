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

The standard library is never a dependency. ``numpy`` (when installed) and
``sacred`` itself always are. A module is named by its distribution (found
by reading the ``*.dist-info`` / ``*.egg-info`` folders on ``sys.path`` once,
which is ~10x faster than ``importlib.metadata.packages_distributions()``),
so ``import yaml`` gives ``pyyaml==6.0.1``. A module that belongs to no
distribution but has a ``__version__`` string is listed under its own name.

Git state comes from the ``git`` executable (one ``git status`` and one
``git config`` per repository root, shared by all sources of one discovery),
which is much cheaper than importing GitPython; GitPython itself needs the
same executable for ``is_dirty()``, so it could not help where ``git`` is
missing. Dirty means changes to tracked files, staged or not (untracked files
do not count, as with GitPython's ``is_dirty()``). Passwords in remote URLs
are masked.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import Any

from sacred.settings import SETTINGS
from sacred.utils import SacredError, mask_url_password

__all__ = [
    "DiscoveryModeError",
    "PackageDependency",
    "Source",
    "collect_repositories",
    "dependency_discovery_strategies",
    "gather_sources_and_dependencies",
    "get_commit_if_possible",
    "get_digest",
    "source_discovery_strategies",
]

logger = logging.getLogger(__name__)

GIT_TIMEOUT = 30.0
"""Seconds one git command may take before the repository state is given up."""

_BLOCK_SIZE = 1 << 20


def get_digest(filename: str | os.PathLike) -> str:
    """Return the md5 hex digest of the file's content."""
    md5 = hashlib.md5()
    with open(filename, "rb") as handle:
        while block := handle.read(_BLOCK_SIZE):
            md5.update(block)
    return md5.hexdigest()


# ---------------------------------------------------------------------------
# git


class _GitStateCache:
    """Git state per repository root, so one discovery asks git once per repository."""

    def __init__(self) -> None:
        self._by_root: dict[str, tuple[str | None, str | None, bool | None]] = {}

    def lookup(self, filename: str) -> tuple[str | None, str | None, bool | None]:
        root = _find_repository_root(os.path.dirname(os.path.abspath(filename)))
        if root is None:
            return None, None, None
        if root not in self._by_root:
            self._by_root[root] = _query_repository(root)
        return self._by_root[root]


def _find_repository_root(directory: str) -> str | None:
    """The nearest directory at or above ``directory`` holding ``.git`` (dir or file)."""
    current = directory
    for _ in range(256):  # deeper than any real path; guards against odd filesystems
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
    return None


def _git_executable() -> str | None:
    import shutil

    return os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or shutil.which("git")


def _run_git(root: str, *args: str) -> Any:
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_OPTIONAL_LOCKS"] = "0"  # never compete with the user's git for index.lock
    env["LC_ALL"] = "C"
    return subprocess.run(
        [_git_executable() or "git", "-C", root, *args],
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT,
        env=env,
        check=False,
    )


_warned_no_git = False


def _query_repository(root: str) -> tuple[str | None, str | None, bool | None]:
    """(origin url, HEAD commit, dirty) of the repository whose work tree is ``root``."""
    global _warned_no_git
    if _git_executable() is None:
        if not _warned_no_git:
            logger.warning(
                "The git executable was not found; repository url/commit/dirty are not "
                "recorded. Install git or set GIT_PYTHON_GIT_EXECUTABLE."
            )
            _warned_no_git = True
        return None, None, None
    import subprocess

    try:
        status = _run_git(root, "status", "--porcelain=v2", "--branch", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError) as exc:
        logger.warning("git status failed in %s (%s); repository state not recorded", root, exc)
        return None, None, None
    if status.returncode != 0:
        logger.warning(
            "%s looks like a git repository but git status failed: %s",
            root,
            status.stderr.strip(),
        )
        return None, None, None
    commit, dirty = parse_porcelain_v2_status(status.stdout)
    try:
        remote = _run_git(root, "config", "--get", "remote.origin.url")
        url = remote.stdout.strip() if remote.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("git config failed in %s: %s", root, exc)
        url = ""
    # Without an origin, name the repository by its work tree as sacred 0.8.7 does.
    return mask_url_password(url) if url else "git:/" + root, commit, dirty


def parse_porcelain_v2_status(text: str) -> tuple[str | None, bool]:
    """(HEAD commit or None before the first commit, dirty) from ``git status --porcelain=v2 --branch``."""
    commit = None
    dirty = False
    for line in text.splitlines():
        if line.startswith("# branch.oid "):
            oid = line[len("# branch.oid ") :].strip()
            commit = None if oid == "(initial)" else oid
        elif line[:2] in ("1 ", "2 ", "u "):
            dirty = True
    return commit, dirty


def get_commit_if_possible(
    filename: str | os.PathLike, save_git_info: bool
) -> tuple[str | None, str | None, bool | None]:
    """(url, commit, dirty) of the git repository containing ``filename``.

    ``(None, None, None)`` when the file is not in a repository, when git
    cannot answer, or when ``save_git_info`` is false (then git is not asked).
    """
    if not save_git_info:
        return None, None, None
    return _GitStateCache().lookup(os.fspath(filename))


def collect_repositories(sources: Iterable[Source]) -> list[dict]:
    """The distinct ``{"url", "commit", "dirty"}`` of the repositories holding ``sources``."""
    seen: set[tuple] = set()
    repositories = []
    for source in sorted(sources):
        if source.repo is None:
            continue
        key = (source.repo, source.commit, source.is_dirty)
        if key not in seen:
            seen.add(key)
            repositories.append(
                {"url": source.repo, "commit": source.commit, "dirty": source.is_dirty}
            )
    return repositories


# ---------------------------------------------------------------------------
# sources


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
        return _create_source(filename, _GitStateCache() if save_git_info else None)

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


def _create_source(filename: str | os.PathLike, git: _GitStateCache | None) -> Source:
    path = os.fspath(filename)
    if not path or not os.path.isfile(path):
        raise ValueError(
            f'invalid filename or file not found "{path}": a source must be an existing file'
        )
    repo, commit, dirty = git.lookup(path) if git is not None else (None, None, None)
    return Source(path, get_digest(path), repo, commit, dirty)


def _py_file_if_possible(filename: str) -> str:
    """``foo.pyc`` -> ``foo.py`` (also from ``__pycache__``) when that file exists."""
    if filename.endswith((".pyc", ".pyo")):
        directory, base = os.path.split(filename)
        if os.path.basename(directory) == "__pycache__":
            candidate = os.path.join(os.path.dirname(directory), base.split(".", 1)[0] + ".py")
        else:
            candidate = filename[:-1]
        if os.path.isfile(candidate):
            return candidate
    return filename


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
    filename = _py_file_if_possible(os.path.abspath(filename))
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


class PackageDependency:
    """An installed package the experiment depends on; equal when the names are equal."""

    def __init__(self, name: str, version: str | None) -> None:
        self.name = name
        self.version = version

    def to_json(self) -> str:
        """``"name==version"`` (``<unknown>`` when the version could not be found)."""
        return f"{self.name}=={self.version or '<unknown>'}"

    @classmethod
    def create(cls, module: ModuleType) -> PackageDependency:
        """The dependency providing ``module``: its distribution, else its own ``__version__``."""
        top_level = module.__name__.split(".", 1)[0]
        found = _DISTRIBUTIONS.find(top_level, getattr(module, "__file__", None))
        if found is not None:
            return cls(*found)
        return cls(module.__name__, _module_version(module))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackageDependency):
            return self.name == other.name
        return NotImplemented

    def __lt__(self, other: PackageDependency) -> bool:
        return self.name < other.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"<PackageDependency: {self.name}={self.version}>"


_VERSION_TEXT = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+!_-]{0,63}$")


def _module_version(module: ModuleType) -> str | None:
    try:
        version = getattr(module, "__version__", None)
    except Exception:
        return None
    if isinstance(version, str) and _VERSION_TEXT.match(version.strip()):
        return version.strip()
    return None


def normalize_distribution_name(name: str) -> str:
    """Distribution name as sacred 0.8.7 wrote it: runs of other characters -> ``-``, lowercase."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", name).lower()


class _DistributionIndex:
    """Top-level module name -> installed distribution, read from the metadata folders on sys.path.

    Built on first use and rebuilt when ``sys.path`` changes.
    """

    def __init__(self) -> None:
        self._key: tuple[str, ...] | None = None
        self._by_module: dict[str, list[str]] = {}
        self._ordered: list[str] = []
        self._metadata: dict[str, tuple[str, str] | None] = {}

    def _ensure(self) -> None:
        key = tuple(sys.path)
        if key == self._key:
            return
        by_module: dict[str, list[str]] = {}
        ordered: list[str] = []
        for entry in key:
            try:
                listing = os.scandir(entry or os.curdir)
            except OSError:
                continue
            with listing:
                folders = sorted(
                    e.path for e in listing if e.name.endswith((".dist-info", ".egg-info"))
                )
            for folder in folders:
                ordered.append(folder)
                for module_name in _top_level_names(folder):
                    by_module.setdefault(module_name, []).append(folder)
        self._key, self._by_module, self._ordered = key, by_module, ordered

    def find(self, top_level: str, module_file: str | None = None) -> tuple[str, str] | None:
        """(normalized name, version) of the distribution providing ``top_level``, or None."""
        self._ensure()
        folders = self._by_module.get(top_level)
        if not folders:
            return None
        if len(folders) > 1 and module_file:
            # Namespace packages (e.g. "google"): prefer the one listing this file.
            owning = [f for f in folders if _record_lists(f, module_file)]
            folders = owning or folders
        return self._name_and_version(folders[0])

    def all_distributions(self) -> list[tuple[str, str]]:
        """(normalized name, version) of every installed distribution, first on sys.path wins."""
        self._ensure()
        seen: dict[str, tuple[str, str]] = {}
        for folder in self._ordered:
            found = self._name_and_version(folder)
            if found is not None and found[0] not in seen:
                seen[found[0]] = found
        return list(seen.values())

    def _name_and_version(self, folder: str) -> tuple[str, str] | None:
        if folder not in self._metadata:
            self._metadata[folder] = _read_name_and_version(folder)
        return self._metadata[folder]


def _top_level_names(folder: str) -> set[str]:
    """Importable top-level names a distribution provides (top_level.txt, else RECORD)."""
    try:
        with open(os.path.join(folder, "top_level.txt"), encoding="utf-8") as handle:
            return {line.strip().replace("/", ".").split(".")[0] for line in handle if line.strip()}
    except OSError:
        pass
    names: set[str] = set()
    for listing in ("RECORD", "installed-files.txt"):
        try:
            with open(os.path.join(folder, listing), encoding="utf-8") as handle:
                lines = handle.readlines()
        except OSError:
            continue
        for line in lines:
            path = line.split(",", 1)[0].strip().replace("\\", "/")
            if not path or path.startswith((".", "/")):
                continue
            first, slash, _ = path.partition("/")
            if slash:
                if (
                    not first.endswith((".dist-info", ".egg-info", ".data"))
                    and first != "__pycache__"
                ):
                    names.add(first)
            elif first.endswith(".py"):
                names.add(first[: -len(".py")])
            elif first.endswith((".so", ".pyd")):
                names.add(first.split(".", 1)[0])
        break
    return {n for n in names if n.isidentifier()}


def _record_lists(folder: str, module_file: str) -> bool:
    site = os.path.dirname(folder)
    relative = os.path.relpath(_py_file_if_possible(module_file), site).replace(os.sep, "/")
    try:
        with open(os.path.join(folder, "RECORD"), encoding="utf-8") as handle:
            return any(line.split(",", 1)[0] == relative for line in handle)
    except OSError:
        return False


def _read_name_and_version(folder: str) -> tuple[str, str] | None:
    name = version = None
    for metadata_file in ("METADATA", "PKG-INFO"):
        try:
            with open(
                os.path.join(folder, metadata_file), encoding="utf-8", errors="replace"
            ) as handle:
                for line in handle:
                    if not line.strip():
                        break  # end of the headers
                    key, _, value = line.partition(":")
                    if key == "Name":
                        name = value.strip()
                    elif key == "Version":
                        version = value.strip()
                    if name and version:
                        break
        except OSError:
            continue
        break
    if not name:
        return None
    return normalize_distribution_name(name), version or None


_DISTRIBUTIONS = _DistributionIndex()


def _is_standard_library(top_level: str) -> bool:
    return top_level in sys.stdlib_module_names or top_level in sys.builtin_module_names


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
        if top_level in done or top_level in _MAIN_NAMES or _is_standard_library(top_level):
            continue
        done.add(top_level)
        root = sys.modules.get(top_level, module)
        found = _DISTRIBUTIONS.find(top_level, getattr(root, "__file__", None))
        if found is not None:
            dependencies.add(PackageDependency(*found))
            continue
        if _local_source_file(root, real_base_dir) is not None:
            continue  # the experiment's own code is a source, not a package
        version = _module_version(root)
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
    return {
        PackageDependency(name, version) for name, version in _DISTRIBUTIONS.all_distributions()
    }


dependency_discovery_strategies: dict[str, Callable[[list[dict], str], set[PackageDependency]]] = {
    "none": _dependencies_none,
    "imported": _dependencies_imported,
    "sys": _dependencies_sys,
    "pkg": _dependencies_pkg,
}
"""SETTINGS.DISCOVER_DEPENDENCIES value -> function(namespaces, absolute base_dir) -> dependencies."""


def _always_included() -> set[PackageDependency]:
    import sacred

    included = {PackageDependency("sacred", sacred.__version__)}
    numpy = _DISTRIBUTIONS.find("numpy")
    if numpy is None and "numpy" in sys.modules:
        numpy = ("numpy", _module_version(sys.modules["numpy"]))
    if numpy is not None:
        included.add(PackageDependency(*numpy))
    return included


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
    return _py_file_if_possible(os.path.abspath(os.fspath(filename)))


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

    git = _GitStateCache() if save_git_info else None
    main = _create_source(main_filename, git) if main_filename else None
    sources: set[Source] = {main} if main is not None else set()
    seen_real_paths = {os.path.realpath(main_filename)} if main_filename else set()
    filenames, namespaces = source_strategy(globs, base_dir)
    for filename in filenames:
        real_path = os.path.realpath(filename)
        if real_path not in seen_real_paths and os.path.isfile(filename):
            seen_real_paths.add(real_path)
            sources.add(_create_source(filename, git))

    dependencies = _always_included()
    dependencies |= dependency_strategy([globs, *namespaces], base_dir)
    return main, sources, dependencies

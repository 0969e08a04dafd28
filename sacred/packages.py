"""Installed packages: which distribution provides a module, and at which version.

A module is named by its distribution, found by reading the ``*.dist-info`` /
``*.egg-info`` folders on ``sys.path`` once (rebuilt when ``sys.path``
changes), which is ~10x faster than
``importlib.metadata.packages_distributions()``; so ``import yaml`` gives
``pyyaml==6.0.1``. A module that belongs to no distribution but has a
``__version__`` string is listed under its own name. The standard library is
never a dependency; ``sacred`` itself and ``numpy`` (when installed) always
are (:func:`always_included`).
"""

from __future__ import annotations

import os
import re
import sys
from types import ModuleType

__all__ = [
    "PackageDependency",
    "always_included",
    "find_distribution",
    "installed_distributions",
    "is_standard_library",
    "module_version",
    "normalize_distribution_name",
    "py_file_if_possible",
]


def py_file_if_possible(filename: str) -> str:
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



class PackageDependency:
    """An installed package the experiment depends on; equal when the names are equal."""

    def __init__(self, name: str, version: str | None) -> None:
        self.name = name
        self.version = version

    def to_json(self) -> str:
        """``"name==version"`` (``<unknown>`` when the version could not be found)."""
        return f"{self.name}=={self.version or '<unknown>'}"

    def fill_missing_version(self) -> None:
        """Look the version up when it is unknown: the installed distribution of that
        name, else the ``__version__`` of an already imported module of that name."""
        if self.version is not None:
            return
        found = find_distribution(self.name, None)
        if found is not None:
            self.version = found[1]
            return
        module = sys.modules.get(self.name)  # never imported here: importing runs code
        if module is not None:
            self.version = module_version(module)

    @classmethod
    def create(cls, module: ModuleType) -> PackageDependency:
        """The dependency providing ``module``: its distribution, else its own ``__version__``."""
        top_level = module.__name__.split(".", 1)[0]
        found = find_distribution(top_level, getattr(module, "__file__", None))
        if found is not None:
            return cls(*found)
        return cls(module.__name__, module_version(module))

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


def module_version(module: ModuleType) -> str | None:
    """The module's own ``__version__`` if it looks like a version string, else None."""
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

    def _named_like(self, top_level: str) -> list[str]:
        """Metadata folders whose distribution name is ``top_level`` (a cheap listing)."""
        key = tuple(sys.path)
        if getattr(self, "_names_key", None) != key:
            by_name: dict[str, list[str]] = {}
            for entry in key:
                try:
                    with os.scandir(entry or os.curdir) as listing:
                        for e in listing:
                            if e.name.endswith((".dist-info", ".egg-info")):
                                name = e.name.rsplit(".", 1)[0].split("-", 1)[0]
                                by_name.setdefault(normalize_distribution_name(name), []).append(
                                    e.path
                                )
                except OSError:
                    continue
            self._names_key, self._by_name = key, by_name
        return self._by_name.get(normalize_distribution_name(top_level), [])

    def find(self, top_level: str, module_file: str | None = None) -> tuple[str, str] | None:
        """(normalized name, version) of the distribution providing ``top_level``, or None."""
        if self._key != tuple(sys.path):
            # Most distributions are named like their module (numpy, yaml excepted):
            # check that one folder before reading the metadata of every distribution.
            named = self._named_like(top_level)
            if len(named) == 1 and top_level in _top_level_names(named[0]):
                return self._name_and_version(named[0])
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
        # A RECORD lists every file, mostly many in a row under one folder: a line that
        # starts with the folder the previous one was under ("numpy/") adds nothing new.
        under: str | tuple = ()  # startswith(()) is always False
        for line in lines:
            if line.startswith(under):
                continue
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
                # only when the line starts with it as written (no blank or backslash before)
                under = first + "/" if line.startswith(first + "/") else ()
            elif first.endswith(".py"):
                names.add(first[: -len(".py")])
            elif first.endswith((".so", ".pyd")):
                names.add(first.split(".", 1)[0])
        break
    return {n for n in names if n.isidentifier()}


def _record_lists(folder: str, module_file: str) -> bool:
    site = os.path.dirname(folder)
    relative = os.path.relpath(py_file_if_possible(module_file), site).replace(os.sep, "/")
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


def find_distribution(top_level: str, module_file: str | None = None) -> tuple[str, str] | None:
    """(normalized name, version) of the installed distribution providing ``top_level``.

    ``module_file`` (the module's ``__file__``) picks the right one among
    several distributions sharing a namespace package. None when no
    distribution provides the name.
    """
    return _DISTRIBUTIONS.find(top_level, module_file)


def installed_distributions() -> list[tuple[str, str]]:
    """(normalized name, version) of every installed distribution, first on sys.path wins."""
    return _DISTRIBUTIONS.all_distributions()


def is_standard_library(top_level: str) -> bool:
    """True if ``top_level`` names a standard-library or built-in module."""
    return top_level in sys.stdlib_module_names or top_level in sys.builtin_module_names


def always_included() -> set[PackageDependency]:
    """``sacred`` itself and, when installed or imported, ``numpy``: always dependencies."""
    import sacred

    included = {PackageDependency("sacred", sacred.__version__)}
    numpy = find_distribution("numpy")
    if numpy is None and "numpy" in sys.modules:
        numpy = ("numpy", module_version(sys.modules["numpy"]))
    if numpy is not None:
        included.add(PackageDependency(*numpy))
    return included

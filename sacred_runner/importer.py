"""Import experiment files by path without running ``automain``.

A file is imported under its own module name (package-qualified when its
directory has ``__init__.py``), never as ``__main__``, so ``@ex.automain`` and
``if __name__ == "__main__":`` blocks do not fire. The directory above the
top package goes to the front of ``sys.path`` so that sibling modules (e.g.
ingredients) import as they do under ``python file.py``. When the plain name
is already taken by another file, a unique name is used instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["import_file", "module_name_for"]


def module_name_for(path: Path) -> tuple[Path, str]:
    """``(import root, dotted module name)`` of the Python file ``path``."""
    path = Path(path).resolve()
    parts = [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        parts.insert(0, directory.name)
        directory = directory.parent
    return directory, ".".join(parts)


def _same_file(module: ModuleType, path: Path) -> bool:
    filename = getattr(module, "__file__", None)
    if not filename:
        return False
    try:
        return os.path.samefile(filename, path)
    except OSError:
        return False


def import_file(path: Path) -> ModuleType:
    """Import (or return the already imported) module of ``path``; errors propagate."""
    path = Path(path).resolve()
    root, name = module_name_for(path)
    existing = sys.modules.get(name)
    if existing is not None and _same_file(existing, path):
        return existing
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    if "." in name:
        package = name.rsplit(".", 1)[0]
        importlib.import_module(package)
    if existing is not None:  # the name belongs to another file: use a unique one
        counter = 1
        while f"{name}_sacred{counter}" in sys.modules:
            counter += 1
        name = f"{name}_sacred{counter}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}: not a Python source file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module

"""Import an observer's optional backend, or say which ``sacred`` extra installs it.

Observers import their database or cloud packages only when they are
constructed, so that ``import sacred`` stays cheap. When a package is missing
the user gets one clear error naming the observer, the missing package and
the ``pip install sacred[extra]`` line that fixes it.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType

__all__ = ["MissingBackendError", "import_backend", "import_backends", "install_hint"]


class MissingBackendError(ImportError):
    """An optional package an observer needs is not installed (the message says how to install it).

    An ``ImportError`` so existing ``except ImportError`` code keeps working;
    command lines print its message as one line, never a traceback.
    """


def install_hint(extra: str) -> str:
    """The command that installs the optional packages of ``extra``."""
    return f"pip install sacred[{extra}]"


def import_backends(
    *modules: str, needed_by: str, extra: str, packages: Sequence[str] = ()
) -> list[ModuleType]:
    """Import each of ``modules`` (dotted names) and return them in that order.

    If one cannot be imported, raise :class:`ImportError` saying that
    ``needed_by`` needs ``packages`` (their pip names; by default the module
    names) and that ``pip install sacred[extra]`` installs them.
    """
    try:
        return [importlib.import_module(name) for name in modules]
    except ImportError as exc:
        wanted = _spoken_list(tuple(packages) or modules)
        raise MissingBackendError(
            f"{needed_by} needs {wanted} ({exc}). Install with: {install_hint(extra)}"
        ) from exc


def import_backend(
    module: str, *, needed_by: str, extra: str, packages: Sequence[str] = ()
) -> ModuleType:
    """Import one optional ``module``; see :func:`import_backends` for the error."""
    (imported,) = import_backends(module, needed_by=needed_by, extra=extra, packages=packages)
    return imported


def _spoken_list(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return f"the package {names[0]}"
    return f"the packages {', '.join(names[:-1])} and {names[-1]}"

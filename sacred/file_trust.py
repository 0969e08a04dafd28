"""The one rule for files that can run code or redirect writes: are they ours?

Files such as a FileStorage ``template.html`` (a mako template is code), the
runner's ``sacred.ini`` / ``pyproject.toml`` and ``sacred_plugins.py`` (they load
plugins) and a store's ``runs.index.jsonl`` (appended to) may sit in a folder
other users can write to. :func:`foreign_file_problem` says why such a file
must not be used: it, or the symbolic link that names it, is owned by another
user (root counts as trusted). The link itself is checked with ``lstat`` (never
following it), then its target.

Setting the environment variable ``SACRED_ALLOW_FOREIGN_FILES=1`` allows such
files (for shared project folders whose owners you trust).
"""

from __future__ import annotations

import os
import stat

__all__ = [
    "ALLOW_FOREIGN_FILES_ENV",
    "HOW_TO_ALLOW",
    "foreign_files_allowed",
    "foreign_file_problem",
    "stat_problem",
]

ALLOW_FOREIGN_FILES_ENV = "SACRED_ALLOW_FOREIGN_FILES"
HOW_TO_ALLOW = f"set {ALLOW_FOREIGN_FILES_ENV}=1 to use it anyway"


def foreign_files_allowed() -> bool:
    """True when the user allowed files owned by others (``SACRED_ALLOW_FOREIGN_FILES=1``)."""
    return os.environ.get(ALLOW_FOREIGN_FILES_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _trusted_owner(uid: int) -> bool:
    return uid in (os.geteuid(), 0)


def stat_problem(st: os.stat_result, what: str = "it") -> str | None:
    """Why a file with this ``stat`` is not trusted (another owner than you or root), or None."""
    if not _trusted_owner(st.st_uid):
        return (
            f"{what} is owned by uid {st.st_uid}, not by you (uid {os.geteuid()}) or root"
        )
    return None


def foreign_file_problem(path: str | os.PathLike) -> str | None:
    """Why ``path`` must not be read or appended to, or None if it is yours (or does not exist).

    A symbolic link is judged by its own owner (``lstat``) and then by its target's.
    Returns None when the user allowed foreign files.
    """
    if foreign_files_allowed():
        return None
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(link.st_mode):
        problem = stat_problem(link, "the symbolic link")
        if problem is not None:
            return problem
        try:
            target = os.stat(path)
        except FileNotFoundError:
            return "it is a symbolic link to a missing file"
        return stat_problem(target, f"its target {os.path.realpath(path)}")
    return stat_problem(link)

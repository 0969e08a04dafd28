"""Git state of an experiment's source files: repository url, HEAD commit, dirty flag.

The state comes from the ``git`` executable (one ``git status`` and one
``git config``, started together, per repository root, shared by all sources
of one discovery through :class:`GitStateCache`), which is much cheaper than importing
GitPython; GitPython itself needs the same executable for ``is_dirty()``, so
it could not help where ``git`` is missing. Dirty means changes to tracked
files, staged or not (untracked files do not count, as with GitPython's
``is_dirty()``). Passwords in remote URLs are masked. ``subprocess`` and
``shutil`` are imported only when git is actually asked.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from sacred.masking import mask_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from sacred.dependencies import Source

__all__ = [
    "GIT_TIMEOUT",
    "GitStateCache",
    "collect_repositories",
    "get_commit_if_possible",
    "parse_porcelain_v2_status",
    "uncommitted_patch",
]

logger = logging.getLogger(__name__)

GIT_TIMEOUT = 30.0
"""Seconds one git command may take before the repository state is given up."""


class GitStateCache:
    """Git state per repository root, so one discovery asks git once per repository."""

    def __init__(self) -> None:
        self._by_root: dict[str, tuple[str | None, str | None, bool | None]] = {}

    def lookup(self, filename: str) -> tuple[str | None, str | None, bool | None]:
        """(url, commit, dirty) of the repository holding ``filename``; Nones outside git."""
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


def _start_git(root: str, *args: str) -> Any:
    """Start ``git -C root *args`` (output captured as text); returns the Popen."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_OPTIONAL_LOCKS"] = "0"  # never compete with the user's git for index.lock
    env["LC_ALL"] = "C"
    # in a process group of its own, so that stopping it stops what it started too
    group = {"process_group": 0} if os.name == "posix" else {}
    return subprocess.Popen(
        [_git_executable() or "git", "-C", root, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **group,
    )


def _stop(proc: Any) -> None:
    """Kill a started git and everything in its process group, then reap it."""
    if proc.poll() is None:
        if os.name == "posix":
            import signal

            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            proc.kill()
    proc.communicate()


def _run_git_together(root: str, *commands: tuple[str, ...]) -> list[Any]:
    """Run the git ``commands`` in ``root`` at the same time; their CompletedProcesses, in order.

    Each may take ``GIT_TIMEOUT`` seconds; on a timeout or any other error
    every started git (and whatever it started) is killed and reaped before
    the error propagates.
    """
    import subprocess

    started: list[Any] = []
    try:
        for args in commands:
            started.append(_start_git(root, *args))
        done = []
        for proc in started:
            out, err = proc.communicate(timeout=GIT_TIMEOUT)
            done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
        return done
    except BaseException:
        for proc in started:
            _stop(proc)
        raise


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

    try:  # both at once: each git start costs a process start
        status, remote = _run_git_together(
            root,
            ("status", "--porcelain=v2", "--branch", "--untracked-files=no"),
            ("config", "--get", "remote.origin.url"),
        )
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
    url = remote.stdout.strip() if remote.returncode == 0 else ""
    # Without an origin, name the repository by its work tree as sacred 0.8.7 does.
    return mask_text(url) if url else "git:/" + root, commit, dirty


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
    return GitStateCache().lookup(os.fspath(filename))


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


def uncommitted_patch(filename: str | os.PathLike, max_bytes: int) -> dict | None:
    """The uncommitted changes of tracked files in the repository holding ``filename``, as a patch.

    ``{"root", "commit", "bytes", "patch", "truncated"}`` (``git diff HEAD
    --binary``: staged and unstaged changes, applied to ``commit`` with ``git
    apply`` it rebuilds the work tree of tracked files). A patch larger than
    ``max_bytes`` is not kept (``patch`` None, ``truncated`` True): half a
    patch cannot be applied. None outside a repository, without git, or when
    nothing is uncommitted.
    """
    import subprocess

    root = _find_repository_root(os.path.dirname(os.path.abspath(filename)))
    if root is None or _git_executable() is None:
        return None
    try:
        head, diff = _run_git_together(
            root, ("rev-parse", "HEAD"), ("diff", "HEAD", "--binary", "--no-color", "--no-ext-diff")
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("git diff failed in %s: %s", root, exc)
        return None
    if head.returncode != 0 or diff.returncode != 0 or not diff.stdout:
        return None
    size = len(diff.stdout.encode("utf-8"))
    truncated = size > max_bytes
    if truncated:
        logger.warning("The uncommitted changes in %s (%d bytes) exceed SETTINGS.GIT_PATCH.MAX_BYTES (%d); "
                       "the patch is not recorded", root, size, max_bytes)
    return {"root": root, "commit": head.stdout.strip(), "bytes": size,
            "patch": None if truncated else diff.stdout, "truncated": truncated}

"""The one rule for run ids chosen by the user (``-i``/``--id``, ``ex.run(options={"--id": ...})``).

A custom id must be able to name a run in every store: a FileStorage folder, a
bucket prefix, a TinyDB/SQL/MongoDB key. :func:`check_run_id` refuses, before
any store is touched, what would break one of them for good: an empty id, ``.``
and ``..``, path separators, NUL and other control characters, a leading ``_``
or ``.`` (store internals such as ``_sources`` and temporary files), the names
of store files (``runs.index.jsonl``, ``metadata.json``, ...), digits that are not
ASCII (``'²'.isdigit()`` is True but ``int('²')`` fails) and ids over 200 characters.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


__all__ = ["MAX_RUN_ID_LENGTH", "RESERVED_RUN_IDS", "check_run_id", "is_numeric_run_id"]

MAX_RUN_ID_LENGTH = 200
# Files and folders stores keep next to their run folders.
RESERVED_RUN_IDS = frozenset({
    "runs.index.jsonl", "template.html", "metadata.json", "metadata.json.lock", "hashfs",
    "sacred_failed_runs",
})
_ACCEPTED = "a number such as 42 or a plain name such as 'baseline-3'"


def is_numeric_run_id(name: str) -> bool:
    """True for ids made of ASCII digits only (the ids stores count up: ``1``, ``2``, ...)."""
    return name.isascii() and name.isdigit()


def check_run_id(run_id: Any) -> str:
    """``run_id`` as a string, or ValueError naming it and what is accepted."""
    if isinstance(run_id, bool) or run_id is None:
        raise ValueError(f"Run id {run_id!r} is not an id: use {_ACCEPTED}")
    name = str(run_id)
    problem = _problem(name)
    if problem is not None:
        raise ValueError(f"Run id {name!r} cannot be used: {problem}; use {_ACCEPTED}")
    return name


def _problem(name: str) -> str | None:
    if not name.strip():
        return "it is empty"
    if len(name) > MAX_RUN_ID_LENGTH:
        return f"it is longer than {MAX_RUN_ID_LENGTH} characters"
    if name in (".", "..") or "/" in name or "\\" in name:
        return "it contains a path separator or is '.' / '..'"
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        return "it contains a control character"
    if name[0] in "_.":
        return "it starts with '_' or '.', which stores use for their own files"
    if name != name.strip():
        return "it starts or ends with whitespace"
    if name.lower() in RESERVED_RUN_IDS:
        return "stores use that name for their own files"
    if any(char.isdigit() and not char.isascii() for char in name):
        return "it contains a digit that is not ASCII 0-9"
    return None

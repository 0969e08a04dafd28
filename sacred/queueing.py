"""What a queued run carries so that a worker can run it later: ``meta_info["queue"]``.

``python exp.py -q`` and ``sacred run --queue`` store a run with status
``QUEUED``. Its ``meta_info["queue"]`` (the *queue record*) holds everything a
worker (``sacred worker``) needs to execute it as that same run::

    {
      "format": 1,                      # QUEUE_FORMAT of the writer
      "file": "sub/exp.py",             # experiment file, relative to "rootdir", '/'-separated
      "rootdir": "/abs/project",        # the rootdir when it was queued (informational)
      "mainfile": "exp.py",             # the same file relative to the experiment's base_dir
      "mainfile_md5": "...",            # its md5 when queued (None if unknown)
      "sources": [["exp.py", md5], ...],# the sources stored with the run (relative to base_dir)
      "experiment": "name",             # the experiment's name
      "attribute": "ex",                # module attribute holding it (None: find it by name)
      "command": "main",
      "config_updates": {...}, "named_configs": [...],
      "options": {"--beat_interval": "0.5", ...},   # canonical keys; never --queue/--id/observers
      "priority": 0,                    # from -P (0 when not given)
    }

A worker that claims the run adds ``"claim": {"token", "worker", "time"}``;
observers accept a started run with the ``_id`` of an existing stored run only
when that stored run carries the same claim token (see :func:`claim_token`).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["QUEUE_FORMAT", "NOT_REPLAYED_OPTIONS", "queue_record", "record_from", "claim_token", "find_rootdir", "replayed_options"]

#: Version of the queue record this code writes; workers refuse newer ones.
QUEUE_FORMAT = 1

#: Options (canonical keys) a worker must not apply again when it runs a queued run.
NOT_REPLAYED_OPTIONS = frozenset({
    "--queue", "--id", "--help", "--unobserved", "--print_config", "--pdb",
    "--file_storage", "--mongo_db", "--tiny_db", "--sql", "--s3",
})


def claim_token(meta_info: Any) -> str | None:
    """The claim token a worker put into ``meta_info["queue"]["claim"]`` (None if none)."""
    if not isinstance(meta_info, dict):
        return None
    record = meta_info.get("queue")
    claim = record.get("claim") if isinstance(record, dict) else None
    token = claim.get("token") if isinstance(claim, dict) else None
    return token if isinstance(token, str) and token else None


def _has_config_file(directory: str) -> bool:
    if os.path.isfile(os.path.join(directory, "sacred.ini")):
        return True
    pyproject = os.path.join(directory, "pyproject.toml")
    try:
        with open(pyproject, encoding="utf-8") as f:
            return "[tool.sacred]" in f.read()
    except OSError:
        return False


def find_rootdir(path: str) -> str:
    """The rootdir for the experiment file ``path``, found as the ``sacred`` runner finds it.

    The nearest directory from the file's own upwards that holds ``sacred.ini``
    or a ``pyproject.toml`` with ``[tool.sacred]``; without one, the working
    directory when the file lies inside it, else the file's directory.
    """
    directory = os.path.dirname(os.path.abspath(path))
    current = directory
    while True:
        if _has_config_file(current):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    cwd = os.getcwd()
    if os.path.commonpath([cwd, directory]) == cwd:
        return cwd
    return directory


def _canonical(key: str) -> str:
    return "--" + str(key).lstrip("-").replace("-", "_")


def replayed_options(options: dict) -> dict:
    """``options`` with canonical keys, without those a worker must not apply again, nor unset ones.

    Only flags count: keys without a leading ``-`` (``UPDATE``, ``with``,
    ``COMMAND``, as the command line stores them) are the command's own words.
    """
    kept = {}
    for key, value in (options or {}).items():
        if not str(key).startswith("-"):
            continue
        canonical = _canonical(key)
        if canonical in NOT_REPLAYED_OPTIONS or value is None or value is False:
            continue
        kept[canonical] = value
    return kept


def _with_queued_seed(updates: dict, config: Any) -> dict:
    """``updates`` plus the seed the queued run was given, unless the user chose one.

    The QUEUED record shows that seed; the worker must run with it, not draw a
    new one, so that the run it executes is the run that was queued.
    """
    if "seed" in updates or not isinstance(config, dict) or "seed" not in config:
        return dict(updates)
    return {**updates, "seed": config["seed"]}


def queue_record(run: Any, hint: dict | None = None) -> dict:
    """The queue record of ``run`` (a :class:`~sacred.run.Run` about to be queued).

    ``hint`` holds what only the caller knows (the ``sacred`` runner passes
    ``file``, ``rootdir`` and ``attribute``); it wins over what is derived here.
    """
    return record_from(run.experiment_info, run.meta_info, run.config, hint)


def record_from(experiment_info: Any, meta_info: Any, config: Any, hint: dict | None = None) -> dict:
    """The queue record of a run described by its experiment info, meta info and config.

    Used for a run about to be queued (:func:`queue_record`) and for a stored run
    that was started directly and died, so that a worker can run it again: the
    same rules (seed kept unless the user chose one, options a worker must not
    replay dropped) apply to both. ``experiment_info["sources"]`` holds
    ``[path relative to base_dir, md5]`` pairs.
    """
    ex_info = experiment_info if isinstance(experiment_info, dict) else {}
    meta = meta_info if isinstance(meta_info, dict) else {}
    base_dir = ex_info.get("base_dir") or ""
    mainfile = ex_info.get("mainfile")
    sources = [[str(s[0]), s[1]] for s in ex_info.get("sources") or [] if isinstance(s, (list, tuple)) and s]
    mainfile_md5 = next((md5 for rel, md5 in sources if rel == mainfile), None)
    record: dict[str, Any] = {
        "format": QUEUE_FORMAT,
        "file": None,
        "rootdir": None,
        "mainfile": mainfile,
        "mainfile_md5": mainfile_md5,
        "sources": sources,
        "experiment": ex_info.get("name"),
        "attribute": None,
        "command": meta.get("command"),
        "config_updates": _with_queued_seed(meta.get("config_updates") or {}, config),
        "named_configs": list(meta.get("named_configs") or []),
        "options": replayed_options(dict(meta.get("options") or {})),
        "priority": meta.get("priority") if isinstance(meta.get("priority"), (int, float)) else 0,
    }
    if mainfile and base_dir:
        path = os.path.join(base_dir, mainfile)
        rootdir = find_rootdir(path)
        record["rootdir"] = rootdir
        record["file"] = os.path.relpath(path, rootdir).replace(os.sep, "/")
    record.update(hint or {})
    return record

"""Run-document values too large for MongoDB, kept in GridFS behind a pointer.

MongoDB refuses documents over 16 MB. Before a run document is written its
encoded size is checked; when it exceeds ``limit`` (``MongoObserver.
MAX_RUN_DOCUMENT_BYTES``), values are moved to GridFS, largest first, until it
fits. Candidates are the top-level entries of ``info``, ``result``,
``fail_trace``, ``config`` and ``meta`` (a config over 16 MB, a huge ``with``
value); ``info["metrics"]`` (the metric references tools read; 200,000 metric
names outgrow a document) moves only when nothing else is left. Everything
else keeps its documented place. A moved value is
replaced by a *pointer document*::

    {"sacred_oversized": True, "gridfs_id": ObjectId(...), "bytes": 17825810}

The GridFS file (named ``oversized://<runs collection>/<run id>/<slot>``, where
slot is ``info.<key>`` or a top-level key such as ``config``; content type
``application/bson``) holds the BSON document ``{"value": <the value>}``.
:func:`read_oversized` returns the value a pointer stands for (other values
unchanged); :func:`restore_oversized` returns a copy of a run document with
every pointer resolved.

A value is uploaded again only when its content changes (md5). The file of a
replaced or no longer oversized value is deleted once a run document that no
longer points to it has been saved, so a reader never meets a dangling pointer.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sacred.observers.mongo._gridfs_files import delete_quietly

__all__ = ["OversizedValues", "is_oversized", "read_oversized", "restore_oversized"]

POINTER_FLAG = "sacred_oversized"
TOP_LEVEL_SLOTS = ("result", "fail_trace", "config", "meta")
"""Run-document keys whose whole value may move to GridFS (besides ``info`` entries)."""


def _encoded_size(document: dict) -> int | None:
    import bson

    try:
        return len(bson.encode(document))
    except Exception:  # noqa: BLE001 - not encodable here: the server will say why
        return None


def is_oversized(value: Any) -> bool:
    """True if ``value`` is a pointer to a value kept in GridFS."""
    return isinstance(value, dict) and value.get(POINTER_FLAG) is True and "gridfs_id" in value


def read_oversized(fs: Any, value: Any) -> Any:
    """The value ``value`` stands for: read from GridFS ``fs`` if it is a pointer, else itself."""
    if not is_oversized(value):
        return value
    import bson

    return bson.decode(fs.get(value["gridfs_id"]).read())["value"]


def restore_oversized(fs: Any, run_doc: dict) -> dict:
    """Copy of a stored run document with every oversized-value pointer resolved."""
    restored = dict(run_doc)
    if isinstance(restored.get("info"), dict):
        restored["info"] = {k: read_oversized(fs, v) for k, v in restored["info"].items()}
    for key in TOP_LEVEL_SLOTS:
        if key in restored:
            restored[key] = read_oversized(fs, restored[key])
    return restored


class OversizedValues:
    """The values of one run currently kept in GridFS, by slot."""

    def __init__(self) -> None:
        self._stored: dict[str, tuple[str, Any]] = {}  # slot -> (md5, file id)
        self._obsolete: list[Any] = []

    def fit(self, entry: dict, fs: Any, runs_name: str, limit: int) -> dict:
        """``entry`` itself if it encodes within ``limit`` bytes, else a copy with pointers."""
        size = _encoded_size(entry)
        if size is None or size <= limit:
            self._retire_all_but(set())
            return entry
        document = dict(entry)
        if isinstance(document.get("info"), dict):
            document["info"] = dict(document["info"])
        kept: set[str] = set()
        for value_size, slot, container, key in self._candidates(document):
            if size <= limit:
                break
            pointer = self._store(fs, slot, container[key], runs_name, document.get("_id"))
            size -= value_size - _encoded_size({"value": pointer})
            container[key] = pointer
            kept.add(slot)
        self._retire_all_but(kept)
        return document

    def delete_obsolete(self, fs: Any) -> None:
        """Delete the files no saved document points to any more (best effort)."""
        delete_quietly(fs, self._obsolete, "replaced oversized value")
        self._obsolete = []

    @staticmethod
    def _candidates(document: dict) -> list[tuple[int, str, dict, str]]:
        """``(encoded size, slot, container, key)`` of each movable value, largest first."""
        places: list[tuple[str, dict, str]] = [
            (f"info.{key}", document["info"], key)
            for key in (document.get("info") or {})
            if key != "metrics"
        ]
        places += [(key, document, key) for key in TOP_LEVEL_SLOTS
                   if document.get(key) is not None]
        sized = []
        for slot, container, key in places:
            value_size = _encoded_size({"value": container[key]})
            if value_size is not None:
                sized.append((value_size, slot, container, key))
        sized.sort(key=lambda candidate: candidate[0], reverse=True)
        references = (document.get("info") or {}).get("metrics")
        if references is not None:  # last resort: readers prefer them inline
            value_size = _encoded_size({"value": references})
            if value_size is not None:
                sized.append((value_size, "info.metrics", document["info"], "metrics"))
        return sized

    def _store(self, fs: Any, slot: str, value: Any, runs_name: str, run_id: Any) -> dict:
        import bson

        data = bson.encode({"value": value})
        md5 = hashlib.md5(data).hexdigest()
        known = self._stored.get(slot)
        if known is not None and known[0] == md5:
            file_id = known[1]
        else:
            file_id = fs.put(
                data,
                filename=f"oversized://{runs_name}/{run_id}/{slot}",
                md5=md5,
                content_type="application/bson",
                metadata={"run_id": run_id, "slot": slot},
            )
            if known is not None:
                self._obsolete.append(known[1])
            self._stored[slot] = (md5, file_id)
        return {POINTER_FLAG: True, "gridfs_id": file_id, "bytes": len(data)}

    def _retire_all_but(self, kept: set[str]) -> None:
        for slot in [s for s in self._stored if s not in kept]:
            self._obsolete.append(self._stored.pop(slot)[1])

"""Captured output of a MongoObserver run, continued in GridFS past a size threshold.

While the output is at most ``inline_chars`` characters it is stored whole in
the run document's ``captured_out``. Beyond that its beginning moves to GridFS
in segments of ``segment_chars`` characters (UTF-8 files named
``captured_out://<runs collection>/<run id>/<index>``), listed in order in the
run document's ``captured_out_segments``; ``captured_out`` keeps the most
recent output. The full text is the segments followed by ``captured_out``
(:func:`read_captured_out`). A segment is written once; if an output filter
rewrites text already moved out, the segments are rewritten.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sacred.observers.mongo._gridfs_files import delete_quietly

__all__ = ["CapturedOutSegments", "read_captured_out"]

_ENCODING, _ERRORS = "utf-8", "surrogateescape"


def _encode(text: str) -> bytes:
    return text.encode(_ENCODING, _ERRORS)


class CapturedOutSegments:
    """The GridFS segments holding the beginning of one run's captured output."""

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self.file_ids: list[Any] = []
        self._md5s: list[str] = []
        self._lengths: list[int] = []
        self._covered = 0

    def place(self, text: str, entry: dict, fs: Any, runs_name: str,
              inline_chars: int, segment_chars: int) -> None:
        """Set ``entry["captured_out"]`` (and segments) for the whole output ``text``."""
        if not self.file_ids and len(text) <= inline_chars:
            entry["captured_out"] = text
            entry.pop("captured_out_segments", None)
            return
        if self.file_ids and not self._prefix_unchanged(text):
            self.drop(fs)
        while len(text) - self._covered > inline_chars:
            piece = text[self._covered:self._covered + segment_chars]
            self._store_segment(piece, fs, f"captured_out://{runs_name}/{entry['_id']}", entry["_id"])
        entry["captured_out"] = text[self._covered:]
        entry["captured_out_segments"] = list(self.file_ids)

    def _store_segment(self, piece: str, fs: Any, name_prefix: str, run_id: Any) -> None:
        data = _encode(piece)
        md5 = hashlib.md5(data).hexdigest()
        file_id = fs.put(
            data,
            filename=f"{name_prefix}/{len(self.file_ids)}",
            md5=md5,
            content_type="text/plain; charset=utf-8",
            metadata={"run_id": run_id, "chars": len(piece)},
        )
        self.file_ids.append(file_id)
        self._md5s.append(md5)
        self._lengths.append(len(piece))
        self._covered += len(piece)

    def _prefix_unchanged(self, text: str) -> bool:
        if len(text) < self._covered:
            return False
        start = 0
        for length, md5 in zip(self._lengths, self._md5s, strict=True):
            if hashlib.md5(_encode(text[start:start + length])).hexdigest() != md5:
                return False
            start += length
        return True

    def drop(self, fs: Any) -> None:
        """Delete the segments (best effort) and start over."""
        delete_quietly(fs, self.file_ids, "captured-output segment")
        self._clear()


def read_captured_out(fs: Any, run_doc: dict) -> str:
    """Return the full captured output of a stored run (segments + inline tail)."""
    parts = [
        fs.get(file_id).read().decode(_ENCODING, _ERRORS)
        for file_id in run_doc.get("captured_out_segments", [])
    ]
    parts.append(run_doc.get("captured_out") or "")
    return "".join(parts)

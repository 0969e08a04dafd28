"""How the TinyDB observer writes values: tinydb-serialization tags and their serializers.

Dates are stored as ``"{TinyDate}:<isoformat>"`` and files as
``"{TinyFile}:\\"<md5>\\""``, the convention of ``tinydb-serialization``, so
that the database reads back with ``tinydb`` + ``tinydb-serialization`` as
Sacred 0.8.7 wrote it. The observer writes the tagged strings itself (fast);
the serializers let a TinyDB opened by :func:`get_db_file_manager` decode them.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import logging
from typing import Any

from sacred.observers.tinydb_hashfs._files import (
    BufferedReaderWrapper,
    StoredFile,
    hash_id_from_path,
)
from sacred.serializer import flatten
from sacred.utils import map_leaves

__all__ = [
    "DATE_TAG",
    "FILE_TAG",
    "DateTimeSerializer",
    "FileSerializer",
    "decode_dates",
    "decode_files",
    "dump_document",
    "encode_tags",
    "to_storable",
]

# the observer's logger, so that filters set on it cover the whole TinyDB store
logger = logging.getLogger("sacred.observers.tinydb_hashfs")

DATE_TAG = "{TinyDate}:"
FILE_TAG = "{TinyFile}:"


class DateTimeSerializer:
    """tinydb-serialization serializer for ``datetime`` (tag ``TinyDate``)."""

    OBJ_CLASS = _dt.datetime

    def encode(self, obj: _dt.datetime) -> str:
        """Return the ISO format of ``obj``."""
        return obj.isoformat()

    def decode(self, s: str) -> _dt.datetime:
        """Parse an ISO formatted date."""
        return _dt.datetime.fromisoformat(s)


class FileSerializer:
    """tinydb-serialization serializer for stored files (tag ``TinyFile``).

    Encodes a :class:`StoredFile` (or a handle opened on a HashFS file) as the
    JSON string of its hash; decodes to a :class:`BufferedReaderWrapper`.
    """

    OBJ_CLASS = (StoredFile, io.BufferedReader)

    def __init__(self, fs: Any) -> None:
        self.fs = fs

    def encode(self, obj: Any) -> str:
        """Return ``'"<hash>"'`` for a stored file."""
        if isinstance(obj, StoredFile):
            return self.encode_reference(obj)
        return json.dumps(hash_id_from_path(obj.name))

    @staticmethod
    def encode_reference(stored: StoredFile) -> str:
        """Return ``'"<hash>"'`` for a :class:`StoredFile` (no store needed)."""
        return json.dumps(stored.hash_id)

    def decode(self, s: str) -> Any:
        """Open the stored file named by ``s`` for reading (None if it is gone)."""
        hash_id = json.loads(s)
        address = self.fs.get(hash_id)
        if address is None:
            logger.warning("Stored file %s is missing from %s", hash_id, self.fs.root)
            return None
        return BufferedReaderWrapper(open(address.abspath, "rb"))


_DATES = DateTimeSerializer()


def to_storable(value: Any) -> Any:
    """Make ``value`` JSON-ready, keeping datetimes and stored files for tagging."""
    if isinstance(value, (str, int, float, bool, type(None), _dt.datetime, StoredFile)):
        return value
    if isinstance(value, dict):
        return {
            (k if isinstance(k, str) else str(flatten(k))): to_storable(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [to_storable(v) for v in value]
    return flatten(value)


def _tag_leaf(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return DATE_TAG + _DATES.encode(value)
    if isinstance(value, StoredFile):
        return FILE_TAG + FileSerializer.encode_reference(value)
    return value


def encode_tags(value: Any) -> Any:
    """Replace datetimes and stored files by their tagged strings."""
    return map_leaves(value, _tag_leaf)


def _date_leaf(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(DATE_TAG):
        try:
            return _DATES.decode(value[len(DATE_TAG) :])
        except ValueError:
            return value
    return value


def decode_dates(value: Any) -> Any:
    """Turn ``{TinyDate}`` strings back into datetimes (files stay tagged strings)."""
    return map_leaves(value, _date_leaf)


def decode_files(value: Any, fs: Any) -> Any:
    """Turn ``{TinyFile}`` strings into open read handles on the stored files."""
    files = FileSerializer(fs)

    def file_leaf(leaf: Any) -> Any:
        if isinstance(leaf, str) and leaf.startswith(FILE_TAG):
            return files.decode(leaf[len(FILE_TAG) :])
        return leaf

    return map_leaves(value, file_leaf)


def dump_document(value: Any) -> str:
    """The JSON text of a run document, dates and stored files tagged."""
    return json.dumps(encode_tags(value))

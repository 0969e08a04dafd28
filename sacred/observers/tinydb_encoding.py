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

from sacred.observers.tinydb_files import BufferedReaderWrapper, StoredFile, hash_id_from_path
from sacred.serializer import flatten

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
            return json.dumps(obj.hash_id)
        return json.dumps(hash_id_from_path(obj.name))

    def decode(self, s: str) -> Any:
        """Open the stored file named by ``s`` for reading (None if it is gone)."""
        hash_id = json.loads(s)
        address = self.fs.get(hash_id)
        if address is None:
            logger.warning("Stored file %s is missing from %s", hash_id, self.fs.root)
            return None
        return BufferedReaderWrapper(open(address.abspath, "rb"))


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


def encode_tags(value: Any) -> Any:
    """Replace datetimes and stored files by their tagged strings."""
    if isinstance(value, _dt.datetime):
        return DATE_TAG + value.isoformat()
    if isinstance(value, StoredFile):
        return FILE_TAG + json.dumps(value.hash_id)
    if isinstance(value, dict):
        return {k: encode_tags(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_tags(v) for v in value]
    return value


def decode_dates(value: Any) -> Any:
    """Turn ``{TinyDate}`` strings back into datetimes (files stay tagged strings)."""
    if isinstance(value, str):
        if value.startswith(DATE_TAG):
            try:
                return _dt.datetime.fromisoformat(value[len(DATE_TAG) :])
            except ValueError:
                return value
        return value
    if isinstance(value, dict):
        return {k: decode_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_dates(v) for v in value]
    return value


def decode_files(value: Any, fs: Any) -> Any:
    """Turn ``{TinyFile}`` strings into open read handles on the stored files."""
    if isinstance(value, str):
        if value.startswith(FILE_TAG):
            return FileSerializer(fs).decode(value[len(FILE_TAG) :])
        return value
    if isinstance(value, dict):
        return {k: decode_files(v, fs) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_files(v, fs) for v in value]
    return value


def dump_document(value: Any) -> str:
    """The JSON text of a run document, dates and stored files tagged."""
    return json.dumps(encode_tags(value))

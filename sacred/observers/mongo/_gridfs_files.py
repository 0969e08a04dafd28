"""The GridFS operations MongoObserver's parts share: store a file once, delete quietly."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

__all__ = ["delete_quietly", "put_file_once"]

logger = logging.getLogger("sacred.observers.mongo")


def put_file_once(fs: Any, source_path: str, db_filename: str, md5: str, **extra: Any) -> Any:
    """Store the local file ``source_path`` as ``db_filename`` unless a file with that name and md5 exists.

    Returns the GridFS file id (the existing one when reused). ``extra``
    (e.g. ``metadata``, ``content_type``) is passed on when not None.
    """
    existing = fs.find_one({"filename": db_filename, "md5": md5})
    if existing is not None:
        return existing._id
    kwargs = {k: v for k, v in extra.items() if v is not None}
    with open(source_path, "rb") as handle:
        return fs.put(handle, filename=db_filename, md5=md5, **kwargs)


def delete_quietly(fs: Any, file_ids: Iterable[Any], what: str) -> None:
    """Delete GridFS files, logging (debug) instead of raising: an orphan file is harmless."""
    for file_id in file_ids:
        try:
            fs.delete(file_id)
        except Exception:  # noqa: BLE001 - see docstring
            logger.debug("could not delete %s %s", what, file_id)

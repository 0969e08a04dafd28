"""What the bucket observers (S3, Google Cloud Storage) share on top of the run layout.

Both write the FileStorage layout of :mod:`sacred.observers.run_files._layout`
through an :class:`~sacred.observers.run_files._layout.ObjectStoreBackend`, take
their three folders as key prefixes inside the bucket, and check (or create)
the bucket once, just before the first run or queued run is stored, so that
constructing an observer costs no network round trip.
"""

from __future__ import annotations

import abc
import os
from typing import Any

from sacred.observers.run_files._layout import LayoutObserver, ObjectStoreBackend, posix_join

__all__ = ["BucketObserver", "bucket_folder"]


def bucket_folder(folder: Any) -> str:
    """A folder argument as a key prefix without slashes at its ends.

    Bytes and path-like folders are decoded as file names are; None and ``""``
    mean the top of the bucket.
    """
    if isinstance(folder, (bytes, os.PathLike)):
        folder = os.fsdecode(os.fspath(folder))
    return posix_join(str(folder or ""))


class BucketObserver(LayoutObserver, abc.ABC):
    """A :class:`LayoutObserver` that stores runs in a cloud bucket.

    ``resource_dir`` and ``source_dir`` default to ``_resources`` and
    ``_sources`` under ``basedir``. Subclasses implement
    :meth:`prepare_bucket`, which runs once, before the first run is stored.
    """

    def __init__(
        self,
        backend: ObjectStoreBackend,
        basedir: Any,
        resource_dir: Any = None,
        source_dir: Any = None,
        priority: int = 20,
    ) -> None:
        base = bucket_folder(basedir)
        super().__init__(
            backend,
            base,
            bucket_folder(resource_dir) if resource_dir else posix_join(base, "_resources"),
            bucket_folder(source_dir) if source_dir else posix_join(base, "_sources"),
            priority=priority,
        )
        self._bucket_ready = False

    @abc.abstractmethod
    def prepare_bucket(self) -> None:
        """Make sure the bucket can take runs (check it, or create it); raise a clear error if not."""

    def _ensure_bucket(self) -> None:
        if not self._bucket_ready:
            self.prepare_bucket()
            self._bucket_ready = True

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        """Prepare the bucket (once), then write the run as FileStorage does."""
        self._ensure_bucket()
        return super().started_event(
            ex_info, command, host_info, start_time, config, meta_info, _id
        )

    def queued_event(self, ex_info, command, host_info, queue_time, config, meta_info, _id):
        """Prepare the bucket (once), then store the queued run."""
        self._ensure_bucket()
        return super().queued_event(ex_info, command, host_info, queue_time, config, meta_info, _id)

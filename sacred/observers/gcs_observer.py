"""GoogleCloudStorageObserver: the FileStorage run layout inside a GCS bucket.

``GoogleCloudStorageObserver(bucket='bucket-name', basedir='/experiment-name/')``
writes ``gs://bucket-name/experiment-name/1/run.json`` etc., sources in
``.../_sources`` and resources in ``.../_resources``, exactly as
:mod:`sacred.observers.file_storage` does on disk. The bucket must exist.

Credentials come from ``GOOGLE_APPLICATION_CREDENTIALS`` (a service account
JSON file) or the other Application Default Credentials. When
``STORAGE_EMULATOR_HOST`` is set the client talks to that emulator instead.

GCS specifics: a run folder is claimed by creating its ``run.json`` with the
precondition ``ifGenerationMatch=0`` (only if no object exists), so
concurrent runs never share an id. ``cout.txt`` grows by uploading only the
new output and composing it onto the existing object server-side.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from sacred.masking import mask_text
from sacred.observers._backend_import import import_backend
from sacred.observers.run_files._bucket import BucketObserver
from sacred.observers.run_files._layout import ObjectStoreBackend

__all__ = ["GoogleCloudStorageObserver", "GCSBackend"]


def _import_storage() -> Any:
    return import_backend(
        "google.cloud.storage",
        needed_by="GoogleCloudStorageObserver",
        extra="gcs",
        packages=["google-cloud-storage"],
    )


def _endpoint() -> str:
    return mask_text(os.environ.get("STORAGE_EMULATOR_HOST") or "https://storage.googleapis.com")


class GCSBackend(ObjectStoreBackend):
    """Objects in one Google Cloud Storage bucket."""

    def __init__(self, client: Any, bucket_name: str) -> None:
        super().__init__()
        self.client = client
        self.bucket_name = bucket_name
        self.bucket = client.bucket(bucket_name)
        self._known: set[str] = set()

    def _unreachable(self, exc: Exception) -> ConnectionError:
        return ConnectionError(
            f"GoogleCloudStorageObserver cannot reach {_endpoint()} for bucket "
            f"{self.bucket_name!r}: {mask_text(str(exc))}"
        )

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        import requests

        try:
            return fn(*args, **kwargs)
        except requests.exceptions.ConnectionError as exc:
            raise self._unreachable(exc) from None

    def ensure_bucket(self) -> None:
        """Raise a clear error if the bucket does not exist (it must be created first)."""
        if not self._call(self.bucket.exists, retry=None, timeout=30):
            raise ValueError(
                f"GCS bucket {self.bucket_name!r} does not exist at {_endpoint()}; create it "
                "first (the GoogleCloudStorageObserver does not create buckets)"
            )

    def put(self, key: str, data: bytes, if_absent: bool = False) -> bool:
        """Upload ``data``; with ``if_absent`` only if no object exists."""
        from google.api_core.exceptions import PreconditionFailed

        kwargs: dict[str, Any] = {"if_generation_match": 0} if if_absent else {}
        try:
            self._call(self.bucket.blob(key).upload_from_string, data, **kwargs)
        except PreconditionFailed:
            return False
        self._known.add(key)
        return True

    def get(self, key: str) -> bytes | None:
        """Download or None."""
        from google.api_core.exceptions import NotFound

        try:
            return self._call(self.bucket.blob(key).download_as_bytes)
        except NotFound:
            return None

    def exists(self, path: str) -> bool:
        """True if the object exists."""
        return bool(self._call(self.bucket.blob(path).exists))

    def list_prefixes(self, prefix: str) -> list[str]:
        """Sub-prefixes directly under ``prefix``."""
        iterator = self._call(self.client.list_blobs, self.bucket_name, prefix=prefix, delimiter="/")
        self._call(lambda: [page.num_items for page in iterator.pages])  # prefixes fill per page
        return sorted(iterator.prefixes)

    def list_keys(self, prefix: str, limit: int | None = None) -> list[str]:
        """Object names under ``prefix`` (at most ``limit``)."""
        blobs = self._call(self.client.list_blobs, self.bucket_name, prefix=prefix, max_results=limit)
        return self._call(lambda: [b.name for b in blobs])

    def delete_keys(self, keys: list[str]) -> None:
        """Delete objects; missing ones are fine."""
        from google.api_core.exceptions import NotFound

        for key in keys:
            try:
                self._call(self.bucket.delete_blob, key)
            except NotFound:
                pass
            self._known.discard(key)

    def upload_file(self, local_filename: str, path: str) -> None:
        """Upload a local file."""
        self._call(self.bucket.blob(path).upload_from_filename, local_filename)
        self._known.add(path)
        self._count(path, os.path.getsize(local_filename))

    def append_bytes(self, path: str, data: bytes) -> None:
        """Upload only ``data`` and compose it onto the existing object."""
        if not data:
            return
        if path not in self._known and not self.exists(path):
            self.put(path, data)
            self._count(path, len(data))
            return
        part = f"{path}.append-{uuid.uuid4().hex}"
        self.put(part, data)
        try:
            target = self.bucket.blob(path)
            self._call(target.compose, [self.bucket.blob(path), self.bucket.blob(part)])
        finally:
            self.delete_keys([part])
        self._known.add(path)
        self._count(path, len(data))

    def describe(self, path: str) -> str:
        """``gs://bucket/key``."""
        return f"gs://{self.bucket_name}/{path}"


class GoogleCloudStorageObserver(BucketObserver):
    """Store runs in the FileStorage layout inside a GCS bucket (see module docstring)."""

    VERSION = "GoogleCloudStorageObserver-0.1.0"

    def __init__(
        self,
        bucket: str,
        basedir: str | bytes | Path,
        resource_dir: str | bytes | Path | None = None,
        source_dir: str | bytes | Path | None = None,
        priority: int | None = 20,
    ) -> None:
        storage = _import_storage()
        if not isinstance(bucket, str) or not bucket.strip():
            raise ValueError(f"GCS bucket must be a non-empty name, got {bucket!r}")
        client = self._make_client(storage, bucket)
        self.bucket = bucket
        super().__init__(
            GCSBackend(client, bucket),
            basedir,
            resource_dir,
            source_dir,
            priority=20 if priority is None else priority,
        )

    @staticmethod
    def _make_client(storage: Any, bucket: str) -> Any:
        from google.auth.exceptions import DefaultCredentialsError

        try:
            client = storage.Client()
        except DefaultCredentialsError:
            where = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
            detail = (
                f"GOOGLE_APPLICATION_CREDENTIALS={where!r} is not a valid credentials file"
                if where
                else "set GOOGLE_APPLICATION_CREDENTIALS to a service account JSON file"
            )
            raise PermissionError(
                f"GoogleCloudStorageObserver found no Google credentials for bucket {bucket!r}: {detail}"
            ) from None
        # google-cloud-storage 3.x fetches a bucket's metadata in a thread of its own on
        # the first call naming it, for tracing attributes, tracing enabled or not: one
        # more request per bucket, retried for minutes when the endpoint is down.
        if getattr(client, "_bucket_metadata_cache", None) is not None:
            client._bucket_metadata_cache = None
        return client

    def prepare_bucket(self) -> None:
        """Check that the bucket exists (the observer does not create buckets)."""
        self.backend.ensure_bucket()

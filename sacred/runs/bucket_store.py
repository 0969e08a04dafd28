"""Read a FileStorage layout inside an S3 or Google Cloud Storage bucket (read-only).

``s3://BUCKET/PREFIX`` and ``gs://BUCKET/PREFIX`` name the stores the
:class:`~sacred.observers.S3Observer` and
:class:`~sacred.observers.GoogleCloudStorageObserver` write (ours and sacred
0.8.7's): ``PREFIX/<id>/run.json``, ``config.json``, ``metrics.json``,
``info.json``, ``cout.txt`` and artifacts, with ``PREFIX/_sources/`` and
``PREFIX/_resources/``. :class:`BucketStore` is a
:class:`~sacred.runs.file_store.FileStore` whose file reads go to the bucket
through the observers' own backends (``S3Backend``, ``GCSBackend``), so run
folders, the runs index (when one was copied there) and the metrics journal
are read exactly as from a local folder.

The store never writes: the index is not repaired, and no key is read outside
``PREFIX`` (names with ``..`` or a leading ``/`` are refused). boto3 and
google-cloud-storage are imported only when such a store is opened; the
endpoint, region and credentials come from the usual environment
(``AWS_ENDPOINT_URL``, ``AWS_DEFAULT_REGION``, ``STORAGE_EMULATOR_HOST``...).
Every failure of the bucket (unreachable endpoint, missing bucket, no
credentials) is one :class:`~sacred.runs.model.StoreError` line; the S3
client connects with a short timeout and few retries, so it comes quickly.
For GCS only the opening request is bounded (10 s, no retries); a later read
uses google-cloud-storage's default retry policy, so an endpoint that goes
away mid-listing is reported after its deadline (120 s).
"""

from __future__ import annotations

import io
import json
import posixpath
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sacred.observers.run_files._layout import (
    METRICS_JOURNAL,
    METRICS_JSON,
    RUN_JSON,
    RUNS_INDEX,
    read_metrics,
)
from sacred.runs.file_store import FileStore, _parse_index, last_lines, parse_json
from sacred.runs.model import FINAL_STATUSES, RunSummary, StoredFile, StoreError

__all__ = ["BucketStore", "open_bucket", "BUCKET_SCHEMES"]

BUCKET_SCHEMES = ("s3://", "gs://")
#: seconds the S3 client waits for a connection, and its attempts per request
S3_CONNECT_TIMEOUT = 3
S3_MAX_ATTEMPTS = 2
#: runs read from their folders at once by a listing (each read is a few requests)
PARALLEL_READS = 8
#: seconds the first GCS request (the check that the bucket answers) may take
GCS_CHECK_TIMEOUT = 10


def split_url(url: str) -> tuple[str, str, str]:
    """``(scheme, bucket, prefix)`` of ``s3://bucket/prefix``; StoreError for a malformed one."""
    scheme, _, rest = url.partition("://")
    bucket, _, prefix = rest.partition("/")
    parts = [p for p in prefix.split("/") if p]
    if not bucket:
        raise StoreError(f"cannot open {url}: it names no bucket; give {scheme}://BUCKET/PREFIX")
    if any(p in (".", "..") for p in parts) or "\\" in prefix:
        raise StoreError(f"cannot open {url}: the prefix may not hold '.' or '..' parts")
    return scheme.lower(), bucket, "/".join(parts)


def safe_name(name: str) -> str | None:
    """``name`` as a relative key (``/``-separated), None when it would leave its folder."""
    text = name.replace("\\", "/")
    if text.startswith("/") or not text.strip("/"):
        return None
    parts = [p for p in text.split("/") if p]
    if any(p in (".", "..") for p in parts):
        return None
    return "/".join(parts)


class BucketStore(FileStore):
    """A FileStorage layout under a key prefix of a bucket, opened for reading."""

    kind = "bucket"

    def __init__(self, backend: Any, url: str, prefix: str, errors: tuple[type[BaseException], ...] = (OSError,)) -> None:
        """Read the layout under ``prefix`` through ``backend`` (an observer's ObjectStoreBackend);
        ``errors`` are the exception types of its client library that mean the bucket failed."""
        # no FileStore.__init__: there is no local folder; the caches it sets are kept the same
        self.backend = backend
        self.errors = (OSError, *errors)
        self.url = url
        self.prefix = prefix
        self.basedir = url
        self.description = f"bucket store {url}"
        self.repair_index = False
        self._index_cache = None
        self._ids_cache = None
        self._checked = {}
        self._fresh: set[str] = set()  # runs read from their folder since the last check
        self._prefetched: dict[str, tuple[RunSummary, dict | None]] = {}
        self._check_store()

    # -- the bucket ------------------------------------------------------------------

    def _key(self, *parts: str) -> str:
        return posixpath.join(self.prefix, *parts) if self.prefix else posixpath.join(*parts)

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        """``fn(*args)``; every failure of the bucket becomes one StoreError line."""
        from sacred.masking import mask_text

        try:
            return fn(*args)
        except StoreError:
            raise
        except self.errors as exc:
            text = mask_text(" ".join(str(exc).split())) or type(exc).__name__
            for writer in ("S3Observer ", "GoogleCloudStorageObserver "):  # the backends' own wording
                text = text.removeprefix(writer)
            raise StoreError(f"cannot {what} {self.url}: {text}") from None

    def _get(self, key: str) -> bytes | None:
        return self._call("read", self.backend.get, key)

    def _check_store(self) -> None:
        """StoreError unless the prefix holds a FileStorage layout (run folders, an index or _sources)."""
        names = self._call("list", self.backend.list_dirs, self.prefix)
        if {"_sources", "_resources"} & set(names):
            return
        if self._call("list", self.backend.list_keys, self._key(RUNS_INDEX), 1):
            return
        runs = [n for n in names if not n.startswith(("_", "."))]
        for name in runs[:20]:
            if self._call("list", self.backend.list_keys, self._key(name, RUN_JSON), 1):
                return
        what = "nothing is stored under it" if not names else "no run folders with run.json, no runs index"
        raise StoreError(f"{self.url} is not a store ({what})")

    # -- FileStore's file access, over the bucket -------------------------------------

    def observer_target(self) -> tuple[str, str]:
        """Bucket stores are read-only here."""
        raise NotImplementedError(f"runs cannot be added to {self.description} (it is opened read-only)")

    def _json(self, run_id: str, name: str) -> tuple[Any, str | None]:
        return parse_json(name, self._get(self._key(run_id, name)))

    def _size(self, run_id: str, name: str) -> int | None:
        data = self._get(self._key(run_id, name))
        return None if data is None else len(data)

    def _read_bytes(self, run_id: str, name: str) -> bytes | None:
        return self._get(self._key(run_id, name))

    def _metrics_source(self, run_id: str) -> tuple[Any, str, bool]:
        folder = self._key(run_id)
        journal = self._call("list", self.backend.list_keys, self._key(run_id, METRICS_JOURNAL) + "/", 1)
        return _Reading(self), folder, bool(journal)

    def _final_metrics(self, run_id: str) -> dict:
        """The final metric values (``metrics.json`` is downloaded once, not sized first)."""
        from sacred.observers.run_files._layout import final_values
        from sacred.runs.file_store import LISTING_METRICS_LIMIT

        backend, folder, journal = self._metrics_source(run_id)
        try:
            if journal:
                metrics = read_metrics(backend, folder)
            else:
                data = self._read_bytes(run_id, METRICS_JSON)
                if not data or len(data) > LISTING_METRICS_LIMIT:
                    return {}
                metrics = json.loads(data)
        except ValueError:
            return {}
        return final_values(metrics) if isinstance(metrics, dict) else {}

    def _from_folder(self, run_id: str) -> tuple[RunSummary, dict | None]:
        read = self._prefetched.pop(run_id, None)
        summary, entry = read if read is not None else super()._from_folder(run_id)
        self._fresh.add(run_id)
        return summary, entry

    def _summaries(self, ids: Iterable[str], records: dict[str, Any], query: Any = None) -> list[RunSummary]:
        """FileStore's, with the runs that must be read from their folders read by
        :data:`PARALLEL_READS` threads first (a few requests each, waiting on the network)."""
        ids = list(ids)
        need = [run_id for run_id in ids if not _final_line(records.get(run_id))]
        if len(need) > 1:
            with ThreadPoolExecutor(min(PARALLEL_READS, len(need))) as pool:
                self._prefetched = dict(zip(need, pool.map(super()._from_folder, need), strict=True))
        try:
            return super()._summaries(ids, records, query)
        finally:
            self._prefetched = {}

    def checked(self, runs: list[RunSummary]) -> list[RunSummary]:
        """Like FileStore's, but runs just read from their folder are not read again."""
        fresh, self._fresh = self._fresh, set()
        kept = [run for run in runs if run.id in fresh]
        if len(kept) == len(runs):
            return list(runs)
        checked = iter(super().checked([run for run in runs if run.id not in fresh]))
        return [run if run.id in fresh else next(checked) for run in runs]

    def _is_run(self, run_id: str) -> bool:
        return bool(self._call("list", self.backend.list_keys, self._key(run_id) + "/", 1))

    def _stored(self, name: str, key: str, md5: str | None = None) -> StoredFile:
        def opener() -> io.BytesIO:
            data = self._get(key)
            if data is None:
                raise FileNotFoundError(f"{self.backend.describe(key)} does not exist")
            return io.BytesIO(data)

        return StoredFile(name, opener, None, md5)

    def _refused(self, name: str, why: str) -> StoredFile:
        def opener() -> io.BytesIO:
            raise PermissionError(f"refusing to open {name!r}: {why}")

        return StoredFile(name, opener, None, None)

    def _run_query(self, query: Any) -> list[RunSummary]:
        self._fresh = set()  # only runs read from their folder by this listing skip its check
        return super()._run_query(query)

    def _artifact(self, run_id: str, name: str) -> StoredFile:
        relative = safe_name(name)
        if relative is None:
            return self._refused(name, "the name leaves the run's folder")
        return self._stored(name, self._key(run_id, relative))

    def _referenced(self, name: str, stored: str, md5: str | None) -> StoredFile:
        # our observers store sources relative to PREFIX and resources as whole keys; both are accepted
        key = stored.replace("\\", "/")
        if self.prefix and key.startswith(self.prefix + "/"):
            key = key[len(self.prefix) + 1:]
        relative = safe_name(key)
        if relative is None:
            return self._refused(name, "it points outside the store")
        return self._stored(name, self._key(relative), md5)

    # -- listing and index -------------------------------------------------------------

    def ids(self) -> list[str]:
        """Run folder names under the prefix, in id order (listed on every call)."""
        from sacred.runs.query import id_order

        names = [n for n in self._call("list", self.backend.list_dirs, self.prefix)
                 if n and not n.startswith(("_", "."))]
        return sorted(names, key=int) if all(n.isdigit() for n in names) else sorted(names, key=id_order)

    def _index(self) -> bytes:
        data = self._get(self._key(RUNS_INDEX)) or b""
        return data[: data.rfind(b"\n") + 1]  # after the last newline: a line being written

    def _index_records(self) -> dict[str, Any]:
        records: dict[str, Any] = {}
        _parse_index(self._index(), records)
        return records

    def _tail_lines(self, wanted: set[str], chunk: int = 1 << 20) -> dict[str, bytes]:
        if not wanted:
            return {}
        data = self._index()
        return last_lines(io.BytesIO(data), wanted, chunk) if data else {}

    def _repair(self, records: list[dict]) -> None:
        """Never: the bucket is read-only here."""

    def _intact(self, run: Any) -> bool:
        entry, problem = self._json(run.id, RUN_JSON)
        return problem is None and isinstance(entry, dict) and entry.get("status") == run.stored_status


def _final_line(record: Any) -> bool:
    """Whether an index record gives a run's summary without reading its folder (see FileStore._from_line)."""
    return isinstance(record, dict) and bool(record.get("full")) and record.get("status") in FINAL_STATUSES


class _Reading:
    """The read half of a bucket backend for ``read_metrics`` (whose failures become StoreError)."""

    def __init__(self, store: BucketStore) -> None:
        self.store = store

    def join(self, *parts: str) -> str:
        """Keys joined with ``/``."""
        return posixpath.join(*parts)

    def read_bytes(self, key: str) -> bytes | None:
        """The object at ``key`` or None."""
        return self.store._get(key)

    def journal_read(self, key: str) -> bytes:
        """The metrics journal's records under ``key/`` in order."""
        return self.store._call("read", self.store.backend.journal_read, key)


def _s3_backend(bucket: str, url: str) -> tuple[Any, tuple]:
    from sacred.observers._backend_import import import_backend

    try:
        boto3 = import_backend("boto3", needed_by=f"reading {url}", extra="s3")
    except ImportError as exc:
        raise StoreError(str(exc).replace("sacred[s3]", "'sacred[s3]'")) from None
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    from sacred.observers.s3_observer import S3Backend, check_bucket_name

    try:
        check_bucket_name(bucket)
    except ValueError as exc:
        raise StoreError(f"cannot open {url}: {exc}") from None
    session = boto3.session.Session()
    config = Config(retries={"max_attempts": S3_MAX_ATTEMPTS, "mode": "standard"},
                    connect_timeout=S3_CONNECT_TIMEOUT, read_timeout=60, max_pool_connections=PARALLEL_READS)
    try:
        client = session.client("s3", region_name=session.region_name or "us-east-1", config=config)
    except (BotoCoreError, ValueError) as exc:  # a malformed endpoint or config file
        raise StoreError(f"cannot open {url}: {exc}") from None
    return S3Backend(client, bucket), (BotoCoreError, ClientError)


def _gcs_backend(bucket: str, url: str) -> tuple[Any, tuple]:
    from sacred.observers._backend_import import import_backend

    try:
        storage = import_backend("google.cloud.storage", needed_by=f"reading {url}", extra="gcs",
                                 packages=["google-cloud-storage"])
    except ImportError as exc:
        raise StoreError(str(exc).replace("sacred[gcs]", "'sacred[gcs]'")) from None
    from google.api_core.exceptions import GoogleAPIError
    from google.auth.exceptions import GoogleAuthError

    from sacred.observers.gcs_observer import GCSBackend, GoogleCloudStorageObserver

    try:
        client = GoogleCloudStorageObserver._make_client(storage, bucket)
        # one bounded request without retries first: an unreachable endpoint fails fast
        blobs = client.list_blobs(bucket, max_results=1, timeout=GCS_CHECK_TIMEOUT, retry=None)
        list(blobs)
    except (OSError, GoogleAPIError, GoogleAuthError) as exc:  # requests' errors are OSErrors
        from sacred.masking import mask_text

        text = mask_text(" ".join(str(exc).split())) or type(exc).__name__
        raise StoreError(f"cannot open {url}: {text}") from None
    return GCSBackend(client, bucket), (GoogleAPIError, GoogleAuthError)


def open_bucket(url: str) -> BucketStore:
    """The store at ``s3://BUCKET/PREFIX`` or ``gs://BUCKET/PREFIX`` (StoreError when it cannot open)."""
    scheme, bucket, prefix = split_url(url.strip())
    shown = f"{scheme}://{bucket}/{prefix}".rstrip("/")
    backend, errors = _s3_backend(bucket, shown) if scheme == "s3" else _gcs_backend(bucket, shown)
    return BucketStore(backend, shown, prefix, errors)

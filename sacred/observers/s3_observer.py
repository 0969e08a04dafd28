"""S3Observer: the FileStorage run layout inside an S3 bucket.

``S3Observer(bucket='my-bucket', basedir='/project/experiment/')`` (or
``-S s3://my-bucket/project/experiment``) writes
``s3://my-bucket/project/experiment/1/run.json`` etc., sources in
``.../_sources`` and resources in ``.../_resources``, exactly as
:mod:`sacred.observers.file_storage` does on disk. The bucket is created
when missing.

The region is ``region=`` or the one configured for boto3 (AWS config file,
``AWS_DEFAULT_REGION``); with neither, construction fails. The endpoint is
boto3's (``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` point it elsewhere,
e.g. at a local S3-compatible server).

S3 specifics: a run folder is claimed with a conditional put of its
``run.json`` (``If-None-Match: *``), so concurrent runs never share an id.
An object cannot be appended to, so ``cout.txt`` grows by rewriting it while
it is smaller than S3's 5 MiB minimum part size, and beyond that by a
multipart upload whose first part is a server-side copy of the existing
object: only the new output travels.
"""

from __future__ import annotations

import contextlib
import os
import re
from typing import Any

from sacred.masking import mask_text
from sacred.observers._backend_import import import_backend
from sacred.observers.run_files._bucket import BucketObserver
from sacred.observers.run_files._layout import ObjectStoreBackend

__all__ = ["S3Observer", "S3Backend"]

MIN_PART_SIZE = 5 * 1024 * 1024
# Error codes S3-compatible servers use for "no such object".
_MISSING_OBJECT_CODES = ("NoSuchKey", "404", "NotFound")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _import_boto3() -> Any:
    return import_backend("boto3", needed_by="S3Observer", extra="s3")


def check_bucket_name(bucket: Any) -> str:
    """Return ``bucket`` if it is a valid S3 bucket name, else raise a clear ValueError."""
    if not isinstance(bucket, str) or not _BUCKET_NAME.match(bucket) or ".." in bucket:
        raise ValueError(
            f"Invalid S3 bucket name {bucket!r}: use 3-63 characters of lowercase letters, "
            "digits, '.' and '-', starting and ending with a letter or digit"
        )
    return bucket


class S3Backend(ObjectStoreBackend):
    """Objects in one S3 bucket through a boto3 client."""

    def __init__(self, client: Any, bucket: str, min_part_size: int = MIN_PART_SIZE) -> None:
        super().__init__()
        self.client = client
        self.bucket = bucket
        self.min_part_size = min_part_size
        self._small: dict[str, bytes] = {}
        self._sizes: dict[str, int] = {}

    # -- errors -----------------------------------------------------------------

    def endpoint(self) -> str:
        """The endpoint URL, with any password masked."""
        return mask_text(str(getattr(self.client.meta, "endpoint_url", "")))

    def _unreachable(self, exc: Exception) -> ConnectionError:
        return ConnectionError(
            f"S3Observer cannot reach the S3 endpoint {self.endpoint()} for bucket "
            f"{self.bucket!r}: {mask_text(str(exc))}"
        )

    def _call(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import ConnectionError as BotoConnectionError
        from botocore.exceptions import NoCredentialsError

        try:
            return getattr(self.client, operation)(**kwargs)
        except BotoConnectionError as exc:
            raise self._unreachable(exc) from None
        except NoCredentialsError:
            raise PermissionError(
                f"S3Observer found no AWS credentials for bucket {self.bucket!r}; run "
                "'aws configure' or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ) from None

    @staticmethod
    def _code(exc: Exception) -> str:
        return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))

    # -- bucket -----------------------------------------------------------------

    def ensure_bucket(self, region: str) -> None:
        """Create the bucket if it does not exist."""
        from botocore.exceptions import ClientError

        try:
            self._call("head_bucket", Bucket=self.bucket)
            return
        except ClientError as exc:
            if self._code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise PermissionError(
                    f"S3 bucket {self.bucket!r} at {self.endpoint()} is not accessible: "
                    f"{self._code(exc) or exc}"
                ) from None
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self._call("create_bucket", **kwargs)
        except ClientError as exc:
            if self._code(exc) not in ("BucketAlreadyOwnedByYou",):
                raise

    # -- primitives ---------------------------------------------------------------

    def put(self, key: str, data: bytes, if_absent: bool = False) -> bool:
        """``put_object``; with ``if_absent`` a conditional put."""
        from botocore.exceptions import ClientError

        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": data}
        if if_absent:
            kwargs["IfNoneMatch"] = "*"
        try:
            self._call("put_object", **kwargs)
        except ClientError as exc:
            if if_absent and self._code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return False
            raise
        self._remember(key, data)
        return True

    def _remember(self, key: str, data: bytes) -> None:
        self._sizes[key] = len(data)
        if len(data) < self.min_part_size:
            self._small[key] = data
        else:
            self._small.pop(key, None)

    def get(self, key: str) -> bytes | None:
        """``get_object`` or None."""
        from botocore.exceptions import ClientError

        try:
            return self._call("get_object", Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if self._code(exc) in _MISSING_OBJECT_CODES:
                return None
            raise

    def exists(self, path: str) -> bool:
        """``head_object``."""
        from botocore.exceptions import ClientError

        try:
            self._call("head_object", Bucket=self.bucket, Key=path)
            return True
        except ClientError as exc:
            if self._code(exc) in _MISSING_OBJECT_CODES:
                return False
            raise

    def list_prefixes(self, prefix: str) -> list[str]:
        """Common prefixes under ``prefix`` (paginated)."""
        found: list[str] = []
        token = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "Delimiter": "/"}
            if token:
                kwargs["ContinuationToken"] = token
            page = self._call("list_objects_v2", **kwargs)
            found.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return found

    def list_keys(self, prefix: str, limit: int | None = None) -> list[str]:
        """Keys under ``prefix`` (paginated, at most ``limit``)."""
        found: list[str] = []
        token = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
            if limit:
                kwargs["MaxKeys"] = limit
            if token:
                kwargs["ContinuationToken"] = token
            page = self._call("list_objects_v2", **kwargs)
            found.extend(o["Key"] for o in page.get("Contents", []))
            if limit and len(found) >= limit:
                return found[:limit]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return found

    def delete_keys(self, keys: list[str]) -> None:
        """``delete_objects`` in batches of 1000."""
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start:start + 1000]]
            self._call("delete_objects", Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        for key in keys:
            self._small.pop(key, None)
            self._sizes.pop(key, None)

    def upload_file(self, local_filename: str, path: str) -> None:
        """Upload a local file (multipart for big files)."""
        from botocore.exceptions import ConnectionError as BotoConnectionError

        try:
            self.client.upload_file(local_filename, self.bucket, path)
        except BotoConnectionError as exc:
            raise self._unreachable(exc) from None
        self._small.pop(path, None)
        self._sizes.pop(path, None)
        self._count(path, os.path.getsize(local_filename))

    def append_bytes(self, path: str, data: bytes) -> None:
        """Rewrite small objects; extend big ones by a server-side copy plus the new part."""
        if not data:
            return
        size = self._sizes.get(path)
        if size is None:
            current = self.get(path) or b""
            self._remember(path, current)
            size = len(current)
        if size < self.min_part_size:
            new = self._small.get(path, b"") + data
            self.put(path, new)
            self._count(path, len(new))
            return
        self._append_multipart(path, data)
        self._sizes[path] = size + len(data)
        self._count(path, len(data))

    def _append_multipart(self, key: str, data: bytes) -> None:
        upload = self._call("create_multipart_upload", Bucket=self.bucket, Key=key)
        upload_id = upload["UploadId"]
        try:
            first = self._call(
                "upload_part_copy",
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=1,
                CopySource={"Bucket": self.bucket, "Key": key},
            )
            second = self._call(
                "upload_part", Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=data
            )
            self._call(
                "complete_multipart_upload",
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [
                        {"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]},
                        {"PartNumber": 2, "ETag": second["ETag"]},
                    ]
                },
            )
        except BaseException:
            with contextlib.suppress(Exception):
                self._call("abort_multipart_upload", Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise

    def describe(self, path: str) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{path}"


class S3Observer(BucketObserver):
    """Store runs in the FileStorage layout inside an S3 bucket (see module docstring)."""

    VERSION = "S3Observer-0.1.0"

    @classmethod
    def from_cli_arg(cls, arg: str) -> S3Observer:
        """Build from ``s3://bucket/path/to/experiment`` (the ``-S`` flag's value)."""
        text = str(arg).strip()
        if not text.startswith("s3://"):
            raise ValueError(
                f"S3 location {arg!r} must look like s3://<bucket>/path/to/experiment"
            )
        bucket, _, basedir = text[len("s3://"):].partition("/")
        if not bucket:
            raise ValueError(
                f"S3 location {arg!r} names no bucket; use s3://<bucket>/path/to/experiment"
            )
        return cls(bucket=bucket, basedir=basedir)

    def __init__(
        self,
        bucket: str,
        basedir: str,
        resource_dir: str | None = None,
        source_dir: str | None = None,
        priority: int = 20,
        region: str | None = None,
    ) -> None:
        boto3 = _import_boto3()
        from botocore.config import Config

        check_bucket_name(bucket)
        session = boto3.session.Session()
        self.region = region or session.region_name
        if not self.region:
            raise ValueError(
                f"S3Observer for bucket {bucket!r} needs a region: pass region='eu-west-1' "
                "(for example), or configure one with 'aws configure' or AWS_DEFAULT_REGION"
            )
        client = session.client(
            "s3",
            region_name=self.region,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10),
        )
        self.bucket = bucket
        super().__init__(S3Backend(client, bucket), basedir, resource_dir, source_dir, priority)

    def prepare_bucket(self) -> None:
        """Create the bucket in the observer's region if it does not exist."""
        self.backend.ensure_bucket(self.region)

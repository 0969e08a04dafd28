"""s3:// and gs:// stores written by our bucket observers, read back through open_store and the commands.

S3 runs against the real moto server (tests/fixtures/moto_server.py), GCS
against the real gcp-storage-emulator (tests/fixtures/gcs_emulator.py). The
same questions every other store kind answers (tests/runs/test_stores.py and
the ``runs``/``show``/``compare`` command tests) are asked of each bucket.
"""

from __future__ import annotations

import json
import posixpath
import threading
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred.runs import RunNotFound, StoreError, open_store
from tests.fixtures.moto_server import free_port
from tests.fixtures.run_stores import StoreUnderTest, play_runs
from tests.runs import test_stores as shared
from tests.sacred_runner.tools import test_compare, test_runs, test_show
from tests.sacred_runner.tools.helpers import sacred

PREFIX = "proj/exp"


@pytest.fixture
def bucket_name() -> str:
    return f"sacred-read-{uuid.uuid4().hex[:12]}"


class Bucket:
    """Raw access to the test bucket (to look at or plant objects behind the store's back)."""

    def __init__(self, scheme: str, name: str) -> None:
        self.scheme, self.name = scheme, name
        if scheme == "s3":
            import boto3

            self.s3 = boto3.client("s3", region_name="eu-west-1")
        else:
            from google.cloud import storage

            self.gcs = storage.Client(project="test")

    def url(self, prefix: str = PREFIX) -> str:
        return f"{self.scheme}://{self.name}/{prefix}"

    def create(self) -> None:
        if self.scheme == "s3":
            self.s3.create_bucket(Bucket=self.name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        else:
            self.gcs.create_bucket(self.name)

    def put(self, key: str, data: bytes) -> None:
        if self.scheme == "s3":
            self.s3.put_object(Bucket=self.name, Key=key, Body=data)
        else:
            self.gcs.bucket(self.name).blob(key).upload_from_string(data)

    def objects(self) -> dict[str, bytes]:
        """Every key with its content."""
        if self.scheme == "s3":
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.name)
            keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
            return {k: self.s3.get_object(Bucket=self.name, Key=k)["Body"].read() for k in keys}
        return {b.name: b.download_as_bytes() for b in self.gcs.list_blobs(self.name)}


def _observer(scheme: str, bucket: str, basedir: str = PREFIX):
    if scheme == "s3":
        from sacred.observers import S3Observer

        return S3Observer(bucket=bucket, basedir=basedir)
    from sacred.observers import GoogleCloudStorageObserver

    return GoogleCloudStorageObserver(bucket=bucket, basedir=basedir)


@pytest.fixture(params=["s3", "gs"])
def scheme(request) -> str:
    """Each bucket kind, its server running and the environment pointing at it."""
    request.getfixturevalue("s3_env" if request.param == "s3" else "gcs_bucket_env")
    return request.param


@pytest.fixture
def bucket(scheme, bucket_name) -> Bucket:
    made = Bucket(scheme, bucket_name)
    if scheme == "gs":
        made.create()  # the GCS observer does not create buckets
    return made


@pytest.fixture
def played(bucket, tmp_path) -> StoreUnderTest:
    """The five runs of tests/fixtures/peer_experiment.py, written into the bucket by our observer."""
    runs = play_runs(_observer(bucket.scheme, bucket.name), tmp_path / "work")
    return StoreUnderTest(f"bucket-{bucket.scheme}", bucket.url(), runs, peer=False)


def test_same_answers_as_every_store(played) -> None:
    shared.test_listing_and_filters(played)
    shared.test_records(played)
    shared.test_unknown_id(played)


def test_commands_runs_show_compare(played) -> None:
    test_runs.test_table_on_every_store(played)
    test_runs.test_filter_sort_columns_json(played)
    test_show.test_show_on_every_store(played)
    test_show.test_show_failed_run_has_its_trace(played)
    test_compare.test_compare_on_every_store(played)


def test_web_view(played) -> None:
    pytest.importorskip("starlette")
    from tests.sacred_runner.ui import test_app

    test_app.test_every_store_kind_is_shown(played)


def test_reading_never_writes(played, bucket) -> None:
    before = bucket.objects()
    with open_store(played.spec) as store:
        for run in store.query():
            record = store.get(run.id)
            record.captured_out()
            [metric.values for metric in map(record.metric, record.metric_names())]
            [f.read() for f in record.artifacts() + record.sources()]
    assert sacred("runs", "--store", played.spec).ret == 0
    assert bucket.objects() == before  # no runs index "repaired" into the bucket, nothing else either


def test_a_running_run_shows_its_journal_metrics(bucket, tmp_path) -> None:
    from tests.observers.layout_helpers import points, start

    observer = _observer(bucket.scheme, bucket.name)
    start(observer, str(tmp_path / "src"))
    observer.log_metrics(points("acc", 0, 3), {})
    observer.log_metrics(points("acc", 3, 2), {})
    with open_store(bucket.url()) as store:
        [run] = store.query()
        assert run.status in ("RUNNING", "PROBABLY_DEAD") and run.final_metrics["acc"] == 2.0
        assert store.get(run.id).metric("acc").steps == [0, 1, 2, 3, 4]


def test_a_bucket_run_gets_metrics_json_with_its_points_and_a_short_run_no_journal(bucket, tmp_path) -> None:
    """No placeholder metrics.json while running (readers: no metrics yet); one delivery at the end
    writes metrics.json and no journal object; a run without points ends with ``{}``."""
    from tests.observers.layout_helpers import points, start, utcnow

    observer = _observer(bucket.scheme, bucket.name)
    start(observer, str(tmp_path / "src"))
    observer.heartbeat_event({}, "working\n", utcnow(), None)
    run_keys = sorted(k for k in bucket.objects() if k.startswith(f"{PREFIX}/1/"))
    assert run_keys == [f"{PREFIX}/1/{name}" for name in ("config.json", "cout.txt", "run.json")]
    with open_store(bucket.url()) as store:
        record = store.get("1")
        assert record.metric_names() == [] and record.metrics_error() is None
        assert [r.final_metrics for r in store.query()] == [{}]
    assert "BROKEN" not in sacred("show", "1", "--store", bucket.url()).out
    observer.log_metrics(points("acc", 0, 3), {})
    observer.completed_event(utcnow(), None)
    start(observer, str(tmp_path / "src"))  # run 2: no points, fails
    observer.failed_event(utcnow(), ["Traceback\n", "ValueError: boom\n"])
    stored = bucket.objects()
    assert not [k for k in stored if ".metrics.journal" in k]
    assert json.loads(stored[f"{PREFIX}/1/metrics.json"])["acc"]["steps"] == [0, 1, 2]
    assert stored[f"{PREFIX}/2/metrics.json"] == b"{}"


def test_a_copied_file_storage_with_its_index(bucket, tmp_path) -> None:
    """A local FileStorage folder synced into the bucket: its runs index is used, and a stale line loses."""
    from sacred.observers import FileStorageObserver

    folder = tmp_path / "runs"
    play_runs(FileStorageObserver(str(folder)), tmp_path / "work")
    if bucket.scheme == "s3":
        bucket.create()
    index = (folder / "runs.index.jsonl").read_bytes()
    assert index.count(b"\n") >= 5
    for path in folder.rglob("*"):
        if path.is_file():
            bucket.put(f"{PREFIX}/{path.relative_to(folder).as_posix()}", path.read_bytes())
    run_json = json.loads((folder / "1" / "run.json").read_bytes())
    run_json["status"] = "INTERRUPTED"  # changed after its index line was written (here and in the bucket)
    (folder / "1" / "run.json").write_text(json.dumps(run_json))
    bucket.put(f"{PREFIX}/1/run.json", json.dumps(run_json).encode())
    with open_store(folder, repair_index=False) as local, open_store(bucket.url()) as remote:
        mine = {r.id: (r.status, r.config, r.final_metrics, r.result) for r in remote.query()}
        theirs = {r.id: (r.status, r.config, r.final_metrics, r.result) for r in local.query()}
        assert mine == theirs and mine["1"][0] == "INTERRUPTED"
        assert [r.id for r in remote.query(sort="config.lr", limit=2)] == \
            [r.id for r in local.query(sort="config.lr", limit=2)]
        assert remote.get("2").sources()[0].read() == local.get("2").sources()[0].read()


def test_names_cannot_leave_the_prefix(bucket, tmp_path) -> None:
    if bucket.scheme == "s3":
        bucket.create()
    bucket.put("secret.txt", b"top secret")
    if bucket.scheme == "s3":  # the GCS emulator drops the connection on such a key
        bucket.put(f"{PREFIX}/../secret.txt", b"a key with dots")
    entry = {"status": "COMPLETED", "artifacts": ["../../secret.txt", "/secret.txt", "ok.txt"],
             "experiment": {"name": "x", "sources": [["a.py", "../../secret.txt"], ["b.py", "/etc/passwd"]]},
             "resources": [["r", f"{PREFIX}/../secret.txt"]]}
    bucket.put(f"{PREFIX}/1/run.json", json.dumps(entry).encode())
    bucket.put(f"{PREFIX}/1/ok.txt", b"fine")
    with open_store(bucket.url()) as store:
        record = store.get("1")
        bad, absolute, good = record.artifacts()
        assert good.read() == b"fine"
        for stored in (bad, absolute, *record.sources(), *record.resources()):
            with pytest.raises(PermissionError, match="refusing to open"):
                stored.read()
        for wanted in ("..", "../secret.txt", "_sources", "1/../1"):
            with pytest.raises(RunNotFound):
                store.get(wanted)


def test_bad_stores_are_one_clear_error(bucket, monkeypatch) -> None:
    with pytest.raises(StoreError, match=r"s3://BUCKET/PREFIX|gs://BUCKET/PREFIX|names no bucket"):
        open_store(f"{bucket.scheme}://")
    with pytest.raises(StoreError, match=r"'\.\.'"):
        open_store(f"{bucket.scheme}://{bucket.name}/a/../b")
    missing = open_store_error(f"{bucket.scheme}://{bucket.name}-missing/p")
    assert f"{bucket.name}-missing" in missing and "\n" not in missing
    if bucket.scheme == "s3":
        assert "NoSuchBucket" in missing
        bucket.create()
    bucket.put("elsewhere/1/run.json", b"{}")
    assert "not a store (nothing is stored under it)" in open_store_error(bucket.url("empty"))
    bucket.put("junk/folder/file.txt", b"1")
    assert "not a store (no run folders" in open_store_error(bucket.url("junk"))
    result = sacred("runs", "--store", bucket.url("empty"))
    assert result.ret == 4 and result.err.count("\n") == 1 and "not a store" in result.err


def open_store_error(spec: str) -> str:
    with pytest.raises(StoreError) as error:
        open_store(spec)
    return str(error.value)


def test_unreachable_endpoint_is_one_error_line(scheme, monkeypatch) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL" if scheme == "s3" else "STORAGE_EMULATOR_HOST", dead)
    threads_before = set(threading.enumerate())
    message = open_store_error(f"{scheme}://some-bucket/p")
    # nothing goes on retrying the dead endpoint in the background (google-cloud-storage
    # 3.x fetched bucket metadata in a thread of its own, with minutes of retries)
    left = [t.name for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert left == []
    assert "\n" not in message and f"{scheme}://some-bucket/p" in message
    assert "127.0.0.1" in message
    result = sacred("show", "1", "--store", f"{scheme}://some-bucket/p")
    assert result.ret == 4 and result.err.count("\n") == 1 and "cannot" in result.err


def test_missing_client_library_names_the_extra(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "boto3", None)
    monkeypatch.setitem(sys.modules, "google.cloud.storage", None)
    assert "pip install 'sacred[s3]'" in open_store_error("s3://bucket/p")
    assert "pip install 'sacred[gcs]'" in open_store_error("gs://bucket/p")


def test_docs_list_bucket_stores() -> None:
    from sacred.runs.opening import ACCEPTED

    assert "s3://BUCKET/PREFIX" in ACCEPTED and "gs://BUCKET/PREFIX" in ACCEPTED
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "s3://BUCKET/PREFIX" in readme


def test_a_bucket_failing_after_opening_is_one_error_line(played, bucket) -> None:
    store = open_store(played.spec)
    gone = f"{bucket.name}-gone"
    if bucket.scheme == "s3":
        store.backend.bucket = gone
    else:
        store.backend.bucket_name, store.backend.bucket = gone, store.backend.client.bucket(gone)
    with pytest.raises(StoreError) as error:
        store.query()
    message = str(error.value)
    assert message.startswith(f"cannot list {played.spec}: ") and "\n" not in message
    with pytest.raises(StoreError, match=f"cannot (list|read) {played.spec}: "):
        store.get("1")


def test_a_malformed_s3_endpoint_is_one_error_line(s3_env, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "not-a-url")
    assert open_store_error("s3://some-bucket/p") == "cannot open s3://some-bucket/p: Invalid endpoint: not-a-url"
    assert "Invalid S3 bucket name" in open_store_error("s3://UPPER_case/p")


@given(st.text(alphabet="ab./\\_", max_size=20))
def test_safe_names_never_leave_their_folder(name) -> None:
    from sacred.runs.bucket_store import safe_name

    key = safe_name(name)
    if key is not None:
        parts = key.split("/")
        assert all(part not in ("", ".", "..") for part in parts) and "\\" not in key
        assert posixpath.normpath("root/" + key).startswith("root/")
    elif name.replace("\\", "/").strip("/") and not name.replace("\\", "/").startswith("/"):
        assert {".", ".."} & set(name.replace("\\", "/").split("/"))


@given(st.text(alphabet="ab./", max_size=20))
def test_bucket_url_prefixes_stay_inside(prefix) -> None:
    from sacred.runs.bucket_store import split_url

    try:
        _, bucket, parsed = split_url(f"s3://bkt/{prefix}")
    except StoreError as error:
        assert "'..'" in str(error)
        return
    assert bucket == "bkt" and ".." not in parsed.split("/") and not parsed.startswith("/")

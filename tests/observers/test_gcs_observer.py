"""GoogleCloudStorageObserver against a real gcp-storage-emulator on a free loopback port."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest
from layout_helpers import make_ex_info, play_first_run, points, queue, start, utcnow

from sacred.observers.gcs_observer import GoogleCloudStorageObserver
from sacred.observers.run_files._layout import read_metrics
from tests.fixtures.moto_server import free_port


@pytest.fixture(autouse=True)
def _no_metadata_server(monkeypatch):
    """google.auth must never probe the (non-loopback) GCE metadata server from tests."""
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")


@pytest.fixture
def gcs_env(gcs_emulator, monkeypatch):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    return gcs_emulator


@pytest.fixture
def client(gcs_env):
    from google.cloud import storage

    return storage.Client(project="test")


@pytest.fixture
def bucket(client) -> str:
    name = f"sacred-test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(name)
    return name


def keys(client, bucket: str) -> list[str]:
    return sorted(b.name for b in client.list_blobs(bucket))


def get_bytes(client, bucket: str, key: str) -> bytes:
    return client.bucket(bucket).blob(key).download_as_bytes()


def test_runs_follow_the_file_storage_layout_in_the_bucket(client, bucket, tmp_path):
    obs = GoogleCloudStorageObserver(bucket=bucket, basedir="/experiment-name/")
    assert obs.priority == 20
    src = play_first_run(obs, tmp_path, "plots/model.bin")
    assert start(obs, src) == 2
    obs.interrupted_event(utcnow(), "INTERRUPTED")

    md5 = make_ex_info(src)["sources"][0][1]
    found = keys(client, bucket)
    assert [k for k in found if k.startswith("experiment-name/1/")] == [
        "experiment-name/1/config.json",
        "experiment-name/1/cout.txt",
        "experiment-name/1/info.json",
        "experiment-name/1/metrics.json",
        "experiment-name/1/plots/model.bin",
        "experiment-name/1/run.json",
    ]
    assert f"experiment-name/_sources/exp_{md5}.py" in found
    entry = json.loads(get_bytes(client, bucket, "experiment-name/1/run.json"))
    assert entry["status"] == "COMPLETED" and entry["artifacts"] == ["plots/model.bin"]
    assert entry["resources"][0][1].startswith("experiment-name/_resources/res_")
    assert get_bytes(client, bucket, "experiment-name/1/cout.txt") == b"hello world"
    metrics = json.loads(get_bytes(client, bucket, "experiment-name/1/metrics.json"))
    assert metrics["loss"]["steps"] == [0, 1, 2]
    second = json.loads(get_bytes(client, bucket, "experiment-name/2/run.json"))
    assert second["status"] == "INTERRUPTED"


def test_folders_may_be_given_as_bytes_or_paths(client, bucket, tmp_path):
    obs = GoogleCloudStorageObserver(bucket=bucket, basedir=Path("/path-exp/"), source_dir=b"src")
    start(obs, str(tmp_path / "src"))
    found = keys(client, bucket)
    assert "path-exp/1/run.json" in found
    assert [k for k in found if k.startswith("src/exp_")]


def test_output_is_appended_by_compose(client, bucket, tmp_path):
    obs = GoogleCloudStorageObserver(bucket=bucket, basedir="exp")
    start(obs, str(tmp_path / "src"))
    out = ""
    for beat in range(20):
        out += f"beat {beat}\n"
        obs.heartbeat_event({}, out, utcnow(), None)
    assert obs.backend.bytes_written["cout.txt"] == len(out)
    assert get_bytes(client, bucket, "exp/1/cout.txt").decode() == out
    assert not [k for k in keys(client, bucket) if ".append-" in k]


def test_queued_run_given_id_and_journal(client, bucket, tmp_path):
    src = str(tmp_path / "src")
    obs = GoogleCloudStorageObserver(bucket=bucket, basedir="exp")
    assert queue(obs, src) == 1
    assert json.loads(get_bytes(client, bucket, "exp/1/run.json"))["status"] == "QUEUED"
    assert start(obs, src, _id="9") == "9"
    with pytest.raises(FileExistsError, match="gs://.*exp/9"):
        GoogleCloudStorageObserver(bucket=bucket, basedir="exp").started_event(
            make_ex_info(src), "main", {}, utcnow(), {}, {}, "9"
        )
    for beat in range(5):
        obs.log_metrics(points("m", beat, 1), {})
    assert read_metrics(obs.backend, "exp/9")["m"]["steps"] == [0, 1, 2, 3, 4]
    obs.completed_event(utcnow(), None)
    assert not [k for k in keys(client, bucket) if ".metrics.journal" in k]
    assert start(obs, src) == 10


def test_missing_bucket_is_a_clear_error(gcs_env, tmp_path):
    obs = GoogleCloudStorageObserver(bucket="no-such-bucket-here", basedir="exp")
    with pytest.raises(ValueError, match="'no-such-bucket-here' does not exist.*create it first"):
        start(obs, str(tmp_path / "src"))


def test_unreachable_endpoint_names_bucket_and_masks_credentials(monkeypatch, tmp_path):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://u:hunter2@127.0.0.1:{free_port()}")
    obs = GoogleCloudStorageObserver(bucket="some-bucket", basedir="exp")
    with pytest.raises(ConnectionError) as info:
        start(obs, str(tmp_path / "src"))
    assert "some-bucket" in str(info.value) and "hunter2" not in str(info.value)


def test_missing_credentials_name_the_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    with pytest.raises(PermissionError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        GoogleCloudStorageObserver(bucket="b", basedir="exp")


def test_missing_client_names_the_extra(monkeypatch):
    import google.cloud

    monkeypatch.setitem(sys.modules, "google.cloud.storage", None)
    monkeypatch.delattr(google.cloud, "storage", raising=False)
    with pytest.raises(ImportError, match=r"pip install sacred\[gcs\]"):
        GoogleCloudStorageObserver(bucket="b", basedir="exp")


def test_experiment_with_gcs_observer_end_to_end(client, bucket, tmp_path):
    import os

    from layout_helpers import check_e2e_runs, run_e2e, write_e2e_experiment

    folder = tmp_path / "proj"
    setup = (
        "from sacred.observers import GoogleCloudStorageObserver\n"
        f"ex.observers.append(GoogleCloudStorageObserver(bucket={bucket!r}, basedir='/exp/'))\n"
    )
    write_e2e_experiment(folder, setup)
    assert run_e2e(folder, env=dict(os.environ)).returncode == 0
    failed = run_e2e(folder, "with", "fail=True", env=dict(os.environ))
    assert failed.returncode != 0 and "boom" in failed.stderr
    check_e2e_runs(
        lambda p: json.loads(get_bytes(client, bucket, p)),
        lambda p: get_bytes(client, bucket, p),
        "exp/",
    )

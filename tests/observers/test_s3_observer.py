"""S3Observer against a real moto S3 server (tests/fixtures/moto_server.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from layout_helpers import make_ex_info, play_first_run, points, queue, start, utcnow

from sacred.observers.run_files._layout import read_metrics
from sacred.observers.s3_observer import S3Observer

REPO_ROOT = Path(__file__).resolve().parents[2]
HELPERS_DIR = Path(__file__).resolve().parent


@pytest.fixture
def bucket() -> str:
    return f"sacred-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def s3(s3_env):
    import boto3

    return boto3.client("s3", region_name="eu-west-1")


def keys(s3, bucket: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def get_json(s3, bucket: str, key: str):
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def get_text(s3, bucket: str, key: str) -> str:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def test_runs_follow_the_file_storage_layout_in_the_bucket(s3, bucket, tmp_path):
    obs = S3Observer(bucket=bucket, basedir="/my-project/my-exp/")
    assert obs.priority == 20
    src = play_first_run(obs, tmp_path, "model.bin")
    assert start(obs, src) == 2
    obs.failed_event(utcnow(), ["Traceback\n", "ValueError: x\n"])

    md5 = make_ex_info(src)["sources"][0][1]
    found = keys(s3, bucket)
    run1 = [k for k in found if k.startswith("my-project/my-exp/1/")]
    assert run1 == [
        "my-project/my-exp/1/config.json",
        "my-project/my-exp/1/cout.txt",
        "my-project/my-exp/1/info.json",
        "my-project/my-exp/1/metrics.json",
        "my-project/my-exp/1/model.bin",
        "my-project/my-exp/1/run.json",
    ]
    assert f"my-project/my-exp/_sources/exp_{md5}.py" in found
    assert len([k for k in found if "/_resources/" in k]) == 1
    entry = get_json(s3, bucket, "my-project/my-exp/1/run.json")
    assert entry["status"] == "COMPLETED" and entry["result"] == {"acc": 1.0}
    assert entry["experiment"]["sources"] == [["exp.py", f"_sources/exp_{md5}.py"]]
    [[original, stored]] = entry["resources"]
    assert original == str(tmp_path / "res.txt") and stored.startswith("my-project/my-exp/_resources/res_")
    assert entry["artifacts"] == ["model.bin"]
    assert get_text(s3, bucket, "my-project/my-exp/1/cout.txt") == "hello world"
    assert get_json(s3, bucket, "my-project/my-exp/1/metrics.json")["loss"]["steps"] == [0, 1, 2]
    assert get_json(s3, bucket, "my-project/my-exp/2/run.json")["status"] == "FAILED"


def test_region_of_a_created_bucket(s3, bucket, tmp_path):
    obs = S3Observer(bucket=bucket, basedir="exp", region="eu-central-1")
    start(obs, str(tmp_path / "src"))
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == "eu-central-1"


def test_folders_may_be_given_as_bytes_or_paths(s3, bucket, tmp_path):
    data = tmp_path / "res.txt"
    data.write_text("resource")
    obs = S3Observer(
        bucket=bucket, basedir=b"bytes-exp", resource_dir=Path("/shared/res/"), source_dir=b"src"
    )
    start(obs, str(tmp_path / "src"))
    obs.resource_event(str(data))
    found = keys(s3, bucket)
    assert "bytes-exp/1/run.json" in found
    assert [k for k in found if k.startswith("shared/res/res_")]
    assert [k for k in found if k.startswith("src/exp_")]


def test_queued_run_and_given_id(s3, bucket, tmp_path):
    src = str(tmp_path / "src")
    obs = S3Observer(bucket=bucket, basedir="exp")
    assert queue(obs, src) == 1
    assert get_json(s3, bucket, "exp/1/run.json")["status"] == "QUEUED"
    assert get_text(s3, bucket, "exp/1/exp.py") == "print('hello')\n"
    assert start(obs, src, _id="77") == "77"
    assert start(obs, src) == 78
    with pytest.raises(FileExistsError, match="s3://.*exp/77"):
        start(obs, src, _id="77")


def test_metrics_journal_objects_hold_points_until_the_end(s3, bucket, tmp_path):
    obs = S3Observer(bucket=bucket, basedir="exp")
    start(obs, str(tmp_path / "src"))
    for beat in range(6):
        obs.log_metrics(points("acc", beat * 2, 2), {})
    assert any(".metrics.journal/" in k for k in keys(s3, bucket))
    assert read_metrics(obs.backend, "exp/1")["acc"]["steps"] == list(range(12))
    obs.completed_event(utcnow(), None)
    assert not any(".metrics.journal" in k for k in keys(s3, bucket))
    assert get_json(s3, bucket, "exp/1/metrics.json")["acc"]["steps"] == list(range(12))


def test_big_output_is_extended_by_server_side_copy(s3, bucket, tmp_path):
    obs = S3Observer(bucket=bucket, basedir="exp")
    start(obs, str(tmp_path / "src"))
    big = "x" * (5 * 1024 * 1024 + 10)
    obs.heartbeat_event({}, big, utcnow(), None)
    before = obs.backend.bytes_written["cout.txt"]
    obs.heartbeat_event({}, big + "tail one\n", utcnow(), None)
    obs.heartbeat_event({}, big + "tail one\ntail two\n", utcnow(), None)
    sent = obs.backend.bytes_written["cout.txt"] - before
    assert sent == len("tail one\ntail two\n")  # only the new output travelled
    assert get_text(s3, bucket, "exp/1/cout.txt") == big + "tail one\ntail two\n"


WORKER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{repo!r}, {helpers!r}]
    from layout_helpers import start, utcnow
    from sacred.observers.s3_observer import S3Observer
    worker, count, bucket, src = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    obs = S3Observer(bucket=bucket, basedir="shared")
    for i in range(count):
        start(obs, src, config={{"worker": worker, "i": i}})
        obs.completed_event(utcnow(), [worker, i])
    """
)


def test_concurrent_processes_get_distinct_runs(s3, bucket, tmp_path):
    src = str(tmp_path / "src")
    make_ex_info(src)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(repo=str(REPO_ROOT), helpers=str(HELPERS_DIR)))
    procs = [
        subprocess.Popen([sys.executable, str(script), str(w), "8", bucket, src]) for w in range(4)
    ]
    for proc in procs:
        assert proc.wait(timeout=240) == 0
    run_jsons = [k for k in keys(s3, bucket) if k.endswith("/run.json")]
    assert sorted(int(k.split("/")[1]) for k in run_jsons) == list(range(1, 33))
    results = {tuple(get_json(s3, bucket, k)["result"]) for k in run_jsons}
    assert results == {(w, i) for w in range(4) for i in range(8)}


def test_from_cli_arg(s3_env):
    obs = S3Observer.from_cli_arg("s3://my-bucket/path/to/exp")
    assert obs.bucket == "my-bucket"
    assert obs.basedir == "path/to/exp"
    assert obs.resource_dir == "path/to/exp/_resources"
    for bad in ("my-bucket/path", "s3:///path", "gs://b/p"):
        with pytest.raises(ValueError, match="s3://<bucket>"):
            S3Observer.from_cli_arg(bad)


def test_missing_region_is_an_error_at_construction(s3_env, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(ValueError, match="needs a region"):
        S3Observer(bucket="some-bucket", basedir="exp")


def test_invalid_bucket_name_is_refused(s3_env):
    with pytest.raises(ValueError, match="Invalid S3 bucket name 'Bad_Bucket'"):
        S3Observer(bucket="Bad_Bucket", basedir="exp")


def test_unreachable_endpoint_names_bucket_and_masks_credentials(s3_env, monkeypatch, tmp_path):
    from tests.fixtures.moto_server import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://user:hunter2@127.0.0.1:{free_port()}")
    obs = S3Observer(bucket="unreachable-bucket", basedir="exp")
    with pytest.raises(ConnectionError) as info:
        start(obs, str(tmp_path / "src"))
    message = str(info.value)
    assert "unreachable-bucket" in message and "127.0.0.1" in message
    assert "hunter2" not in message and "***" in message


def test_missing_boto3_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(ImportError, match=r"pip install sacred\[s3\]"):
        S3Observer(bucket="any-bucket", basedir="exp", region="eu-west-1")


def test_experiment_with_s3_flag_end_to_end(s3, bucket, tmp_path):
    import os

    from layout_helpers import check_e2e_runs, run_e2e, write_e2e_experiment

    folder = tmp_path / "proj"
    write_e2e_experiment(folder)
    uri = f"s3://{bucket}/team/exp"
    assert run_e2e(folder, "-S", uri, env=dict(os.environ)).returncode == 0
    failed = run_e2e(folder, "-S", uri, "with", "fail=True", env=dict(os.environ))
    assert failed.returncode != 0 and "boom" in failed.stderr
    check_e2e_runs(
        lambda p: get_json(s3, bucket, p),
        lambda p: s3.get_object(Bucket=bucket, Key=p)["Body"].read(),
        "team/exp/",
    )

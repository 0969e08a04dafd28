"""Realistic event arguments for driving layout observers directly (shared by tests)."""

from __future__ import annotations

import datetime
import json
import os


def utcnow() -> datetime.datetime:
    """Naive UTC time, as the run passes it."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def make_ex_info(base_dir: str, source_text: str = "print('hello')\n") -> dict:
    """An ``ex_info`` with one real source file ``exp.py`` inside ``base_dir``."""
    import hashlib

    os.makedirs(base_dir, exist_ok=True)
    path = os.path.join(base_dir, "exp.py")
    with open(path, "w") as f:
        f.write(source_text)
    md5 = hashlib.md5(source_text.encode()).hexdigest()
    return {
        "name": "layout_test",
        "base_dir": base_dir,
        "sources": [["exp.py", md5]],
        "dependencies": ["numpy==1.26.0"],
        "repositories": [],
        "mainfile": "exp.py",
        "doc": "A test experiment.",
    }


HOST_INFO = {
    "hostname": "testhost",
    "os": ["Linux", "Linux-test"],
    "python_version": "3.11.7",
    "cpu": "Test CPU",
    "ENV": {},
}


def start(observer, base_dir: str, config: dict | None = None, _id=None):
    """Fire ``started_event`` with realistic arguments; returns the run id."""
    return observer.started_event(
        ex_info=make_ex_info(base_dir),
        command="main",
        host_info=dict(HOST_INFO),
        start_time=utcnow(),
        config=config if config is not None else {"a": 1, "seed": 42},
        meta_info={"command": "main", "options": {"--id": _id}},
        _id=_id,
    )


def queue(observer, base_dir: str, _id=None):
    """Fire ``queued_event`` with realistic arguments; returns the run id."""
    now = utcnow()
    return observer.queued_event(
        ex_info=make_ex_info(base_dir),
        command="main",
        host_info=dict(HOST_INFO),
        queue_time=now,
        config={"a": 1, "seed": 1},
        meta_info={"command": "main", "options": {"--queue": True}, "queue_time": now},
        _id=_id,
    )


def play_first_run(observer, tmp_path, artifact_name: str):
    """Start run 1 and send it metrics, two beats, a resource, an artifact and completion."""
    src = str(tmp_path / "src")
    data = tmp_path / "res.txt"
    data.write_text("resource")
    art = tmp_path / "model.bin"
    art.write_bytes(b"weights")
    assert start(observer, src) == 1
    observer.log_metrics(points("loss", 0, 3), {})
    observer.heartbeat_event({"k": 1}, "hello ", utcnow(), None)
    observer.heartbeat_event({"k": 1}, "hello world", utcnow(), None)
    observer.resource_event(str(data))
    observer.artifact_event(artifact_name, str(art))
    observer.completed_event(utcnow(), {"acc": 1.0})
    return src


def points(name: str, start_step: int, count: int) -> dict:
    """A ``log_metrics`` argument with ``count`` new points of metric ``name``."""
    now = utcnow()
    steps = list(range(start_step, start_step + count))
    return {
        name: {
            "name": name,
            "steps": steps,
            "values": [s * 0.5 for s in steps],
            "timestamps": [now] * count,
        }
    }


E2E_EXPERIMENT = '''"""An end-to-end experiment for the layout observers."""
import sys
from sacred import Experiment

ex = Experiment("e2e")
OBSERVER_SETUP


@ex.config
def cfg():
    fail = False


@ex.automain
def main(_run, fail):
    print("training")
    for i in range(5):
        _run.log_scalar("loss", 1.0 / (i + 1))
    _run.info["best"] = 0.5
    with open("model.txt", "w") as f:
        f.write("weights")
    _run.add_artifact("model.txt")
    with _run.open_resource("res.txt") as f:
        f.read()
    if fail:
        raise ValueError("boom")
    return 42
'''


def write_e2e_experiment(folder, observer_setup: str = "") -> str:
    """Write ``exp.py`` and ``res.txt`` into ``folder``; returns the experiment path."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "res.txt"), "w") as f:
        f.write("resource data\n")
    path = os.path.join(folder, "exp.py")
    with open(path, "w") as f:
        f.write(E2E_EXPERIMENT.replace("OBSERVER_SETUP", observer_setup))
    return path


def run_e2e(folder, *args: str, env: dict | None = None):
    """Run the experiment in ``folder`` as a script; returns the CompletedProcess."""
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    full_env = dict(env if env is not None else os.environ)
    full_env["PYTHONPATH"] = root + os.pathsep + full_env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "exp.py", *args],
        cwd=folder,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_e2e_runs(read_json, read_bytes, prefix: str) -> None:
    """Assert the completed run 1 and failed run 2 stored under ``prefix``."""
    done = read_json(f"{prefix}1/run.json")
    assert done["status"] == "COMPLETED" and done["result"] == 42
    assert done["artifacts"] == ["model.txt"]
    assert done["resources"][0][0].endswith("res.txt")
    assert done["experiment"]["name"] == "e2e"
    assert done["experiment"]["sources"][0][1].startswith("_sources/exp_")
    assert read_json(f"{prefix}1/metrics.json")["loss"]["steps"] == [0, 1, 2, 3, 4]
    assert read_json(f"{prefix}1/info.json") == {"best": 0.5}
    assert read_json(f"{prefix}1/config.json")["fail"] is False
    assert read_bytes(f"{prefix}1/model.txt") == b"weights"
    assert b"training" in read_bytes(f"{prefix}1/cout.txt")
    failed = read_json(f"{prefix}2/run.json")
    assert failed["status"] == "FAILED"
    assert failed["fail_trace"][-1].strip() == "ValueError: boom"


def reference_dump(obj) -> bytes:
    """dump_json as it was before _json_text (the stored bytes it must keep): json.dumps, flattening
    on failure, indented below 1 MiB."""
    from sacred.observers.run_files._layout import safe_flatten as _safe_flatten

    try:
        compact = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        obj = _safe_flatten(obj)
        compact = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    if len(compact) < 1 << 20:
        return json.dumps(obj, indent=2, sort_keys=True).encode("utf-8")
    return compact.encode("utf-8")

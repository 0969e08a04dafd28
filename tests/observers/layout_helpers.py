"""Realistic event arguments for driving layout observers directly (shared by tests)."""

from __future__ import annotations

import datetime
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

"""Stores for the web view's tests, written by real experiments through FileStorageObserver."""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

from sacred import Experiment
from sacred.observers import FileStorageObserver

XSS = "<script>window.__pwned = 1</script>"
XSS_FILE = "<img src=x onerror=window.__pwned=1>.txt"
XSS_METRIC = "<i>m"
XSS_KEY = "<script>alert(1)</script>"
LOSS_POINTS = 500
LONG_POINTS = 5000


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A valid RGB PNG image, made by hand."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([200, 30, 30] * width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _train_experiment(store: Path, workdir: Path) -> Experiment:
    ex = Experiment("train", base_dir=str(workdir))
    ex.observers.append(FileStorageObserver(str(store)))

    @ex.config
    def config():
        lr = 0.1
        depth = 2
        optimizer = {"name": "sgd", "momentum": 0.9}

    @ex.main
    def main(_run, lr, depth):
        for step in range(LOSS_POINTS):
            _run.log_scalar("loss", 1.0 / (1 + step * lr) + 0.001 * depth, step)
        for step in range(50):
            _run.log_scalar("accuracy", 1 - math.exp(-step / 10), step)
        for step in range(LONG_POINTS):
            _run.log_scalar("long", math.sin(step / 50.0) + step / LONG_POINTS, step)
        notes = workdir / "notes.txt"
        notes.write_text(f"lr was {lr}\nsecond line\n")
        _run.add_artifact(str(notes), "notes.txt")
        image = workdir / "plot.png"
        image.write_bytes(tiny_png())
        _run.add_artifact(str(image), "plot.png")
        print(f"training with lr={lr}")
        return 1.0 / (1 + lr)

    return ex


def build_store(root: Path) -> dict[str, str]:
    """A FileStorage store with completed, failed, sweep and hostile runs; returns ids by role."""
    store = root / "store"
    workdir = root / "work"
    workdir.mkdir(parents=True)
    ids: dict[str, str] = {}
    ex = _train_experiment(store, workdir)
    ids["first"] = str(ex.run(config_updates={"lr": 0.1}, options={"--comment": "baseline"})._id)
    ids["second"] = str(ex.run(config_updates={"lr": 0.01, "depth": 3})._id)

    failing = Experiment("crashes", base_dir=str(workdir))
    failing.observers.append(FileStorageObserver(str(store)))

    @failing.main
    def crash():
        raise RuntimeError("boom in the experiment")

    try:
        failing.run()
    except RuntimeError:
        pass
    ids["failed"] = str(len(ids) + 1)

    sweep = Experiment("sweep", base_dir=str(workdir))
    sweep.observers.append(FileStorageObserver(str(store)))

    @sweep.config
    def sweep_config():
        lr = 0.1
        width = 8

    @sweep.main
    def sweep_main(_run, lr, width):
        _run.log_scalar("loss", lr * width, 0)
        return lr * width

    points = [(0.1, 8), (0.2, 8), (0.3, 16), (0.05, 16)]
    for index, (lr, width) in enumerate(points):
        meta = {"sweep": {"id": "sw1", "index": index, "count": len(points),
                          "point": {"lr": lr, "width": width}}}
        run = sweep.run(config_updates={"lr": lr, "width": width}, meta_info=meta)
        ids[f"sweep{index}"] = str(run._id)

    hostile = Experiment(XSS, base_dir=str(workdir))
    hostile.observers.append(FileStorageObserver(str(store)))

    hostile.add_config({"payload": XSS, XSS_KEY: 1})

    @hostile.main
    def hostile_main(_run):
        print(XSS)
        _run.log_scalar(XSS_METRIC, 1.0, 0)
        _run.log_scalar(XSS_METRIC, 2.0, 1)
        _run.info["note"] = XSS
        evil = workdir / "evil.txt"
        evil.write_text(XSS)
        _run.add_artifact(str(evil), XSS_FILE)
        return XSS

    ids["hostile"] = str(hostile.run(options={"--comment": XSS})._id)
    return ids | {"path": str(store)}

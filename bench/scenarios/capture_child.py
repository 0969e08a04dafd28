# ruff: noqa: F841  (config scopes assign names that sacred collects)
"""Child process of the capture scenario: prints LINES lines under MODE capture.

Usage: capture_child.py MODE LINES STORE TIMING_JSON. Runs with its stdout
redirected to a file by the parent so ``fd`` capture sees a real file
descriptor; writes the seconds ``ex.run`` took to TIMING_JSON.
"""

from __future__ import annotations

import json
import sys

from _bench import clock

from sacred import Experiment
from sacred.observers import FileStorageObserver

ex = Experiment("capture")


@ex.config
def cfg():
    lines = 100_000


@ex.main
def main(lines):
    for i in range(lines):
        print(f"line {i}")


if __name__ == "__main__":
    mode, lines, store, timing_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ex.observers.append(FileStorageObserver(store))
    start = clock()
    ex.run(config_updates={"lines": lines}, options={"--capture": mode})
    seconds = clock() - start
    with open(timing_path, "w") as f:
        json.dump({"run_seconds": seconds}, f)

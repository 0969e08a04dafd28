"""Scenario 9: a run whose stored values are huge strings (secret masking stays linear).

One run with a FileStorageObserver whose ``--comment`` is MEGABYTES MB of letters
(the shape that made the old masking regex quadratic: 120,000 characters took
78 s) and whose config gets a value of the same size holding URL-like text
(``a://b:`` repeated, a password-looking ``?token=`` part at the end). Times
``ex.run`` (after a small warm-up run) and checks the stored comment is whole.
Sacred 0.8.7 masks nothing, so the ratio shows what masking costs end to end.
"""

from __future__ import annotations

import json
import os

from _bench import Result, clock, parse_args


def main() -> None:
    args = parse_args(__doc__, megabytes={"type": int, "default": 10})
    result = Result()
    from sacred import Experiment
    from sacred.observers import FileStorageObserver

    size = args.megabytes * 1_000_000
    comment = "a" * size
    value = "a://b:" * (size // 6) + "?token=secret"
    store = os.path.join(args.workdir, "runs")
    ex = Experiment("masking", interactive=True)
    ex.observers.append(FileStorageObserver(store))

    @ex.config
    def cfg():
        text = ""  # noqa: F841 - a config entry

    @ex.main
    def main_function(text):
        return len(text)

    ex.run(options={"--comment": "warm-up"})
    start = clock()
    run = ex.run(config_updates={"text": value}, options={"--comment": comment})
    result.metric("run", clock() - start, "s")
    with open(os.path.join(store, str(run._id), "run.json"), encoding="utf-8") as f:
        stored = json.load(f)
    whole = len(stored["meta"].get("comment", "")) == size and stored["status"] == "COMPLETED"
    result.check("comment stored whole", whole, f"{len(stored['meta'].get('comment', ''))}/{size} characters")
    result.write(args.out)


if __name__ == "__main__":
    main()

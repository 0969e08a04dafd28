"""The child process of ``sacred rerun``: import the experiment file, run it once, report.

    python -m sacred_runner.tools.rerun_driver SPEC.json RESULT.json

SPEC (written by :mod:`sacred_runner.tools.rerun`, mode 0600 since a store URL
may carry a password): ``mainfile, cwd, experiment, command, config_updates,
named_configs, options, meta_info, observer: [kind, target]``. RESULT gets
``{"id", "status", "result"}`` of the new run. Exit code 0 when it
completed, 1 when it failed, 4 when the experiment could not be found.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from typing import Any

from sacred.observers.base import RunObserver


def make_observer(kind: str, target: str) -> Any:
    """The observer that adds the new run to the original's store."""
    from sacred import observers

    if kind == "file_storage":
        return observers.FileStorageObserver(target)
    if kind == "tiny_db":
        return observers.TinyDbObserver(target)
    if kind == "sql":
        return observers.SqlObserver(target)
    from pymongo.uri_parser import parse_uri

    return observers.MongoObserver(url=target, db_name=parse_uri(target).get("database") or "sacred")


class _IdRecorder(RunObserver):
    """Learns the new run's id (observers after the first receive it in started_event)."""

    priority = -10_000

    def __init__(self) -> None:
        self.id: Any = None

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):  # noqa: D102
        self.id = _id


def load_experiment(mainfile: str, name: str) -> Any:
    """The Experiment called ``name`` defined in ``mainfile`` (imported, not run as __main__)."""
    from sacred import Experiment

    sys.path.insert(0, os.path.dirname(mainfile))
    spec = importlib.util.spec_from_file_location("__sacred_rerun__", mainfile)
    if spec is None or spec.loader is None:
        raise LookupError(f"cannot import {mainfile}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    found = [value for value in vars(module).values() if isinstance(value, Experiment)]
    named = [ex for ex in found if ex.path == name]
    if len(named) == 1 or (len(found) == 1 and not named):
        return (named or found)[0]
    names = ", ".join(sorted({ex.path for ex in found})) or "none"
    raise LookupError(f"{mainfile} defines no experiment called {name!r} (it defines: {names})")


def main(spec_path: str, result_path: str) -> int:
    """Run the spec'd run; write its id/status/result to ``result_path``."""
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    os.chdir(spec["cwd"])
    try:
        ex = load_experiment(spec["mainfile"], spec["experiment"])
    except (LookupError, OSError) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 4
    recorder = _IdRecorder()
    ex.observers.append(make_observer(*spec["observer"]))
    ex.observers.append(recorder)
    outcome: dict = {"id": None, "status": "FAILED", "result": None}
    try:
        run = ex.run(spec["command"], config_updates=spec["config_updates"],
                     named_configs=spec["named_configs"], options=spec["options"], meta_info=spec["meta_info"])
        outcome = {"id": str(run._id), "status": run.status, "result": None}
        try:
            json.dumps(run.result)
            outcome["result"] = run.result
        except (TypeError, ValueError):
            outcome["result"] = repr(run.result)
    except Exception as error:  # noqa: BLE001 - the failure is stored with the run; report it here too
        outcome["error"] = f"{type(error).__name__}: {error}"
        outcome["id"] = None if recorder.id is None else str(recorder.id)
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(outcome, f)
    return 0 if outcome["status"] == "COMPLETED" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

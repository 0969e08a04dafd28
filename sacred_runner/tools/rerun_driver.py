"""The child process of ``sacred rerun``: import the experiment file, run it once, report.

    python -m sacred_runner.tools.rerun_driver SPEC.json RESULT.json

SPEC (written by :mod:`sacred_runner.tools.rerun`, mode 0600 since a store URL
may carry a password): ``mainfile, cwd, experiment, command, config_updates,
named_configs, options, meta_info, observer: [kind, target], module`` (the
module name the original run imported the file as). RESULT gets
``{"id", "status", "result"}`` of the new run, or ``{"usage_error": TEXT}``
when the updates do not fit the experiment (a key nothing uses, a named
config it lacks: no run is made). Exit code 0 when it completed, 1 when it
failed, 4 when the experiment could not be found or the updates do not fit.
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


def _captured_functions(ingredient: Any, seen: set[int]) -> list[Any]:
    if id(ingredient) in seen:
        return []
    seen.add(id(ingredient))
    functions = list(ingredient.captured_functions) + [f for _, f in ingredient.commands.items()]
    for sub in ingredient.ingredients:
        functions += _captured_functions(sub, seen)
    return functions


def adopt_module_name(experiment: Any, imported_as: str, module_name: str | None) -> None:
    """Name the file's captured functions' module as in the original run.

    Seeds of captured functions (``_seed``, ``_rnd``) derive from
    ``module.qualname``; a file run as ``python exp.py`` had module
    ``__main__``, which an import cannot take without starting automain.
    """
    if not module_name or module_name == imported_as:
        return
    for function in _captured_functions(experiment, set()):
        if getattr(function, "__module__", None) == imported_as:
            function.__module__ = module_name


def load_experiment(mainfile: str, name: str, module_name: str | None = None) -> Any:
    """The Experiment called ``name`` defined in ``mainfile`` (imported, not run as __main__)."""
    from sacred import Experiment

    sys.path.insert(0, os.path.dirname(mainfile))
    imported_as = module_name if module_name and module_name != "__main__" and module_name not in sys.modules \
        else "__sacred_rerun__"
    spec = importlib.util.spec_from_file_location(imported_as, mainfile)
    if spec is None or spec.loader is None:
        raise LookupError(f"cannot import {mainfile}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    found = [value for value in vars(module).values() if isinstance(value, Experiment)]
    named = [ex for ex in found if ex.path == name]
    if len(named) == 1 or (len(found) == 1 and not named):
        experiment = (named or found)[0]
        adopt_module_name(experiment, imported_as, module_name)
        return experiment
    names = ", ".join(sorted({ex.path for ex in found})) or "none"
    raise LookupError(f"{mainfile} defines no experiment called {name!r} (it defines: {names})")


def main(spec_path: str, result_path: str) -> int:
    """Run the spec'd run; write its id/status/result to ``result_path``."""
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    os.chdir(spec["cwd"])
    try:
        ex = load_experiment(spec["mainfile"], spec["experiment"], spec.get("module"))
    except (LookupError, OSError) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 4
    recorder = _IdRecorder()
    ex.observers.append(make_observer(*spec["observer"]))
    ex.observers.append(recorder)
    outcome: dict = {"id": None, "status": "FAILED", "result": None}
    from sacred.utils import ConfigAddedError, NamedConfigNotFoundError

    try:
        run = ex.run(spec["command"], config_updates=spec["config_updates"],
                     named_configs=spec["named_configs"], options=spec["options"], meta_info=spec["meta_info"])
        outcome = {"id": str(run._id), "status": run.status, "result": None}
        try:
            json.dumps(run.result)
            outcome["result"] = run.result
        except (TypeError, ValueError):
            outcome["result"] = repr(run.result)
    except (ConfigAddedError, NamedConfigNotFoundError) as error:
        if recorder.id is not None:  # raised by the run itself, after it started: a failed run
            outcome["error"] = f"{type(error).__name__}: {error}"
            outcome["id"] = str(recorder.id)
        else:  # the updates do not fit the experiment: no run was made, a usage error
            return _write_usage_error(result_path, _misfit_reason(error))
    except Exception as error:  # noqa: BLE001 - the failure is stored with the run; report it here too
        outcome["error"] = f"{type(error).__name__}: {error}"
        outcome["id"] = None if recorder.id is None else str(recorder.id)
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(outcome, f)
    return 0 if outcome["status"] == "COMPLETED" else 1


def _misfit_reason(error: Exception) -> str:
    """``does not use b (did you mean 'n'?)`` / ``has no named config ...``, worded as ``sacred run`` words it."""
    from sacred.utils import NamedConfigNotFoundError
    from sacred_runner.experiments import _unused_keys_reason

    if isinstance(error, NamedConfigNotFoundError):
        available = ", ".join(error.available_named_configs) or "none"
        return f"has no named config {error.named_config!r} (available: {available})"
    return _unused_keys_reason(error)


def _write_usage_error(result_path: str, reason: str) -> int:
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump({"usage_error": reason}, f)
    return 4


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

"""Execute one :class:`RunItem`: in this process, or in a fresh subprocess (``--isolate``).

Both ways end in a :class:`RunOutcome` built from the run's observer events.
In isolation (:mod:`sacred_runner.isolated_run`) the experiment runs in a
child process whose only observer is a pipe to this one; the store observers
and the hook relay stay here, so a child that crashes (``os._exit``, a
segfault) still gets a record holding all its output and metrics and a
FAILED end in every store, and a failure line in the report.
"""

from __future__ import annotations

import contextlib
import copy
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sacred_runner.items import RunItem, RunOutcome
from sacred_runner.tracking import HookRelayObserver, describe_store

__all__ = [
    "SessionInterrupted",
    "error_text",
    "execute_in_process",
    "execute_isolated",
    "finish_outcome",
    "load_run_experiment",
    "queue_hint",
    "run_experiment",
]


class SessionInterrupted(Exception):
    """Ctrl+C arrived during a run; carries that run's outcome (INTERRUPTED)."""

    def __init__(self, outcome: RunOutcome) -> None:
        super().__init__("interrupted")
        self.outcome = outcome


def error_text(error: BaseException) -> str:
    """How a run's failure to start reads in the report: one line for a SacredError, else the traceback."""
    from sacred.utils import SacredError

    if isinstance(error, SacredError) and not error.print_traceback:
        return f"{type(error).__name__}: {error}"
    return "".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip()


@contextlib.contextmanager
def _experiment_observed_by(item: RunItem, extra_observers: list) -> Iterator[Any]:
    """The item's experiment with ``extra_observers`` appended to its observers (restored afterwards).

    With ``item.unobserved`` the experiment's own observers are left out.
    """
    from sacred_runner.experiments import load_experiment

    experiment = load_experiment(item.path, item.attribute)
    saved = list(experiment.observers)
    experiment.observers[:] = ([] if item.unobserved else saved) + list(extra_observers)
    try:
        yield experiment
    finally:
        experiment.observers[:] = saved


def _run_arguments(item: RunItem) -> dict[str, Any]:
    return {
        "config_updates": copy.deepcopy(item.config_updates),
        "named_configs": tuple(item.named_configs),
        "meta_info": _meta_info(item),
        "options": dict(item.options),
    }


def _meta_info(item: RunItem) -> dict | None:
    """What the item adds to the run's ``meta_info``: its sweep record and, queued, its queue hint."""
    meta = copy.deepcopy(item.meta_info) or {}
    meta.update(queue_hint(item) or {})
    return meta or None


def queue_hint(item: RunItem) -> dict | None:
    """For a run queued with ``--queue``: where a worker finds its file (``meta_info["queue"]``)."""
    if not item.options.get("--queue"):
        return None
    relparts = Path(item.relpath).parts
    rootdir = Path(item.path).parents[len(relparts) - 1] if relparts else Path(item.path).parent
    return {"queue": {"file": item.relpath, "rootdir": str(rootdir), "attribute": item.attribute}}


def load_run_experiment(item: RunItem, extra_observers: list) -> tuple[Any, Any]:
    """``(experiment, run)``: the item's run created (not started) with ``extra_observers`` appended.

    With ``item.unobserved`` the experiment's own observers are left out.
    """
    with _experiment_observed_by(item, extra_observers) as experiment:
        return experiment, experiment._create_run(item.command, **_run_arguments(item))


def run_as_current(experiment: Any, run: Any) -> Any:
    """Start ``run`` with ``experiment.current_run`` set to it for its length (as ``ex.run`` does)."""
    experiment.current_run = run
    try:
        run()
    finally:
        experiment.current_run = None
    return run


def run_experiment(item: RunItem, extra_observers: list) -> Any:
    """Load the item's experiment and run it with ``extra_observers`` appended; return the Run.

    ``ex.observers`` is restored afterwards. With ``item.unobserved`` the
    experiment's own observers are left out as well.
    """
    with _experiment_observed_by(item, extra_observers) as experiment:
        return experiment.run(item.command, **_run_arguments(item))


def finish_outcome(relay: HookRelayObserver, observers: list, run: Any = None,
                   error: str | None = None) -> RunOutcome:
    """The item's outcome from what ``relay`` saw, the ``run`` (if any) and the ``error`` text (if any)."""
    outcome = relay.outcome
    if not relay.started:
        if error is not None:
            outcome.status = "ERROR"
            outcome.error_message = error
        elif run is not None:  # an unobserved command (e.g. print_config) gives no events
            outcome.status = getattr(run, "status", None) or "COMPLETED"
            outcome.run_id = getattr(run, "_id", None)
            result = getattr(run, "result", None)
            outcome.result = None if result is None else repr(result)[:60]
    elif outcome.status == "RUNNING":  # started but never reported an end
        outcome.status = "FAILED"
        outcome.error_message = error or "the run ended without a final event"
    elif error is not None and outcome.status == "FAILED" and not outcome.fail_trace:
        outcome.error_message = error
    if relay.started and not relay.item.unobserved:
        outcome.stores = [describe_store(observer, outcome.run_id) for observer in observers]
    return outcome


def execute_in_process(item: RunItem, observers: list, hook: Any) -> RunOutcome:
    """Run ``item`` here; KeyboardInterrupt becomes :class:`SessionInterrupted`."""
    relay = HookRelayObserver(item, hook)
    try:
        run = run_experiment(item, list(observers) + [relay])
    except KeyboardInterrupt:
        outcome = finish_outcome(relay, observers, error="interrupted by the user")
        outcome.status = "INTERRUPTED"
        raise SessionInterrupted(outcome) from None
    except BaseException as error:  # noqa: BLE001 - any failure is this run's failure
        return finish_outcome(relay, observers, error=error_text(error))
    return finish_outcome(relay, observers, run=run)


def execute_isolated(item: RunItem, observers: list, hook: Any) -> RunOutcome:
    """Run ``item`` in a fresh worker process (see :mod:`sacred_runner.isolated_run`)."""
    from sacred_runner.isolated_run import execute_isolated as run_isolated

    return run_isolated(item, observers, hook)

"""``--sweeper optuna``: model-based search; every trial is a normal observed run.

The search space comes from the sweep: a random search's ``parameters``
(``choice`` -> categorical, ``uniform`` / ``loguniform`` -> float,
``randint(low, high)`` -> int in ``[low, high)``) or multirun axes (an axis of
several values -> categorical; one value is fixed). The study lives in an
Optuna storage (default ``sqlite:///<rootdir>/.sacred/optuna.db``) under a
name derived from the experiment, the space and the objective (or
``--study NAME``), so running the same command again resumes it: trials left
RUNNING by an interrupted session are marked FAIL (and do not count), and only
the missing trials up to ``--trials`` run. A trial whose run failed (or gave
no objective value) is a FAIL that counts. Trials are asked for as many at a
time as the launcher runs at once.

A trial's run records ``meta_info["sweep"]`` with the study name as id and
the trial number as index; its seed derives from both.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sacred_runner.errors import UsageError
from sacred_runner.sweep.axes import NAMED_CONFIGS_KEY

__all__ = ["run_optuna_sweep", "search_space"]

FAILED_RUN_ATTR = "sacred_failed_run"  # a FAIL that counts: the trial's run finished without a value
NAMED_JOIN = "+"


def _import_optuna() -> Any:
    from sacred.observers._backend_import import import_backend

    try:
        optuna = import_backend("optuna", needed_by="--sweeper optuna", extra="optuna")
    except ImportError as error:
        raise UsageError(str(error)) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


#: the most values a multirun axis may offer Optuna as one categorical choice (a range axis is not listed beyond it)
CATEGORICAL_LIMIT = 10_000


def _categorical(optuna: Any, key: str, values: tuple) -> Any:
    for value in values:
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise UsageError(f"--sweeper optuna: the values of {key!r} must be numbers, strings, booleans "
                             f"or None to be a categorical choice, got {value!r}")
    return optuna.distributions.CategoricalDistribution(list(values))


def search_space(optuna: Any, space: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(Optuna distributions by key, fixed values by key)`` of a sweep's search space."""
    from sacred_runner.sweep.space import Grid, PointList, Product, RandomSearch

    distributions: dict[str, Any] = {}
    fixed: dict[str, Any] = {}
    stack = [space]
    while stack:
        part = stack.pop()
        if isinstance(part, Product):
            stack.extend([part.first, part.second])
        elif isinstance(part, Grid):
            for axis in part.axes:
                if axis.size > CATEGORICAL_LIMIT:
                    raise UsageError(f"--sweeper optuna: the axis {axis.key!r} has {axis.size:,} values, more than "
                                     f"{CATEGORICAL_LIMIT:,} choices (use a sweep file's randint(low, high) instead)")
                values = tuple(NAMED_JOIN.join(v) for v in axis.values) if axis.named else axis.values
                if len(values) == 1:
                    fixed[axis.key] = values[0]
                else:
                    distributions[axis.key] = _categorical(optuna, axis.key, values)
        elif isinstance(part, RandomSearch):
            for key, distribution in part.parameters.items():
                distributions[key] = _optuna_distribution(optuna, key, distribution)
        elif isinstance(part, PointList):
            raise UsageError("--sweeper optuna needs a search space (axes or a random search's parameters), "
                             "not a list of points")
    if not distributions:
        raise UsageError("--sweeper optuna needs something to search: an axis with several values "
                         "(-M with lr=0.1,0.01) or a sweep file's random parameters")
    return distributions, fixed


def _optuna_distribution(optuna: Any, key: str, distribution: Any) -> Any:
    kind, args = distribution.kind, distribution.args
    if kind == "choice":
        values = tuple(NAMED_JOIN.join(v) if isinstance(v, (list, tuple)) else v for v in args) \
            if key == NAMED_CONFIGS_KEY else args
        return _categorical(optuna, key, values)
    if kind in ("uniform", "loguniform"):
        return optuna.distributions.FloatDistribution(float(args[0]), float(args[1]), log=kind == "loguniform")
    return optuna.distributions.IntDistribution(int(args[0]), int(args[1]) - 1)


def _study_name(base: Any, distributions: dict, fixed: dict, objective: Any) -> str:
    description = json.dumps({
        "node": base.nodeid, "space": {k: repr(v) for k, v in sorted(distributions.items())},
        "fixed": {k: repr(v) for k, v in sorted(fixed.items())}, "objective": objective.label,
        "direction": objective.direction,
    }, sort_keys=True)
    digest = hashlib.sha256(description.encode("utf-8")).hexdigest()[:10]
    return f"{base.relpath}::{base.node_name}::{base.command}-{digest}"


def _point(params: dict, fixed: dict) -> Any:
    from sacred_runner.sweep.space import SweepPoint

    values = {**fixed, **params}
    named = values.pop(NAMED_CONFIGS_KEY, None)
    names = tuple(n for n in str(named).split(NAMED_JOIN) if n) if named is not None else ()
    return SweepPoint(values, names)


def _counted(trial: Any, states: Any) -> bool:
    """Trials that count toward ``--trials``: completed, or failed by their run (not by an interruption)."""
    return trial.state in (states.COMPLETE, states.PRUNED) or (
        trial.state == states.FAIL and bool(trial.user_attrs.get(FAILED_RUN_ATTR)))


def run_optuna_sweep(plugin: Any, session: Any, items: list) -> None:
    """Run each item's study until it has ``--trials`` finished trials (or the session stops)."""
    from sacred_runner.launch.plugin import open_launcher
    from sacred_runner.sweep.plan import SweepIdentity, point_item, seed_of_sweep

    optuna = _import_optuna()
    states = optuna.trial.TrialState
    config = session.config
    objective = plugin.objective
    distributions, fixed = search_space(optuna, plugin.space)
    sample = _point({key: _first_value(d) for key, d in distributions.items()}, fixed)
    accepted = plugin.accepting_items(session, items, [sample])
    storage = config.option.study_storage or f"sqlite:///{config.rootdir / '.sacred' / 'optuna.db'}"
    if storage.startswith("sqlite:///"):
        (config.rootdir / ".sacred").mkdir(parents=True, exist_ok=True)
    wanted = int(config.option.trials)
    runs = open_launcher(session)
    try:
        for base in accepted:
            name = config.option.study or _study_name(base, distributions, fixed, objective)
            if len(accepted) > 1 and config.option.study:
                name = f"{config.option.study}::{base.nodeid}"
            study = optuna.create_study(study_name=name, storage=storage, load_if_exists=True,
                                        direction=objective.direction)
            for stale in study.get_trials(deepcopy=False, states=(states.RUNNING,)):
                study.tell(stale.number, state=states.FAIL)  # left by an interrupted session
            identity = SweepIdentity(name, seed_of_sweep(name), wanted)
            plugin.identity = identity
            while not (session.interrupted or session.stopped_early):
                done = sum(1 for t in study.get_trials(deepcopy=False) if _counted(t, states))
                if done >= wanted:
                    break
                try:
                    asked = [study.ask(distributions) for _ in range(min(runs.slots, wanted - done))]
                except ValueError as error:
                    raise UsageError(f"the study {name!r} in {storage} has another search space than this "
                                     f"sweep ({error}); use another --study name") from None
                by_index = {}
                batch = []
                for trial in asked:
                    item = point_item(base, _point(trial.params, fixed), trial.number, identity, plugin.fixed_seed)
                    by_index[trial.number] = trial
                    batch.append(item)
                outcomes = {item.meta_info["sweep"]["index"]: outcome for item, outcome in runs.run_batch(batch)}
                for number, trial in by_index.items():
                    outcome = outcomes.get(number)
                    value = objective.value(outcome) if outcome is not None else None
                    if outcome is None or outcome.status == "INTERRUPTED":
                        study.tell(trial, state=states.FAIL)  # does not count: asked again on resume
                    elif value is None:
                        trial.set_user_attr(FAILED_RUN_ATTR, outcome.status)
                        study.tell(trial, state=states.FAIL)
                    else:
                        study.tell(trial, value)
    finally:
        runs.close()


def _first_value(distribution: Any) -> Any:
    choices = getattr(distribution, "choices", None)
    if choices is not None:
        return choices[0]
    return distribution.low

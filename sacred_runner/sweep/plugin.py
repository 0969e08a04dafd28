"""The ``sweep`` plugin: ``--multirun`` / ``-M``, ``--sweep FILE``, ``--sweeper``, the sweep's table.

In multirun mode the session's items (one per selected experiment and
command) become one item per sweep point. An experiment that does not use a
swept key (or lacks a swept named config) is deselected with the reason,
as in a normal session; when no experiment accepts the sweep, it is a
usage error. ``sacred collect --multirun`` lists the points without running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sacred_runner.errors import UsageError
from sacred_runner.hookspecs import hookimpl
from sacred_runner.sweep import is_multirun

__all__ = ["SweepPlugin", "SWEEPERS"]

SWEEPERS = ("grid", "optuna")


def _positive_int(value: Any, flag: str) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise UsageError(f"{flag}: expected a positive integer, got {value!r}")
    return number


class SweepPlugin:
    """Expands the session's items into sweep points and prints the sweep's summary."""

    def __init__(self) -> None:
        self.active = False
        self.space: Any = None
        self.identity: Any = None
        self.objective: Any = None
        self.sweeper: str = "grid"
        self.max_points = 0
        self.fixed_seed = False

    # ------------------------------------------------------------------ options

    @hookimpl
    def sacred_addoption(self, parser: Any) -> None:
        """The sweep options."""
        from sacred_runner.sweep.space import DEFAULT_MAX_POINTS

        parser.addoption("-M", "--multirun", dest="multirun", action="store_true", default=False,
                         help="sweep: 'with lr=0.1,0.01 bs=range(16,65,16) small,large' runs every combination")
        parser.addoption("--sweep", dest="sweep", metavar="FILE", default=None,
                         help="sweep file (YAML): grid, points, or random search (implies --multirun)")
        parser.addoption("--max-points", dest="max_points", metavar="N", default=DEFAULT_MAX_POINTS,
                         help=f"refuse sweeps of more than N runs (default {DEFAULT_MAX_POINTS})")
        parser.addoption("--sweep-id", dest="sweep_id", metavar="ID", default=None,
                         help="reuse a sweep id: the points get the same derived seeds as that sweep's")
        parser.addoption("--sweeper", dest="sweeper", metavar="NAME", default=None,
                         help="grid (default: every point of the sweep) or optuna (model-based search)")
        parser.addoption("--objective", dest="objective", metavar="SPEC", default=None,
                         help="what a sweep optimises: result, or metric:NAME[:last|min|max]")
        parser.addoption("--direction", dest="direction", metavar="DIR", default=None,
                         help="minimize (default) or maximize the objective")
        parser.addoption("--trials", dest="trials", metavar="N", default=None,
                         help="--sweeper optuna: the number of trials the study should have")
        parser.addoption("--study", dest="study", metavar="NAME", default=None,
                         help="--sweeper optuna: study name (default: derived from experiment and search space)")
        parser.addoption("--study-storage", dest="study_storage", metavar="URL", default=None,
                         help="--sweeper optuna: Optuna storage URL (default sqlite:///<rootdir>/.sacred/optuna.db)")

    @hookimpl
    def sacred_configure(self, config: Any) -> None:
        """Parse the sweep before collection: bad axes and files fail before anything runs."""
        from sacred_runner.sweep.objective import parse_objective

        option = config.option
        self.active = is_multirun(option)
        if not self.active:
            for flag, value in (("--objective", option.objective), ("--trials", option.trials),
                                ("--sweep-id", option.sweep_id)):
                if value is not None:
                    raise UsageError(f"{flag} belongs to a sweep: add --multirun (-M), --sweep FILE or --sweeper")
            return
        self.sweeper = option.sweeper or "grid"
        if self.sweeper not in SWEEPERS:
            raise UsageError(f"--sweeper: unknown sweeper {self.sweeper!r} (use one of: {', '.join(SWEEPERS)})")
        self.max_points = _positive_int(option.max_points, "--max-points") or 0
        self.objective = parse_objective(option.objective, option.direction)
        trials = _positive_int(option.trials, "--trials")
        if self.sweeper == "optuna":
            if self.objective is None:
                raise UsageError("--sweeper optuna needs --objective (result or metric:NAME[:last|min|max])")
            if trials is None:
                raise UsageError("--sweeper optuna needs --trials N")
        elif trials is not None:
            raise UsageError("--trials belongs to --sweeper optuna (a grid runs every point; a sweep file's "
                             "random search sets random: {trials: N})")
        from sacred_runner.sweep.plan import SweepIdentity

        self.identity = SweepIdentity.create(0, option.sweep_id)
        self.space = self._space(config)
        self.fixed_seed = "seed" in self._fixed_keys()

    def _space(self, config: Any) -> Any:
        from sacred_runner.sweep.axes import parse_multirun_updates
        from sacred_runner.sweep.space import Grid, Product
        from sacred_runner.sweep.sweepfile import load_sweep_file

        spaces = []
        if config.option.sweep:
            path = Path(config.invocation_dir, config.option.sweep)
            spaces.append(load_sweep_file(path, config.option.sweep, default_seed=self.identity.seed))
        axes = parse_multirun_updates(list(config.parsed.updates))
        if axes or not spaces:
            spaces.append(Grid(axes))
        space = spaces[0]
        for other in spaces[1:]:
            space = Product(space, other)
        return space

    def _fixed_keys(self) -> set[str]:
        from sacred_runner.sweep.space import Grid, Product

        keys: set[str] = set()
        stack = [self.space]
        while stack:
            space = stack.pop()
            if isinstance(space, Product):
                stack.extend([space.first, space.second])
            elif isinstance(space, Grid):
                keys.update(axis.key for axis in space.axes if axis.size == 1)
        return keys

    # ------------------------------------------------------------------ expansion

    @hookimpl(tryfirst=True)
    def sacred_collection_modifyitems(self, session: Any, config: Any, items: list) -> None:
        """Replace each item by its sweep points (``--sweeper optuna`` asks for points while running)."""
        if not self.active or config.subcommand != "run" or self.sweeper == "optuna" or not items:
            return
        from dataclasses import replace

        from sacred_runner.sweep.plan import point_item
        from sacred_runner.sweep.space import check_size

        check_size(self.space, self.max_points, per_item=len(items))
        points = list(self.space.points())
        accepted = self.accepting_items(session, items, points)
        self.identity = replace(self.identity, count=len(points) * len(accepted))
        expanded = []
        for base in accepted:
            for point in points:
                expanded.append(point_item(base, point, len(expanded), self.identity, self.fixed_seed))
        items[:] = expanded

    def accepting_items(self, session: Any, items: list, points: list) -> list:
        """The items whose experiment takes every point's keys and named configs; deselect the rest."""
        from sacred.utils import set_by_dotted_path
        from sacred_runner.experiments import check_updates, load_experiment

        accepted, rejected = [], []
        for item in items:
            reason = None
            checked: set = set()
            for point in points:
                signature = (frozenset(point.updates), point.named_configs)
                if signature in checked:
                    continue
                checked.add(signature)
                updates: dict = {}
                for key, value in point.updates.items():
                    set_by_dotted_path(updates, key, value)
                experiment = load_experiment(item.path, item.attribute)
                reason = check_updates(experiment, item.command, updates,
                                       tuple(item.named_configs) + tuple(point.named_configs))
                if reason is not None:
                    break
            if reason is None:
                accepted.append(item)
            else:
                rejected.append(f"{item.nodeid} {reason}")
                session.deselect(item, reason)
        if not accepted:
            raise UsageError("no selected experiment accepts the sweep's keys / named configs:\n  " + "\n  ".join(rejected))
        return accepted

    # ------------------------------------------------------------------ collect

    @hookimpl(trylast=True)
    def sacred_collection_finish(self, session: Any) -> None:
        """``sacred collect --multirun``: list the points each experiment would run."""
        config = session.config
        if not self.active or config.subcommand != "collect" or getattr(config.option, "json", False):
            return
        from sacred_runner.sweep.space import check_size

        experiments = [node for node in session.nodes if node.default_command]
        check_size(self.space, self.max_points, per_item=max(1, len(experiments)))
        reporter = config.pluginmanager.get_plugin("terminal")
        write = reporter.write_line if reporter is not None else (lambda text="": print(text, file=config.stdout))
        points = list(self.space.points()) if self.sweeper != "optuna" else []
        if self.sweeper == "optuna":
            write(f"sweep: optuna asks for {config.option.trials} points per experiment while running")
            return
        write()
        write(f"sweep {self.identity.sweep_id}: {len(points)} point{'s' if len(points) != 1 else ''} "
              f"x {len(experiments)} experiment{'s' if len(experiments) != 1 else ''} = {len(points) * len(experiments)} runs")
        for node in experiments:
            write(f"{node.nodeid}::{node.default_command}")
            for index, point in enumerate(points):
                write(f"  [{index}] {point.label() or '(no swept values)'}")

    # ------------------------------------------------------------------ running

    @hookimpl(tryfirst=True)
    def sacred_launch(self, session: Any, items: list) -> bool | None:
        """``--sweeper optuna``: ask the study for points batch by batch."""
        if not self.active or self.sweeper != "optuna":
            return None
        from sacred_runner.sweep.optuna_sweeper import run_optuna_sweep

        run_optuna_sweep(self, session, items)
        return True

    def summary_table(self, session: Any) -> tuple[list[str], list[list[str]]] | None:
        """The sweep's table for the terminal summary (None when no point ran)."""
        if not self.active:
            return None
        from sacred_runner.sweep.summary import sweep_table

        return sweep_table(session.results, self.objective)

    def _missing_objective_metric(self, results: list) -> str | None:
        """A warning when ``--objective metric:NAME`` names a metric no run of the sweep logged."""
        objective = self.objective
        if objective is None or objective.source != "metric":
            return None
        logged: set[str] = set()
        for item, outcome in results:
            if item.meta_info.get("sweep"):
                logged.update(outcome.metrics or {})
                logged.update(outcome.metric_stats or {})
        if not logged and not any(item.meta_info.get("sweep") and outcome.run_id is not None for item, outcome in results):
            return None  # nothing ran: nothing to compare with
        if objective.metric in logged:
            return None
        known = ", ".join(sorted(logged)) or "none"
        return (f"--objective metric:{objective.metric}: no run of the sweep logged a metric "
                f"{objective.metric!r} (logged: {known}); the objective column is empty")

    @hookimpl
    def sacred_terminal_summary(self, reporter: Any, exitstatus: int, config: Any) -> None:
        """One line naming the sweep (id, seed), so its runs can be found in the stores."""
        if not self.active or config.subcommand != "run" or self.identity is None or reporter is None:
            return
        ran = sum(1 for item, _ in config.session.results if item.meta_info.get("sweep"))
        missing = self._missing_objective_metric(config.session.results)
        if missing:
            reporter.write_line(f"WARNING: {missing}", style="yellow")
        if ran:
            reporter.write_line(f"sweep id {self.identity.sweep_id} (seed {self.identity.seed}): {ran} of "
                                f"{self.identity.count} points ran; meta_info.sweep.id finds them in the stores")

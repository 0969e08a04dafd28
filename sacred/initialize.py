"""Create a :class:`~sacred.run.Run` for an experiment: config, options, wiring."""

from __future__ import annotations

import copy
import functools
import numbers
import os
from collections.abc import Callable, Sequence

from sacred.commandline_options import _parse_loglevel, spelling_087
from sacred.config.custom_containers import make_read_only
from sacred.config.resolution import check_added_entries, ordered_ingredients, resolve_config
from sacred.masking import mask_secrets
from sacred.randomness import RunSeeds
from sacred.run import Run
from sacred.settings import SETTINGS
from sacred.utils import ConfigError, get_by_dotted_path, join_paths, set_by_dotted_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["create_run", "save_wiring", "restore_wiring"]

_WIRED_ATTRIBUTES = ("config", "logger", "rnd", "make_rnd", "run")


def stored_options(options: dict, cli_options: list) -> dict:
    """``options`` keyed as Sacred 0.8.7 stores them (``--beat-interval``, ``--mongo_db``, ...).

    Tools and scripts read ``meta.options`` of stored runs with those keys;
    secrets in URL values are masked.
    """
    spelled = {option.key: spelling_087(option) for option in cli_options}
    return mask_secrets({spelled.get(key, key): value for key, value in options.items()})


def save_wiring(experiment: Any) -> list[tuple[Any, dict]]:
    """What :func:`create_run` sets on each captured function, to restore it later."""
    return [
        (func, {name: getattr(func, name, None) for name in _WIRED_ATTRIBUTES})
        for ingredient, _ in ordered_ingredients(experiment)
        for func in ingredient.captured_functions
    ]


def restore_wiring(saved: list[tuple[Any, dict]]) -> None:
    """Give captured functions back the config, logger, rnd and run saved by :func:`save_wiring`."""
    for func, attributes in saved:
        for name, value in attributes.items():
            setattr(func, name, value)


def ingredient_view(ingredient: Any, path: str, config: dict, paths: dict[int, str]) -> dict:
    """The config an ingredient's captured functions see, as in 0.8.7.

    Its own entries, plus the configs of its sub-ingredients (at any depth)
    whose path is not under its own, at their full path: an ingredient
    ``dataset`` using ``settings`` receives ``settings`` by name.
    """
    own = get_by_dotted_path(config, path) if path else config
    if not path:
        return own
    view = dict(own) if isinstance(own, dict) else {}
    for sub, _ in ingredient.traverse_ingredients():
        sub_path = paths.get(id(sub), sub.path)
        if sub is ingredient or sub_path.startswith(path + "."):
            continue
        value = get_by_dotted_path(config, sub_path)
        if value is not None and get_by_dotted_path(view, sub_path) is None:
            set_by_dotted_path(view, sub_path, copy.deepcopy(value))
    return view if view or isinstance(own, dict) else own


def _wire_captured_functions(experiment: Any, config: dict, logger: Any, run: Run) -> None:
    read_only = SETTINGS.CONFIG.READ_ONLY_CONFIG
    root_seed = config.get("seed", 0)
    if isinstance(root_seed, bool) or not isinstance(root_seed, numbers.Integral):
        raise ConfigError(
            f"The config entry 'seed' must be an integer (e.g. seed=42), got {root_seed!r}"
        )
    ingredients = ordered_ingredients(experiment)
    seeds = RunSeeds(experiment, config, ingredients)
    paths = {id(ingredient): path for ingredient, path in ingredients}
    views: dict[tuple, Any] = {}  # one read-only view per ingredient and prefix, shared
    for ingredient, path in ingredients:
        view = ingredient_view(ingredient, path, config, paths)
        for index, func in enumerate(ingredient.captured_functions):
            func_path = join_paths(path, func.prefix or "")
            sub = get_by_dotted_path(view, func.prefix) if func.prefix else view
            if sub is None:
                # as in 0.8.7: no entries under the prefix, so defaults (or a clear
                # MissingConfigError when it is called) apply
                sub = {}
            if not isinstance(sub, dict):
                raise ConfigError(
                    f"Captured function '{func.__name__}' has prefix '{func.prefix}', but the "
                    f'config entry "{func_path}" is not a dict',
                    conflicting_configs=(func_path,),
                )
            if read_only:
                key = (path, func.prefix or "")
                if key not in views:
                    views[key] = make_read_only(sub, func_path)
                func.config = views[key]
            else:
                func.config = copy.deepcopy(sub)
            # like sacred 0.8.7: "<ingredient path>.<function>", the experiment's own without a path
            func.logger = logger.getChild(join_paths(path, func.__name__))
            # its generator is made when it first asks for _seed/_rnd (see RunSeeds)
            func.rnd = None
            func.make_rnd = functools.partial(seeds.function_rnd, ingredient, index)
            func.run = run


def _record_git_patch(meta_info: dict, experiment_info: dict, snapshots: dict) -> None:
    """``meta_info["git_patch"]``: uncommitted changes of the experiment's repository (when dirty).

    Turned off with ``SETTINGS.GIT_PATCH.RECORD = False``; capped by
    ``SETTINGS.GIT_PATCH.MAX_BYTES``. Used by ``sacred rerun --from-git``.
    The patch is taken once per discovery, like the sources' digests and the
    dirty flag it goes with: ``snapshots`` (the experiment's ``_git_patches``,
    emptied when its discovery is) keeps it by main file and repository
    state, so later runs of the process spawn no git (two processes, 5-7 ms
    a run in a dirty repository) and record the same snapshot.
    """
    if "git_patch" in meta_info or not SETTINGS.GIT_PATCH.RECORD:
        return
    repositories = experiment_info.get("repositories") or []
    if not any(isinstance(r, dict) and r.get("dirty") for r in repositories):
        return
    mainfile = os.path.join(experiment_info.get("base_dir") or "", experiment_info.get("mainfile") or "")
    max_bytes = int(SETTINGS.GIT_PATCH.MAX_BYTES)
    key = (mainfile, max_bytes, repr(repositories))
    if key not in snapshots:
        from sacred.vcs import uncommitted_patch

        snapshots[key] = uncommitted_patch(mainfile, max_bytes)
    patch = snapshots[key]
    if patch is not None:
        meta_info["git_patch"] = dict(patch)  # each run's meta_info its own


def _discovering_with_git_patch(run: Run, experiment_info: Any, snapshots: dict) -> Any:
    """``experiment_info`` (a dict, or a function discovering it) that, when known, also
    records the repository's uncommitted changes in ``run.meta_info`` (before the start event)."""
    if not callable(experiment_info):
        _record_git_patch(run.meta_info, experiment_info, snapshots)
        return experiment_info

    def discover() -> dict:
        info = experiment_info()
        _record_git_patch(run.meta_info, info, snapshots)
        return info

    return discover


def create_run(
    experiment: Any,
    command_name: str,
    config_updates: dict | None = None,
    named_configs: Sequence[str] = (),
    force: bool = False,
    log_level: Any = None,
    info: dict | None = None,
    meta_info: dict | None = None,
    options: dict | None = None,
    command: Callable | None = None,
) -> Run:
    """Resolve the configuration and build a ready-to-start Run."""
    logger = experiment._gather_logger()
    previous_level = logger.level
    if log_level is not None:
        logger.setLevel(_parse_loglevel(log_level))
    result = resolve_config(experiment, command_name, config_updates, named_configs, logger)
    check_added_entries(result.summary, experiment, logger, force)
    config = dict(result.config)
    run_logger = logger.getChild(experiment.path)
    # sources, dependencies and git state are discovered when an observer or the user
    # first asks (Run.experiment_info): a run nobody records does not pay for them
    experiment_info = experiment.get_experiment_info
    additional_host_info = list(experiment.additional_host_info)

    def host_info() -> dict:  # gathered when an observer or the user first asks (Run.host_info)
        from sacred.host_info import get_host_info

        return get_host_info(additional_host_info)

    pre_hooks, post_hooks = [], []
    for ingredient, _ in ordered_ingredients(experiment):
        pre_hooks += ingredient.pre_run_hooks
        post_hooks += ingredient.post_run_hooks
    if command is None:
        command = dict(experiment.gather_commands())[command_name]
    run = Run(
        config,
        result.summary,
        command,
        list(experiment.observers),
        logger,
        run_logger,
        experiment_info,
        host_info,
        pre_hooks,
        post_hooks,
        experiment.captured_out_filter,
    )
    _wire_captured_functions(experiment, config, logger, run)
    options = dict(options or {})
    run.meta_info = {
        "command": command_name,
        "options": stored_options(options, experiment.all_cli_options),
        "named_configs": [str(n) for n in named_configs],
        "config_updates": copy.deepcopy(dict(config_updates or {})),
    }
    run.meta_info.update(meta_info or {})
    # the module the command was imported as: captured functions' seeds derive from it (sacred rerun)
    run.meta_info.setdefault("main_module", getattr(command, "__module__", None))
    run.experiment_info = _discovering_with_git_patch(run, experiment_info,
                                                      getattr(experiment, "_git_patches", {}))
    run.info = dict(info or {})
    run.experiment = experiment
    run._restore_log_level = (logger, previous_level)
    if getattr(command, "unobserved", False):
        run.unobserved = True
    for option in experiment.all_cli_options:
        value = options.get(option.key)
        if option.key == "--loglevel" or value is None or value is False:
            continue
        option.apply(value, run)
    return run

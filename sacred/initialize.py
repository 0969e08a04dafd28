"""Create a :class:`~sacred.run.Run` for an experiment: config, options, wiring."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Sequence
from typing import Any

from sacred.commandline_options import _parse_loglevel, spelling_087
from sacred.config.custom_containers import make_read_only
from sacred.config.resolution import check_added_entries, ordered_ingredients, resolve_config
from sacred.randomness import derive_seed
from sacred.run import Run
from sacred.settings import SETTINGS
from sacred.utils import ConfigError, get_by_dotted_path, join_paths, mask_secrets

__all__ = ["create_run", "mask_options", "save_wiring", "restore_wiring"]

_WIRED_ATTRIBUTES = ("config", "logger", "rnd", "run")


def mask_options(options: dict) -> dict:
    """A copy of ``options`` with passwords in URL values masked."""
    return mask_secrets(dict(options))


def stored_options(options: dict, cli_options: list) -> dict:
    """``options`` keyed as Sacred 0.8.7 stores them (``--beat-interval``, ``--mongo_db``, ...).

    Tools and scripts read ``meta.options`` of stored runs with those keys;
    secrets in URL values are masked.
    """
    spelled = {option.key: spelling_087(option) for option in cli_options}
    return mask_options({spelled.get(key, key): value for key, value in options.items()})


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


def _wire_captured_functions(experiment: Any, config: dict, logger: Any, run: Run) -> None:
    read_only = SETTINGS.CONFIG.READ_ONLY_CONFIG
    root_seed = config.get("seed", 0)
    views: dict[str, Any] = {}  # one read-only view per config path, shared
    for ingredient, path in ordered_ingredients(experiment):
        for func in ingredient.captured_functions:
            func_path = join_paths(path, func.prefix or "")
            sub = get_by_dotted_path(config, func_path) if func_path else config
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
                if func_path not in views:
                    views[func_path] = make_read_only(sub, func_path)
                func.config = views[func_path]
            else:
                func.config = copy.deepcopy(sub)
            # like sacred 0.8.7: "<ingredient path>.<function>", the experiment's own without a path
            func.logger = logger.getChild(join_paths(path, func.__name__))
            identity = join_paths(path, f"{func.__module__}.{func.__qualname__}")
            func.rnd = random.Random(derive_seed(root_seed, identity))
            func.run = run


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

"""The configuration process: from updates and named configs to a run's config.

Order of resolution (spec, "Internals of Sacred / Configuration Process"):

1. Ingredients are configured sub-ingredients first (post-order over the
   ingredient graph, in the order they were added), the experiment last.
2. For each ingredient: take the config updates under its path (fixed); run
   the named configs that apply to it, in order, with the updates fixed (their
   results become lower-priority updates); then run its config scopes, dicts
   and files in declaration order with all of those fixed; put the result
   into the global config under the ingredient's path; then run its config
   hooks, whose results update the config for everything that follows.
3. Check the summary: typechanges and added-but-used entries warn; added
   entries that nothing uses raise :class:`ConfigAddedError` with suggestions.
"""

from __future__ import annotations

import copy
import difflib
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from sacred.config.captured_function import SPECIAL_ARGS
from sacred.config.config_dict import ConfigDict
from sacred.config.config_files import is_config_file_name, load_config_file
from sacred.config.config_scope import compute_changes
from sacred.config.config_summary import ConfigSummary
from sacred.config.normalize import assert_is_valid_key, normalize_or_die
from sacred.randomness import get_seed
from sacred.utils import (
    ConfigAddedError,
    ConfigError,
    NamedConfigNotFoundError,
    get_by_dotted_path,
    iterate_flattened,
    join_paths,
    recursive_update,
    set_by_dotted_path,
)

__all__ = ["ConfigResult", "resolve_config", "convert_dotted_updates", "ordered_ingredients"]

SEED_DOC = "the random seed for this experiment"


class ConfigResult:
    """The outcome of the configuration process."""

    def __init__(self, config: dict, summary: ConfigSummary, ingredient_paths: dict) -> None:
        self.config = config
        self.summary = summary
        self.ingredient_paths = ingredient_paths


def convert_dotted_updates(updates: Mapping | None) -> dict:
    """``{'a.b': 1, 'c': {'d.e': 2}}`` -> ``{'a': {'b': 1}, 'c': {'d': {'e': 2}}}``."""
    result: dict = {}
    for key, value in (updates or {}).items():
        if isinstance(value, Mapping):
            value = convert_dotted_updates(value)
        if isinstance(key, str) and "." in key:
            current = get_by_dotted_path(result, key)
            if isinstance(current, dict) and isinstance(value, dict):
                recursive_update(current, value)
            else:
                set_by_dotted_path(result, key, value)
        elif isinstance(result.get(key), dict) and isinstance(value, dict):
            recursive_update(result[key], value)
        else:
            result[key] = value
    return result


def ordered_ingredients(experiment: Any) -> list[tuple[Any, str]]:
    """Ingredients with their full config path, sub-ingredients before parents."""
    order: list[tuple[Any, str]] = []
    seen: set[int] = set()
    for _ in experiment.traverse_ingredients():  # raises CircularDependencyError on cycles
        pass

    def visit(ingredient: Any) -> None:
        if id(ingredient) in seen:
            return
        seen.add(id(ingredient))
        for sub in ingredient.ingredients:
            visit(sub)
        order.append((ingredient, ingredient.path if ingredient is not experiment else ""))

    visit(experiment)
    return order


def _available_named_configs(experiment: Any) -> dict[str, Any]:
    return dict(experiment.gather_named_configs())


def _resolve_named_configs(
    experiment: Any, named_configs: Sequence[str], ingredient_paths: Sequence[str]
) -> list[tuple[str, Any]]:
    """Map each requested name to (ingredient path, config object)."""
    available = _available_named_configs(experiment)
    resolved = []
    for name in named_configs:
        name = os.fspath(name)
        if is_config_file_name(name) and os.path.isfile(name):
            resolved.append(("", ConfigDict(load_config_file(name), doc=f"from {name}")))
            continue
        if name in available:
            config = available[name]
            owner = ""
            for path in sorted((p for p in ingredient_paths if p), key=len, reverse=True):
                if name.startswith(path + "."):
                    owner = path
                    break
            if isinstance(config, str):
                config = ConfigDict(load_config_file(config), doc=f"from {config}")
            resolved.append((owner, config))
            continue
        if is_config_file_name(name):
            # looks like a file but does not exist: load it to get the clear error
            load_config_file(name)
        raise NamedConfigNotFoundError(name, tuple(sorted(available)))
    return resolved


def _strip_children(tree: Mapping, child_keys: set[str]) -> dict:
    return {k: v for k, v in tree.items() if k not in child_keys}


def _child_keys(path: str, all_paths: Sequence[str]) -> set[str]:
    """Keys inside ``path``'s config that belong to explicitly nested ingredients."""
    keys = set()
    for other in all_paths:
        if not other or other == path:
            continue
        if not path:
            keys.add(other.split(".")[0])
        elif other.startswith(path + "."):
            keys.add(other[len(path) + 1 :].split(".")[0])
    return keys


def _fallback_for(path: str, global_config: dict) -> dict:
    """What an ingredient's scopes may read by name: other ingredients' configs.

    Top-level entries are visible by their name; entries of explicitly nested
    ingredients below ``path`` are visible without the common prefix.
    """
    fallback = {k: v for k, v in global_config.items()}
    if path:
        sub = get_by_dotted_path(global_config, path)
        if isinstance(sub, dict):
            fallback.update(sub)
    return copy.deepcopy(fallback)


def resolve_config(
    experiment: Any,
    command_name: str | None,
    config_updates: Mapping | None,
    named_configs: Sequence[str],
    logger: logging.Logger,
) -> ConfigResult:
    """Run the configuration process and return the final config and summary."""
    updates = convert_dotted_updates(config_updates)
    for path, _ in iterate_flattened(updates):
        for part in path.split("."):
            assert_is_valid_key(part, path)
    updates = normalize_or_die(updates, "config update")
    ingredients = ordered_ingredients(experiment)
    all_paths = [p for _, p in ingredients]
    named = _resolve_named_configs(experiment, named_configs, all_paths)

    global_config: dict = {}
    hook_updates: dict = {}
    summary = ConfigSummary()
    for ingredient, path in ingredients:
        children = _child_keys(path, all_paths)
        user_fixed = _strip_children(
            copy.deepcopy(get_by_dotted_path(updates, path, {}) if path else updates), children
        )
        if not isinstance(user_fixed, dict):
            raise ConfigError(
                f'Config update for "{path}" must be a dict: it is the config of '
                f"ingredient {path!r}",
                conflicting_configs=(path,),
            )
        fallback = _fallback_for(path, global_config)
        hook_fixed = _strip_children(
            copy.deepcopy(get_by_dotted_path(hook_updates, path, {}) if path else hook_updates),
            children,
        )
        named_result: dict = {}
        for owner, named_config in named:
            if owner != path:
                continue
            result = named_config(fixed=user_fixed, preset=named_result, fallback=fallback)
            named_result = recursive_update(named_result, dict(result))
        fixed = recursive_update(copy.deepcopy(named_result), user_fixed)
        fixed_with_hooks = recursive_update(copy.deepcopy(hook_fixed), fixed)

        config: dict = {}
        defaults: dict = {}
        if ingredient is experiment:
            config["seed"] = get_seed()
            defaults["seed"] = config["seed"]
        docs: dict[str, str] = {"seed": SEED_DOC} if ingredient is experiment else {}
        for scope in ingredient.configurations:
            result = scope(fixed=fixed_with_hooks, preset=config, fallback=fallback)
            config = dict(result)
            recursive_update(defaults, copy.deepcopy(getattr(result, "defaults", {})))
            docs.update(result.docs)
        for key, value in fixed_with_hooks.items():
            if key not in config:
                config[key] = copy.deepcopy(value)
            elif isinstance(config[key], dict) and isinstance(value, dict):
                recursive_update(config[key], copy.deepcopy(value))
            else:
                config[key] = copy.deepcopy(value)
        part = compute_changes(config, fixed, defaults, docs)
        summary.update_from(part, path)
        if path:
            existing = get_by_dotted_path(global_config, path)
            if isinstance(existing, dict):
                recursive_update(existing, config)
            else:
                set_by_dotted_path(global_config, path, config)
        else:
            recursive_update(global_config, config)
        for hook in ingredient.config_hooks:
            hook_result = hook(copy.deepcopy(global_config), command_name, logger)
            if hook_result is None:
                continue
            if not isinstance(hook_result, Mapping):
                raise ConfigError(
                    f"Config hook '{getattr(hook, '__name__', hook)}' must return a dict, "
                    f"got {type(hook_result).__name__}"
                )
            hook_result = normalize_or_die(convert_dotted_updates(hook_result), "config hook")
            recursive_update(hook_updates, copy.deepcopy(hook_result))
            recursive_update(global_config, copy.deepcopy(hook_result))
    final = ConfigSummary(
        global_config, summary.added, summary.modified, summary.typechanged, summary.docs
    )
    return ConfigResult(final, final, {p: i for i, p in ingredients})


def captured_arguments(experiment: Any) -> set[str]:
    """Dotted config paths that some captured function can receive by name."""
    used: set[str] = set()
    for ingredient, path in ordered_ingredients(experiment):
        for func in ingredient.captured_functions:
            base = join_paths(path, func.prefix or "")
            for arg in func.signature.arguments:
                if arg not in SPECIAL_ARGS:
                    used.add(join_paths(base, arg))
    return used


def check_added_entries(
    summary: ConfigSummary, experiment: Any, logger: logging.Logger, force: bool
) -> None:
    """Warn about typechanges and used added entries; raise for unused added ones."""
    used = captured_arguments(experiment)

    def is_used(key: str) -> bool:
        parts = key.split(".")
        return any(".".join(parts[:i]) in used for i in range(1, len(parts) + 1))

    unused = sorted(k for k in summary.added if not is_used(k))
    if unused and not force:
        existing = [k for k, _ in iterate_flattened(summary) if k not in summary.added]
        suggestions = {
            key: difflib.get_close_matches(
                key, sorted(set(existing) | (used - summary.added)), n=3, cutoff=0.6
            )
            for key in unused
        }
        raise ConfigAddedError(
            tuple(unused), captured_args=tuple(sorted(used)), suggestions=suggestions
        )
    if force:
        return
    for key in sorted(summary.added):
        logger.warning('Added new config entry: "%s"', key)
    for key, (old, new) in sorted(summary.typechanged.items()):
        logger.warning(
            'Changed type of config entry "%s" from %s to %s', key, old.__name__, new.__name__
        )

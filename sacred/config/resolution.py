"""The configuration process: from updates and named configs to a run's config.

Order of resolution (spec, "Internals of Sacred / Configuration Process"):

1. Named configs run first, in the order given, each with the user's updates
   under its ingredient's path fixed and the earlier named configs' results
   as preset; their combined results become lower-priority updates (an
   experiment's named config may set entries of its ingredients).
2. Ingredients are configured sub-ingredients first (post-order over the
   ingredient graph, in the order they were added), the experiment last.
   For each: its config scopes, dicts and files run in declaration order
   with the updates under its path fixed (the user's over the named
   configs', both over earlier hooks'); the result goes into the global
   config under the ingredient's path; then its config hooks run on the
   whole config, and their dicts update the ingredient's own config (the
   run's updates still win), as in 0.8.7.
3. Check the summary: typechanges and added-but-used entries warn; added
   entries that nothing uses raise :class:`ConfigAddedError` with suggestions.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Mapping, Sequence

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

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ConfigResult", "resolve_config", "convert_dotted_updates", "ordered_ingredients"]

SEED_DOC = "the random seed for this experiment"


class ConfigResult:
    """The outcome of the configuration process."""

    def __init__(self, config: dict, summary: ConfigSummary, ingredient_paths: dict) -> None:
        self.config = config
        self.summary = summary
        self.ingredient_paths = ingredient_paths


def convert_dotted_updates(updates: Mapping | None) -> dict:
    """``{'a.b': 1, 'a': {'c': 2}}`` -> ``{'a': {'b': 1, 'c': 2}}``.

    Only the keys of ``updates`` itself are dotted paths. Keys inside the
    values are config keys: ``{'d': {'a.b': 1}}`` stays as it is, so that the
    key check refuses ``a.b`` instead of silently nesting it.
    """
    result: dict = {}
    for key, value in (updates or {}).items():
        value = dict(value) if isinstance(value, Mapping) else value
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
        raise NamedConfigNotFoundError(name, available_named_configs=tuple(sorted(available)))
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


def scope_logger(logger: logging.Logger, path: str) -> logging.Logger:
    """The logger a config scope of the ingredient at ``path`` gets as ``_log`` (as 0.8.7)."""
    return logger.getChild(path) if path else logger


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
    named_updates = _run_named_configs(named, updates, ingredients, command_name, logger)
    global_config, summary = _configure(ingredients, updates, named_updates, command_name, logger)
    final = ConfigSummary(
        global_config, summary.added, summary.modified, summary.typechanged, summary.docs_source()
    )
    return ConfigResult(final, final, {p: i for i, p in ingredients})


def _gathered_docs(docs: dict[str, str], results: list) -> Any:
    """``docs`` updated with the docs of ``results`` in order (read when first asked for)."""
    sources = [getattr(r, "docs_source", lambda r=r: getattr(r, "docs", {}))() for r in results]
    if not any(callable(source) for source in sources):
        for source in sources:
            docs.update(source)
        return docs

    def gather() -> dict[str, str]:
        gathered = dict(docs)
        for source in sources:
            gathered.update(source() if callable(source) else source)
        return gathered

    return gather


def _subtree(tree: Mapping, path: str) -> dict:
    """A deep copy of the dict under ``path`` (the whole tree for ``""``), ``{}`` if absent."""
    sub = get_by_dotted_path(tree, path, {}) if path else tree
    return copy.deepcopy(dict(sub)) if isinstance(sub, Mapping) else {}


def _run_named_configs(
    named: Sequence[tuple[str, Any]],
    updates: dict,
    ingredients: Sequence[tuple[Any, str]],
    command_name: str | None,
    logger: logging.Logger,
) -> dict:
    """Evaluate the named configs in the order given; return their combined updates.

    Each named config runs with the user's updates under its ingredient's path
    fixed and with what earlier named configs set there as preset, so a later
    named config overrides an earlier one, whichever ingredient either belongs
    to (an experiment's named config may set entries of its ingredients).
    A named config that reads another ingredient's config by name gets the
    configs of the ingredients configured before its own as fallback.
    """
    named_updates: dict = {}
    for owner, named_config in named:
        fixed = _subtree(updates, owner)
        preset = _subtree(named_updates, owner)
        fallback: dict = {}
        wanted = [a for a in getattr(named_config, "arg_spec", ()) if a not in fixed and a != "_log"]
        if any(a not in preset for a in wanted):
            before = [(i, p) for i, p in ingredients[: [p for _, p in ingredients].index(owner)]]
            earlier, _ = _configure(before, updates, named_updates, command_name, logger)
            fallback = _fallback_for(owner, earlier)
        fallback["_log"] = scope_logger(logger, owner)
        result = recursive_update(preset, dict(named_config(fixed, preset, fallback)))
        if owner:
            set_by_dotted_path(named_updates, owner, result)
        else:
            named_updates = result
    return named_updates


def _configure(
    ingredients: Sequence[tuple[Any, str]],
    updates: dict,
    named_updates: dict,
    command_name: str | None,
    logger: logging.Logger,
) -> tuple[dict, ConfigSummary]:
    """Configure ``ingredients`` in order; return the global config and the summary."""
    all_paths = [p for _, p in ingredients]
    global_config: dict = {}
    hook_updates: dict = {}
    summary = ConfigSummary()
    for ingredient, path in ingredients:
        children = _child_keys(path, all_paths)
        if not isinstance(get_by_dotted_path(updates, path, {}) if path else updates, Mapping):
            raise ConfigError(
                f'Config update for "{path}" must be a dict: it is the config of '
                f"ingredient {path!r}",
                conflicting_configs=(path,),
            )
        user_fixed = _strip_children(_subtree(updates, path), children)
        fallback = _fallback_for(path, global_config)
        fallback["_log"] = scope_logger(logger, path)
        hook_fixed = _strip_children(_subtree(hook_updates, path), children)
        named_result = _strip_children(_subtree(named_updates, path), children)
        fixed = recursive_update(named_result, user_fixed)
        fixed_with_hooks = recursive_update(copy.deepcopy(hook_fixed), fixed)

        config: dict = {}
        defaults: dict = {}
        if not path:
            config["seed"] = get_seed()
            defaults["seed"] = config["seed"]
        docs: dict[str, str] = {"seed": SEED_DOC} if not path else {}
        results = []
        for scope in ingredient.configurations:
            result = scope(fixed=fixed_with_hooks, preset=config, fallback=fallback)
            config = dict(result)
            recursive_update(defaults, copy.deepcopy(getattr(result, "defaults", {})))
            results.append(result)
        for key, value in fixed_with_hooks.items():
            if key not in config:
                config[key] = copy.deepcopy(value)
            elif isinstance(config[key], dict) and isinstance(value, dict):
                recursive_update(config[key], copy.deepcopy(value))
            else:
                config[key] = copy.deepcopy(value)
        part = compute_changes(config, fixed, defaults, _gathered_docs(docs, results))
        summary.update_from(part, path)
        _merge_at(global_config, path, config)
        for hook in ingredient.config_hooks:
            hook_result = _call_config_hook(hook, global_config, command_name, logger)
            if not hook_result:
                continue
            # like 0.8.7: a hook's dict updates its own ingredient's config, and the
            # run's updates (named configs and the user's) still win over it
            recursive_update(hook_result, _updates_under(path, updates, named_updates))
            hook_at_path = {}
            _merge_at(hook_at_path, path, hook_result)
            recursive_update(hook_updates, copy.deepcopy(hook_at_path))
            recursive_update(global_config, hook_at_path)
    return global_config, summary


def _merge_at(tree: dict, path: str, config: dict) -> None:
    """Merge ``config`` into ``tree`` under ``path`` (at the top for ``""``)."""
    if not path:
        recursive_update(tree, config)
        return
    existing = get_by_dotted_path(tree, path)
    if isinstance(existing, dict):
        recursive_update(existing, config)
    else:
        set_by_dotted_path(tree, path, config)


def _updates_under(path: str, updates: dict, named_updates: dict) -> dict:
    """The run's updates for ``path``: named configs' results, the user's on top."""
    return recursive_update(_subtree(named_updates, path), _subtree(updates, path))


def _call_config_hook(
    hook: Any, global_config: dict, command_name: str | None, logger: logging.Logger
) -> dict:
    """Call a config hook with a copy of the config; check and normalise its dict."""
    hook_result = hook(copy.deepcopy(global_config), command_name, logger)
    if hook_result is None:
        return {}
    if not isinstance(hook_result, Mapping):
        raise ConfigError(
            f"Config hook '{getattr(hook, '__name__', hook)}' must return a dict, "
            f"got {type(hook_result).__name__}"
        )
    return normalize_or_die(convert_dotted_updates(hook_result), "config hook")


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
        # suggest and list config keys only: a function argument that is not in the
        # config (e.g. ``X`` with a default) is no key the user could have meant
        existing = sorted({
            ".".join(parts[:i])
            for parts in (k.split(".") for k, _ in iterate_flattened(summary) if k not in summary.added)
            for i in range(1, len(parts) + 1)
        })
        import difflib  # only for the error's suggestions

        suggestions = {key: difflib.get_close_matches(key, existing, n=3, cutoff=0.6) for key in unused}
        raise ConfigAddedError(tuple(unused), captured_args=tuple(existing), suggestions=suggestions)
    if force:
        return
    paths = [path for _, path in ordered_ingredients(experiment)]
    for path in paths:
        own = [p for p in paths if p and p != path and (not path or p.startswith(path + "."))]

        def belongs(key: str, path: str = path, own: list = own) -> bool:
            if path and not key.startswith(path + "."):
                return False
            return not any(key.startswith(p + ".") for p in own)

        local = len(path) + 1 if path else 0
        ingredient_logger = scope_logger(logger, path)
        for key in sorted(k for k in summary.added if belongs(k)):
            ingredient_logger.warning('Added new config entry: "%s"', key[local:])
        for key, (old, new) in sorted(summary.typechanged.items()):
            if not belongs(key) or {old, new} <= {int, float}:
                continue  # like 0.8.7: int/float changes are shown red by print_config only
            ingredient_logger.warning(
                'Changed type of config entry "%s" from %s to %s',
                key[local:],
                old.__name__,
                new.__name__,
            )

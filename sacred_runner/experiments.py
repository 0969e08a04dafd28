"""Read an Experiment into plain data: commands, named configs, config, ingredients.

Also the dry configuration check that decides whether an experiment accepts
the ``with`` updates and named configs of a session, without starting a run.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from sacred_runner.collect import observer_store_dirs
from sacred_runner.items import CommandInfo, ExperimentNode, FlagInfo, NamedConfigInfo

__all__ = ["find_experiments", "describe_experiment", "check_updates", "load_experiment"]

BUILTIN_COMMANDS = frozenset({"print_config", "print_dependencies", "save_config", "print_named_configs"})


def _is_experiment(value: Any) -> bool:
    from sacred.experiment import Experiment

    return isinstance(value, Experiment)


def _defined_in(experiment: Any, path: Path) -> bool:
    mainfile = getattr(experiment, "mainfile", None)
    if not mainfile:
        return True
    mainfile = str(getattr(mainfile, "filename", mainfile))
    try:
        return Path(mainfile).resolve() == path.resolve()
    except OSError:
        return True


def find_experiments(module: ModuleType, path: Path) -> list[tuple[str, Any]]:
    """``(attribute, experiment)`` for each module-level Experiment defined in ``path``."""
    found = []
    seen: set[int] = set()
    for attribute, value in vars(module).items():
        if attribute.startswith("__") or not _is_experiment(value) or id(value) in seen:
            continue
        if not _defined_in(value, path):
            continue
        seen.add(id(value))
        found.append((attribute, value))
    return found


def _doc_of(config: Any) -> str | None:
    doc = getattr(config, "doc", None) or getattr(config, "__doc__", None)
    if isinstance(config, str) or not isinstance(doc, str):
        return None
    text = doc.strip()
    # a class's own docstring (e.g. "A ConfigScope ...") is not the user's doc
    if text and text == (type(config).__doc__ or "").strip():
        return None
    return text or None


def _json_ready(value: Any) -> Any:
    from sacred.serializer import flatten

    try:
        return flatten(value)
    except Exception:  # noqa: BLE001 - display only
        return repr(value)


def describe_experiment(
    experiment: Any, path: Path, relpath: str, attribute: str, node_name: str
) -> ExperimentNode:
    """Collect what ``sacred collect`` shows about ``experiment``."""
    default = getattr(experiment, "default_command", None)
    commands = [
        CommandInfo(
            name=name,
            doc=(getattr(function, "__doc__", None) or "").strip() or None,
            is_default=(name == default),
            builtin=name in BUILTIN_COMMANDS,
        )
        for name, function in experiment.gather_commands()
    ]
    named = [NamedConfigInfo(name, _doc_of(config)) for name, config in experiment.gather_named_configs()]
    ingredients = [ing.path for ing, depth in experiment.traverse_ingredients() if depth > 0]
    flags = [
        FlagInfo(option.long_flag, option.short_flag, bool(option.is_flag),
                 option.get_description().split("\n")[0] or None)
        for option in getattr(experiment, "additional_cli_options", None) or []
    ]
    node = ExperimentNode(
        path=str(path),
        relpath=relpath,
        attribute=attribute,
        name=experiment.path,
        node_name=node_name,
        doc=(getattr(experiment, "doc", None) or None),
        commands=commands,
        named_configs=named,
        ingredients=ingredients,
        flags=flags,
        store_dirs=[str(d) for d in observer_store_dirs(list(getattr(experiment, "observers", None) or []))],
    )
    try:
        summary = _resolve(experiment, default, {}, ())
    except Exception as error:  # noqa: BLE001 - shown, not fatal for collection
        node.config_error = f"{type(error).__name__}: {error}"
        return node
    from sacred.utils import iterate_flattened

    node.config = {key: _json_ready(value) for key, value in iterate_flattened(dict(summary))}
    node.config_docs = {key: doc for key, doc in summary.docs.items() if key != "__doc__" and doc}
    return node


def _resolve(experiment: Any, command: str | None, updates: dict, named_configs: tuple) -> Any:
    return experiment.resolve_config(command, updates, tuple(named_configs), check_unused=False)


def check_updates(
    experiment: Any, command: str | None, updates: dict, named_configs: tuple[str, ...]
) -> str | None:
    """Why ``experiment`` cannot take ``updates`` / ``named_configs`` (None if it can).

    Runs the configuration process without starting a run: an update that
    nothing in the experiment uses, or a named config it does not have, is
    reported as a reason.
    """
    from sacred.utils import ConfigAddedError, NamedConfigNotFoundError

    try:
        experiment.resolve_config(command, updates, tuple(named_configs), check_unused=True)
    except NamedConfigNotFoundError as error:
        available = ", ".join(error.available_named_configs) or "none"
        return f"has no named config {error.named_config!r} (available: {available})"
    except ConfigAddedError as error:
        return _unused_keys_reason(error)
    except Exception:  # noqa: BLE001 - other config errors are reported by the run itself
        return None
    return None


def _unused_keys_reason(error: Any) -> str:
    """``does not use KEY (did you mean 'OTHER'?)``, worded like the per-file command line."""
    parts = []
    for key in error.conflicting_configs:
        close = error.suggestions.get(key)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        parts.append(f"{key}{hint}")
    return "does not use " + ", ".join(parts)


def load_experiment(path: str, attribute: str) -> Any:
    """Import ``path`` and return its module attribute ``attribute`` (an Experiment)."""
    from sacred_runner.importer import import_file

    module = import_file(Path(path))
    try:
        experiment = getattr(module, attribute)
    except AttributeError:
        raise LookupError(f"{path} no longer defines {attribute!r}") from None
    if not _is_experiment(experiment):
        raise LookupError(f"{path}: {attribute!r} is no longer an Experiment")
    return experiment

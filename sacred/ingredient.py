"""Ingredient: a reusable part of an experiment with its own config and commands."""

from __future__ import annotations

import os
import sys
from collections import OrderedDict
from collections.abc import Callable, Generator, Sequence

from sacred import introspection
from sacred.config.captured_function import create_captured_function
from sacred.config.config_dict import ConfigDict
from sacred.config.config_files import load_config_file
from sacred.config.config_scope import ConfigScope
from sacred.utils import CircularDependencyError, join_paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Ingredient", "gather_from_ingredients"]


def gather_from_ingredients(wrapped: Callable) -> Callable:
    """Turn a per-ingredient generator method into one over all sub-ingredients."""

    def wrapper(self: Ingredient) -> Generator:
        for ingredient, _ in self.traverse_ingredients():
            yield from wrapped(self, ingredient)

    wrapper.__doc__ = wrapped.__doc__
    wrapper.__name__ = wrapped.__name__
    return wrapper


class Ingredient:
    """Ingredients are reusable parts of experiments.

    Each Ingredient can have its own configuration (visible as an entry in the
    parent's configuration), named configurations, captured functions and
    commands. Ingredients can themselves use ingredients.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        ingredients: Sequence[Ingredient] = (),
        interactive: bool = False,
        _caller_globals: dict | None = None,
        base_dir: str | os.PathLike | None = None,
        save_git_info: bool = True,
    ) -> None:
        self.path = os.fspath(path) if path is not None else path
        self.config_hooks: list[Callable] = []
        self.configurations: list[ConfigScope | ConfigDict] = []
        self.named_configs: dict[str, ConfigScope | ConfigDict | str] = {}
        self.ingredients = list(ingredients)
        self.logger = None
        self.captured_functions: list[Callable] = []
        self.post_run_hooks: list[Callable] = []
        self.pre_run_hooks: list[Callable] = []
        self._is_traversing = False
        self.commands: OrderedDict[str, Callable] = OrderedDict()
        self.save_git_info = save_git_info
        caller_globals = _caller_globals if _caller_globals is not None else sys._getframe(1).f_globals
        self._caller_globals = caller_globals
        mainfile = caller_globals.get("__file__")
        if mainfile is None and not interactive:
            raise RuntimeError(
                "Defining an experiment in interactive mode! The sourcecode cannot be "
                "stored and the experiment won't be reproducible. If you still want to "
                "run it pass interactive=True"
            )
        self.interactive = interactive
        self.mainfile = os.path.abspath(mainfile) if mainfile else None
        if base_dir is not None:
            self.base_dir = os.path.abspath(os.fspath(base_dir))
        elif self.mainfile:
            self.base_dir = os.path.dirname(self.mainfile)
        else:
            self.base_dir = os.getcwd()
        self.doc = caller_globals.get("__doc__")
        self._added_sources: list[str] = []
        self._added_dependencies: list[tuple[str, str]] = []
        self._discovered: tuple | None = None
        # uncommitted changes, taken once with the discovery (see initialize._record_git_patch)
        self._git_patches: dict = {}

    # ------------------------------------------------------------------ decorators

    def capture(self, function: Callable | None = None, prefix: str | None = None) -> Callable:
        """Decorator to turn a function into a captured function.

        The missing arguments of captured functions are automatically filled
        from the configuration if possible. If a ``prefix`` is specified, the
        search for suitable entries is performed in the corresponding subtree.
        """
        if function is None:
            return lambda f: self.capture(f, prefix=prefix)
        if function in self.captured_functions:
            return function
        captured = create_captured_function(function, prefix=prefix)
        if captured not in self.captured_functions:
            self.captured_functions.append(captured)
        return captured

    def pre_run_hook(self, func: Callable | None = None, prefix: str | None = None) -> Callable:
        """Decorator to add a pre-run hook (a captured function run just before the main)."""
        if func is None:
            return lambda f: self.pre_run_hook(f, prefix=prefix)
        captured = self.capture(func, prefix=prefix)
        self.pre_run_hooks.append(captured)
        return captured

    def post_run_hook(self, func: Callable | None = None, prefix: str | None = None) -> Callable:
        """Decorator to add a post-run hook (a captured function run just after the main)."""
        if func is None:
            return lambda f: self.post_run_hook(f, prefix=prefix)
        captured = self.capture(func, prefix=prefix)
        self.post_run_hooks.append(captured)
        return captured

    def command(
        self, function: Callable | None = None, prefix: str | None = None, unobserved: bool = False
    ) -> Callable:
        """Decorator to define a new command for this Ingredient or Experiment.

        The name of the command is the name of the function. Commands are
        captured functions; ``unobserved=True`` makes runs of it ignore observers.
        """
        if function is None:
            return lambda f: self.command(f, prefix=prefix, unobserved=unobserved)
        captured = self.capture(function, prefix=prefix)
        captured.unobserved = unobserved
        self.commands[function.__name__] = captured
        return captured

    def config(self, function: Callable) -> ConfigScope:
        """Decorator to add a function to the configuration (as a ConfigScope)."""
        scope = ConfigScope(function)
        self.configurations.append(scope)
        return scope

    def named_config(self, func: Callable) -> ConfigScope:
        """Decorator to turn a function into a named configuration."""
        scope = ConfigScope(func)
        self._add_named_config(func.__name__, scope)
        return scope

    def config_hook(self, func: Callable) -> Callable:
        """Decorator to add a config hook: ``(config, command_name, logger) -> dict``.

        Config hooks run after this ingredient's configuration, before further
        ingredient configurations. The returned dict updates the config.
        """
        params = introspection.parameter_names(func)
        if len(params) != 3:
            raise ValueError(
                f"Config hook '{func.__name__}' must take exactly 3 arguments "
                f"(config, command_name, logger), but takes {params}"
            )
        self.config_hooks.append(func)
        return func

    # ------------------------------------------------------------------ config entries

    def add_config(self, cfg_or_file: Any = None, **kw_conf: Any) -> None:
        """Add a configuration entry: a dict, keywords, or a config file name."""
        self.configurations.append(self._create_config_dict(cfg_or_file, kw_conf))

    def add_named_config(self, name: str, cfg_or_file: Any = None, **kw_conf: Any) -> None:
        """Add a named configuration from a dict, keywords or a config file name."""
        self._add_named_config(name, self._create_config_dict(cfg_or_file, kw_conf))

    def _add_named_config(self, name: str, conf: Any) -> None:
        if name in self.named_configs:
            raise KeyError(f'Configuration name "{name}" already in use')
        if name in self.commands:
            raise KeyError(f'Named config "{name}" clashes with a command of the same name')
        self.named_configs[name] = conf

    @staticmethod
    def _create_config_dict(cfg_or_file: Any, kw_conf: dict) -> ConfigDict:
        if cfg_or_file is not None and kw_conf:
            raise ValueError("add_config takes a dict/file name or keyword arguments, not both")
        if cfg_or_file is None:
            if not kw_conf:
                raise ValueError("add_config needs a dict, a file name or keyword arguments")
            return ConfigDict(kw_conf)
        if isinstance(cfg_or_file, dict):
            return ConfigDict(cfg_or_file)
        if isinstance(cfg_or_file, (str, os.PathLike)):
            return ConfigDict(load_config_file(cfg_or_file), doc=f"from {os.fspath(cfg_or_file)}")
        raise TypeError(
            f"Invalid argument type {type(cfg_or_file).__name__} for add_config: "
            "use a dict, a config file name or keyword arguments"
        )

    # ------------------------------------------------------------------ sources

    def add_source_file(self, filename: str | os.PathLike) -> None:
        """Add a file as source dependency to this experiment/ingredient."""
        path = os.path.abspath(os.fspath(filename))
        if not os.path.isfile(path):
            raise ValueError(f'Source file "{filename}" does not exist')
        self._added_sources.append(path)
        self._forget_discovery()

    def add_package_dependency(self, package_name: str, version: str) -> None:
        """Add a package to the list of dependencies."""
        if not isinstance(package_name, str) or not package_name:
            raise ValueError("package_name must be a non-empty string")
        self._added_dependencies.append((package_name, str(version)))
        self._forget_discovery()

    def _forget_discovery(self) -> None:
        """The next run discovers sources, dependencies, git state and patch afresh."""
        self._discovered = None
        self._git_patches.clear()

    def _discover(self) -> tuple[set, set]:
        if self._discovered is None:
            from sacred import dependencies

            # without a main file (interactive) the imported modules still count
            _, found_sources, found_deps = dependencies.gather_sources_and_dependencies(
                self._caller_globals, self.save_git_info, self.base_dir
            )
            sources = set(found_sources)
            deps = set(found_deps)
            for path in self._added_sources:
                sources.add(dependencies.Source.create(path, self.save_git_info))
            for name, version in self._added_dependencies:
                deps.add(dependencies.PackageDependency(name, version))
            self._discovered = (sources, deps)
        return self._discovered

    # ------------------------------------------------------------------ traversal

    @gather_from_ingredients
    def gather_commands(self, ingredient: Ingredient) -> Generator:
        """Collect all commands from this ingredient and its sub-ingredients.

        Yields ``(cmd_name, cmd)``: the full (dotted) name and the captured function.
        """
        for command_name, command in ingredient.commands.items():
            name = join_paths(ingredient.path, command_name)
            yield self.post_process_name(name, ingredient), command

    @gather_from_ingredients
    def gather_named_configs(self, ingredient: Ingredient) -> Generator:
        """Collect all named configs from this ingredient and its sub-ingredients.

        Yields ``(config_name, config)``: the full (dotted) name and the config.
        """
        for config_name, config in ingredient.named_configs.items():
            name = join_paths(ingredient.path, config_name)
            yield self.post_process_name(name, ingredient), config

    def get_experiment_info(self) -> dict:
        """Get a dictionary with information about this experiment.

        Contains the name, base_dir, sources (``[filename, md5]``), dependencies
        (``name==version``), repositories, mainfile and doc.
        """
        from sacred import dependencies

        sources: set = set()
        deps: set = set()
        for ingredient, _ in self.traverse_ingredients():
            ing_sources, ing_deps = ingredient._discover()
            sources |= ing_sources
            deps |= ing_deps
        base_dir = self.base_dir
        mainfile = None
        if self.mainfile:
            mainfile = os.path.relpath(self.mainfile, base_dir)
        return {
            "name": self.path,
            "base_dir": base_dir,
            "sources": sorted([list(s.to_json(base_dir)) for s in sources]),
            "dependencies": sorted(d.to_json() for d in deps),
            "repositories": dependencies.collect_repositories(sources),
            "mainfile": mainfile,
            "doc": self.doc,
        }

    def traverse_ingredients(self) -> Generator[tuple[Ingredient, int], None, None]:
        """Recursively traverse this ingredient and its sub-ingredients (preorder).

        Yields ``(ingredient, depth)``. Raises :class:`CircularDependencyError`
        if a circular structure among ingredients is detected.
        """
        if self._is_traversing:
            raise CircularDependencyError(chain=(self,))
        self._is_traversing = True
        try:
            yield self, 0
            for ingredient in self.ingredients:
                try:
                    for ingred, depth in ingredient.traverse_ingredients():
                        yield ingred, depth + 1
                except CircularDependencyError as err:
                    raise CircularDependencyError(chain=(self,) + err.chain) from None
        finally:
            self._is_traversing = False

    def post_process_name(self, name: str, ingredient: Ingredient) -> str:
        """Can be overridden to change the command name."""
        return name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r}>"


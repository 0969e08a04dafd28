"""Experiment: the central class of sacred."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence

from sacred import introspection
from sacred.commandline_options import BUILTIN_OPTIONS, CLIOption, canonical_key
from sacred.ingredient import Ingredient
from sacred.utils import SacredError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Experiment", "gather_command_line_options"]

# the optional package each observer flag needs (0.8.7 hides these when it is absent)
_OPTION_BACKENDS = {"--mongo_db": "pymongo", "--sql": "sqlalchemy", "--tiny_db": "tinydb", "--s3": "boto3"}


def gather_command_line_options(filter_disabled: bool | None = None) -> list[CLIOption]:
    """The built-in command-line options, sorted by flag (as 0.8.7 returns them).

    ``filter_disabled`` leaves out observer flags whose backend is not
    installed; by default it is ``not SETTINGS.COMMAND_LINE.SHOW_DISABLED_OPTIONS``.
    """
    from sacred.settings import SETTINGS
    from sacred.utils import module_exists

    if filter_disabled is None:
        filter_disabled = not SETTINGS.COMMAND_LINE.SHOW_DISABLED_OPTIONS
    options = sorted(BUILTIN_OPTIONS, key=lambda option: option.long_flag.lstrip("-"))
    if filter_disabled:
        options = [
            option
            for option in options
            if option.key not in _OPTION_BACKENDS or module_exists(_OPTION_BACKENDS[option.key])
        ]
    return options


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record.

    A plain StreamHandler keeps the stream it was created with; this one
    follows ``sys.stderr``, so log lines land in ``sys``-mode capture and in
    test runners that swap the stream.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):  # noqa: D102 - see class docstring
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _default_logger() -> logging.Logger:
    """The root logger, given sacred's console format if nothing configured it."""
    root = logging.getLogger()
    if not root.handlers:
        handler = _CurrentStderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s - %(name)s - %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    return root


class Experiment(Ingredient):
    """The central class for each experiment in Sacred.

    It manages the configuration, the main function, captured methods,
    observers, commands, and further ingredients. An Experiment instance
    should be created as one of the first things in any experiment-file.
    """

    def __init__(
        self,
        name: str | None = None,
        ingredients: Sequence[Ingredient] = (),
        interactive: bool = False,
        base_dir: str | os.PathLike | None = None,
        additional_host_info: list | None = None,
        additional_cli_options: Sequence[CLIOption] | None = None,
        save_git_info: bool = True,
    ) -> None:
        caller_globals = sys._getframe(1).f_globals
        if name is None:
            if interactive:
                raise RuntimeError("name is required in interactive mode.")
            mainfile = caller_globals.get("__file__")
            if mainfile is None:
                raise RuntimeError(
                    "Defining an experiment in interactive mode! The sourcecode cannot be "
                    "stored and the experiment won't be reproducible. If you still want to "
                    "run it pass interactive=True"
                )
            name = os.path.splitext(os.path.basename(mainfile))[0]
        super().__init__(
            path=name,
            ingredients=ingredients,
            interactive=interactive,
            base_dir=base_dir,
            _caller_globals=caller_globals,
            save_git_info=save_git_info,
        )
        self.default_command: str | None = None
        self.additional_host_info = list(additional_host_info or [])
        self.additional_cli_options = list(additional_cli_options or [])
        self.all_cli_options = list(BUILTIN_OPTIONS) + self.additional_cli_options
        self.observers: list = []
        self.current_run: Any = None
        self.captured_out_filter: Callable[[str], str] | None = None
        """Filter function to be applied to captured output of a run"""
        self.option_hooks: list[Callable] = []
        self.logger: logging.Logger | None = None
        if self.additional_host_info:
            from sacred.host_info import check_additional_host_info

            check_additional_host_info(self.additional_host_info)
        self._register_builtin_commands()

    def _register_builtin_commands(self) -> None:
        from sacred import commands

        for name, function in commands.builtin_commands(self):
            captured = self.command(function, unobserved=True)
            if captured.__name__ != name:
                del self.commands[captured.__name__]
                self.commands[name] = captured

    # ------------------------------------------------------------------ decorators

    def main(self, function: Callable) -> Callable:
        """Decorator to define the main function of the experiment (the default command)."""
        captured = self.command(function)
        self.default_command = captured.__name__
        return captured

    def automain(self, function: Callable) -> Callable:
        """Decorator that defines and runs the main function of the experiment.

        The command-line interface runs when the defining file is executed as a
        script (``__name__ == "__main__"``). It should be the last thing in the file.
        """
        captured = self.main(function)
        if function.__module__ == "__main__":
            import __main__

            if getattr(__main__, "__file__", None) is None:
                # a REPL or notebook: there is no script whose command line to run
                raise RuntimeError(
                    "Cannot use @ex.automain decorator in interactive mode. "
                    "Use @ex.main instead."
                )
            # the file was executed as a script: behave like `ex.run_commandline()`
            self.run_commandline()
        return captured

    def option_hook(self, function: Callable) -> Callable:
        """Decorator for adding an option hook function.

        An option hook is called right before a run is created from the command
        line. It receives (and may modify) the options dictionary; it must take
        an argument called ``options``.
        """
        params = introspection.parameter_names(function)
        if "options" not in params:
            raise KeyError(f"Option hook '{function.__name__}' must have an argument called 'options'")
        self.option_hooks.append(function)
        return function

    # ------------------------------------------------------------------ running

    def get_default_options(self) -> dict:
        """Default options as used with :meth:`run` (keys like ``--beat_interval``)."""
        return {
            canonical_key(option.long_flag): (False if option.is_flag else None)
            for option in self.all_cli_options
        }

    def run(
        self,
        command_name: str | None = None,
        config_updates: dict | None = None,
        named_configs: Sequence[str] = (),
        info: dict | None = None,
        meta_info: dict | None = None,
        options: dict | None = None,
    ) -> Any:
        """Run the main function of the experiment or a given command; return the Run."""
        from sacred.initialize import restore_wiring, save_wiring

        outer_run = self.current_run
        # a run started from inside a run rewires the captured functions: undo that after it
        outer_wiring = save_wiring(self) if outer_run is not None else None
        try:
            run = self._create_run(
                command_name, config_updates, named_configs, info, meta_info, options
            )
            self.current_run = run
            run()
        finally:
            self.current_run = outer_run
            if outer_wiring is not None:
                restore_wiring(outer_wiring)
        return run

    def run_commandline(self, argv: Sequence[str] | str | None = None) -> Any:
        """Run the command-line interface of this experiment (argv defaults to sys.argv)."""
        from sacred.commandline.main import run_commandline

        return run_commandline(self, argv)

    def get_usage(self, program_name: str | None = None) -> tuple[str, str]:
        """Get the commandline usage string for this experiment."""
        from sacred.commandline.usage import get_usage

        return get_usage(self, program_name)

    def _create_run(
        self,
        command_name: str | None = None,
        config_updates: dict | None = None,
        named_configs: Sequence[str] = (),
        info: dict | None = None,
        meta_info: dict | None = None,
        options: dict | None = None,
    ) -> Any:
        from sacred.initialize import create_run

        command_name = command_name or self.default_command
        if command_name is None:
            raise SacredError(
                "No command was given and no default command (main) is set. Decorate a "
                "function with @ex.main or @ex.automain, or name a command.",
                print_usage=True,
            )
        commands = dict(self.gather_commands())
        if command_name not in commands:
            raise SacredError(
                f'Command "{command_name}" not found. Available commands are: '
                + ", ".join(commands),
                print_usage=True,
            )
        full_options = self.get_default_options()
        for key, value in (options or {}).items():
            full_options[canonical_key(key) if str(key).startswith("-") else key] = value
        return create_run(
            self,
            command_name,
            config_updates,
            named_configs=tuple(named_configs),
            force=bool(full_options.get("--force")),
            log_level=full_options.get("--loglevel"),
            info=info,
            meta_info=meta_info,
            options=full_options,
            command=commands[command_name],
        )

    def resolve_config(
        self,
        command_name: str | None = None,
        config_updates: dict | None = None,
        named_configs: Sequence[str] = (),
        check_unused: bool = True,
    ) -> Any:
        """Run the configuration process without starting a run.

        Returns the final configuration as a ``ConfigSummary`` (a dict with
        ``added``, ``modified``, ``typechanged`` and ``docs``). Raises what a
        run would raise for bad updates: ``NamedConfigNotFoundError``,
        ``InvalidConfigError`` and, with ``check_unused``, ``ConfigAddedError``
        for updates that nothing uses. Logs nothing.
        """
        from sacred.config.resolution import check_added_entries, resolve_config

        quiet = logging.getLogger("sacred.resolve_config")
        quiet.propagate = False
        if not quiet.handlers:
            quiet.addHandler(logging.NullHandler())
        summary = resolve_config(
            self, command_name or self.default_command, config_updates, tuple(named_configs), quiet
        ).config
        if check_unused:
            check_added_entries(summary, self, quiet, force=False)
        return summary

    # ------------------------------------------------------------------ live run helpers

    def _require_run(self, what: str) -> Any:
        if self.current_run is None:
            raise RuntimeError(f"{what} can only be used while the experiment is running")
        return self.current_run

    @property
    def info(self) -> dict:
        """Access the info-dict for storing custom information (only during a run)."""
        return self._require_run("ex.info").info

    def open_resource(self, filename: str | os.PathLike, mode: str = "r") -> Any:
        """Open a file and also save it as a resource (only during a run)."""
        return self._require_run("ex.open_resource").open_resource(filename, mode)

    def add_resource(self, filename: str | os.PathLike) -> None:
        """Add a file as a resource (only during a run)."""
        self._require_run("ex.add_resource").add_resource(filename)

    def add_artifact(
        self,
        filename: str | os.PathLike,
        name: str | None = None,
        metadata: dict | None = None,
        content_type: str | None = None,
    ) -> None:
        """Add a file as an artifact (only during a run)."""
        self._require_run("ex.add_artifact").add_artifact(filename, name, metadata, content_type)

    def log_scalar(self, name: str, value: float, step: int | None = None) -> None:
        """Add a new measurement (only during a run)."""
        self._require_run("ex.log_scalar").log_scalar(name, value, step)

    def post_process_name(self, name: str, ingredient: Ingredient) -> str:
        """The experiment's own commands and named configs go without its name."""
        if ingredient is self and name.startswith(self.path + "."):
            return name[len(self.path) + 1 :]
        return name

    def _gather_logger(self) -> logging.Logger:
        return self.logger if self.logger is not None else _default_logger()

"""The configuration of one ``sacred`` invocation, as plugins see it (pytest's ``Config``).

:class:`Config` holds the parsed options, the ini file (``sacred.ini`` or
``pyproject.toml [tool.sacred]``), the plugin manager and its hooks, the
rootdir and the positional targets and ``with`` updates. It is passed to most
hooks of :mod:`sacred_runner.hookspecs`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from sacred_runner.cmdline import RUNNER_SHORT_FLAGS, add_experiment_flags, split_positionals
from sacred_runner.errors import UsageError
from sacred_runner.inifile import path_exists

__all__ = ["Config"]


class Config:
    """Everything a plugin needs about this invocation (passed to most hooks)."""

    def __init__(self, subcommand: str, option: argparse.Namespace, ini: Any,
                 pluginmanager: Any, invocation_dir: Path, stdout: TextIO,
                 parser: argparse.ArgumentParser | None = None, args: Sequence[str] = (),
                 unknown_flags: Sequence[str] = ()) -> None:
        self.subcommand = subcommand
        self.ini = ini
        self.pluginmanager = pluginmanager
        self.hook = pluginmanager.hook
        self.invocation_dir = invocation_dir
        self.stdout = stdout
        self.warnings: list[str] = []
        self.session: Any = None
        self.parser = parser
        self.args = list(args)
        # flags no parser option matched: an experiment's own (see accept_experiment_flags) or typos
        self.unknown_flags = list(unknown_flags)
        self.own_flag_values: dict[str, Any] = {}  # options key -> value of experiments' own flags
        self._use_option(option, tentative=bool(self.unknown_flags))
        for name in ini.unknown_keys():
            self.warnings.append(f"{ini.values[name].where()}: unknown config key {name!r} (ignored)")

    def _use_option(self, option: argparse.Namespace, tentative: bool = False) -> None:
        self.option = option
        if tentative:  # values of not-yet-known flags may sit among the positionals
            before_with = option.args[: option.args.index("with")] if "with" in option.args else option.args
            existing = [t for t in before_with if path_exists(self.invocation_dir / t.split("::", 1)[0])]
            self.parsed = split_positionals(existing, self.invocation_dir, allow_command=False)
            self.updates: tuple[dict, list[str]] = ({}, [])
        else:
            from sacred_runner.sweep import is_multirun

            self.parsed = split_positionals(option.args, self.invocation_dir,
                                            allow_command=self.subcommand == "run", argv=self.args,
                                            allow_with=self.subcommand == "run" or is_multirun(option))

            # in multirun mode the `with` arguments are a sweep's axes (the sweep plugin reads them)
            self.updates = ({}, []) if is_multirun(option) else self._split_updates(self.parsed.updates)
        isolate = getattr(option, "isolate", None)
        self.isolate = bool(self.getini("isolate") if isolate is None else isolate)

    def accept_experiment_flags(self, nodes: Sequence[Any]) -> bool:
        """Parse the command line again, knowing the flags ``nodes`` define; True if the targets changed.

        Only needed when the first parse met flags it did not know. Those
        that no collected experiment defines are a usage error.
        """
        if not self.unknown_flags or self.parser is None:
            return False
        flags = [flag for node in nodes for flag in node.flags]
        dests = add_experiment_flags(self.parser, flags)
        defined = ", ".join(sorted({flag.long_flag for flag in flags})) or "none"
        self.parser.hint = f"Flags defined by the collected experiments: {defined}."
        option = self.parser.parse_intermixed_args(self.args)
        self.own_flag_values = {
            key: getattr(option, dest) for dest, key in dests.items() if getattr(option, dest) is not None
        }
        for flag in {flag.long_flag: flag for flag in flags}.values():
            if flag.short_flag in RUNNER_SHORT_FLAGS and flag.short_flag in self.args:
                self.warn(f"{flag.short_flag} was taken as the runner's own flag; write {flag.long_flag} "
                          f"for the experiment flag {flag.short_flag}/{flag.long_flag}")
        targets_before = self.parsed.targets
        self._use_option(option)
        self.unknown_flags = []
        return self.parsed.targets != targets_before

    @staticmethod
    def _split_updates(texts: list[str]) -> tuple[dict, list[str]]:
        if not texts:
            return {}, []
        from sacred.commandline.values import split_updates
        from sacred.utils import SacredError

        try:
            return split_updates(texts)
        except (SacredError, ValueError) as error:
            raise UsageError(str(error)) from None

    @property
    def rootdir(self) -> Path:
        """The rootdir (where the config file, ``.sacred/`` and ``sacred_plugins.py`` live)."""
        return self.ini.rootdir

    @property
    def inipath(self) -> Path | None:
        """The config file in use, or None."""
        return self.ini.inipath

    def getini(self, name: str) -> Any:
        """The converted value of the ini key ``name`` (or its default)."""
        return self.ini.get(name)

    def warn(self, message: str) -> None:
        """Print a warning line (on stderr)."""
        print(f"WARNING: {message}", file=sys.stderr)

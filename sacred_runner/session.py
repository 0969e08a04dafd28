"""The session: collect, select, run each item, summarise. Calls the hooks in order."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sacred_runner.cmdline import experiment_flag
from sacred_runner.collect import (
    SkippedDir,
    collect_error_from,
    find_experiment_files,
    relative_to_root,
)
from sacred_runner.errors import ExitCode, UsageError
from sacred_runner.inifile import path_exists
from sacred_runner.items import CollectError, ExperimentNode, RunItem, RunOutcome

__all__ = ["Session", "Target"]

ITEM_OPTIONS_FROM_INI = {"capture": "--capture", "beat_interval": "--beat_interval", "loglevel": "--loglevel"}


@dataclass
class Target:
    """A path argument, optionally narrowed to ``::experiment`` and ``::command``."""

    path: Path
    experiment: str | None = None
    command: str | None = None


def _selects(target: Target, node: ExperimentNode) -> bool:
    """True if ``target`` (a directory, a file or a node id) covers the experiment ``node``."""
    path = Path(node.path)
    if target.path.is_dir():
        return path.is_relative_to(target.path)
    return target.path == path and target.experiment in (None, node.node_name)


def _check_target_exists(target: Target, nodes: list[ExperimentNode], relpath: str) -> None:
    """Raise a usage error when ``file.py::experiment[::command]`` names nothing collected."""
    node = next((n for n in nodes if n.node_name == target.experiment), None)
    if node is None:
        available = ", ".join(n.node_name for n in nodes) or "none"
        raise UsageError(f"not found: {relpath}::{target.experiment} (experiments in that file: {available})")
    if target.command is not None and not node.has_command(target.command):
        available = ", ".join(c.name for c in node.commands) or "none"
        raise UsageError(
            f"not found: {node.nodeid}::{target.command} (commands of {node.node_name}: {available})"
        )


def _undefined_flags_reason(node: ExperimentNode, own_flags: dict[str, Any]) -> str | None:
    """Why ``node`` cannot take the experiments' own flags given (None if it defines them all)."""
    missing = [key for key in own_flags if not node.defines_flag(key)]
    if not missing:
        return None
    spelled = {flag.key: flag.long_flag for flag in node.flags}
    names = ", ".join(spelled.get(key, key.replace("_", "-")) for key in missing)
    return f"does not define the flag {names}"


def _commands_named_by_keyword(node: ExperimentNode, keyword: Any) -> list[str]:
    """The non-default commands of ``node`` that ``-k`` selects by their own name.

    ``-k`` matches the whole node id ``file.py::experiment::command``, as
    ``sacred collect -q`` lists it: ``-k evaluate`` runs the ``evaluate``
    command. A command is picked when the expression holds for its node id
    but not for the experiment alone, so ``-k linreg`` still runs only the
    default command. Built-in commands (print_config, ...) are not picked.
    """
    from sacred_runner.items import keywords_of

    if not keyword.text.strip():
        return []
    experiment_only = [f"{node.relpath}::{node.node_name}", node.name, node.node_name, node.relpath.rsplit("/", 1)[-1]]
    if keyword.matches(experiment_only):
        return []
    return [
        command.name for command in node.commands
        if not command.is_default and not command.builtin
        and keyword.matches(keywords_of(node.relpath, node.name, node.node_name, command.name))
    ]


def _report_plugin_error(message: str) -> None:
    """A plugin failed at the end of the session: one ``ERROR:`` line; the session's result stands."""
    print(f"ERROR: {message}", file=sys.stderr)


@dataclass
class Deselected:
    """An item (or experiment) left out, and why."""

    label: str
    reason: str


@dataclass
class Session:
    """State of one ``sacred collect`` / ``sacred run`` invocation."""

    config: Any
    nodes: list[ExperimentNode] = field(default_factory=list)
    collect_errors: list[CollectError] = field(default_factory=list)
    items: list[RunItem] = field(default_factory=list)
    deselected: list[Deselected] = field(default_factory=list)
    results: list[tuple[RunItem, RunOutcome]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    skipped: list[SkippedDir] = field(default_factory=list)  # directories (and files) not collected
    unmatched_dirs: list[tuple[Path, int]] = field(default_factory=list)  # (directory, .py files in it)
    interrupted: bool = False
    stopped_early: bool = False
    start_time: float = field(default_factory=time.monotonic)

    # ----------------------------------------------------------------- helpers

    def deselect(self, item: RunItem | ExperimentNode | str, reason: str) -> None:
        """Drop ``item`` from the run with a ``reason`` the summary shows."""
        label = item if isinstance(item, str) else item.nodeid
        if isinstance(item, RunItem) and item in self.items:
            self.items.remove(item)
        self.deselected.append(Deselected(label, reason))

    @property
    def not_started(self) -> list[RunItem]:
        """Selected runs that never started (the session stopped: ``-x`` or Ctrl+C)."""
        ran = {id(item) for item, _ in self.results}
        return [item for item in self.items if id(item) not in ran]

    @property
    def duration(self) -> float:
        """Seconds since the session started."""
        return time.monotonic() - self.start_time

    # ----------------------------------------------------------------- collection

    def _targets(self) -> list[Target]:
        config = self.config
        tokens = config.parsed.targets
        if not tokens:
            ini_paths = config.getini("paths")
            if ini_paths and config.invocation_dir.resolve() == config.rootdir.resolve():
                tokens = []
                for entry in ini_paths:
                    if not path_exists(config.rootdir / entry):
                        where = config.ini.values["paths"].where()
                        raise UsageError(f"{where}: 'paths' names {entry!r}, which does not exist")
                    tokens.append(str(config.rootdir / entry))
            else:
                tokens = [str(config.invocation_dir)]
        targets = []
        for token in tokens:
            path_part, *names = token.split("::")
            path = Path(config.invocation_dir, path_part).resolve()
            if not path_exists(path):
                raise UsageError(f"file or directory not found: {path_part}")
            if names and not path.is_file():
                raise UsageError(f"a node id must start with a file: {token}")
            if path.is_file() and path.suffix != ".py":
                raise UsageError(f"not a Python file: {path_part} (experiment files end with .py)")
            if len(names) > 2 or any(not n for n in names):
                raise UsageError(f"bad node id {token!r}: use file.py::experiment or file.py::experiment::command")
            targets.append(Target(path, *names))
        return targets

    def collect(self) -> None:
        """Find files, collect experiments via ``sacred_collect_file``, apply node-id filters."""
        config = self.config
        targets = self._targets()
        self.skipped, self.unmatched_dirs = [], []
        patterns = config.getini("experiment_files")
        norecurse = config.getini("norecursedirs")
        stores = self._configured_stores()
        files: list[Path] = []
        for target in targets:
            if target.path.is_file():
                found = [target.path]
            else:
                search = find_experiment_files(target.path, patterns, norecurse, stores)
                self.skipped.extend(search.skipped)
                if not search.files:
                    self.unmatched_dirs.append((target.path, search.python_files))
                found = search.files
            files.extend(f for f in found if f not in files)
        by_file: dict[Path, list[ExperimentNode]] = {}
        for path in files:
            relpath = relative_to_root(path, config.rootdir)
            try:
                nodes = config.hook.sacred_collect_file(path=path, config=config) or []
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # noqa: BLE001 - a collection error, reported
                self.collect_errors.append(collect_error_from(error, path, relpath))
                continue
            by_file[path] = nodes
        self._drop_experiment_stores(by_file, {t.path for t in targets if t.path.is_file()})
        self.targets = targets
        for path, nodes in by_file.items():
            wanted = [t for t in targets if t.path == path and t.experiment]
            whole = any(t.path == path and not t.experiment for t in targets) or any(
                t.path.is_dir() and path.is_relative_to(t.path) for t in targets
            )
            for target in wanted:
                _check_target_exists(target, nodes, relative_to_root(path, config.rootdir))
            for node in nodes:
                if whole or any(t.experiment == node.node_name for t in wanted):
                    self.nodes.append(node)

    def _configured_stores(self) -> dict[Path, str]:
        """``{directory: why}`` for the stores configured in the ini file and by observer flags."""
        from sacred_runner.builtin_plugins import parse_observer_spec

        config = self.config
        stores = {(config.rootdir / (config.getini("store") or ".sacred/runs")).resolve(): "the embedded store"}
        specs = []
        for text in config.getini("observers"):
            try:
                specs.append(parse_observer_spec(text))
            except UsageError:
                continue  # reported by the observers plugin when the session runs
        specs += [(kind, experiment_flag(config.option, kind)) for kind in ("file_storage", "tiny_db")]
        for kind, value in specs:
            if kind in ("file_storage", "tiny_db") and value:
                stores[(config.rootdir / value).resolve()] = f"the store of the observer {kind}:{value}"
        return stores

    def _drop_experiment_stores(self, by_file: dict[Path, list[ExperimentNode]], explicit: set[Path]) -> None:
        """Forget files (and their collection errors) inside a store an experiment's own observer writes to."""
        stores = {Path(d): node.nodeid for nodes in by_file.values() for node in nodes for d in node.store_dirs}
        if not stores:
            return

        def store_holding(path: Path) -> Path | None:
            if path in explicit:
                return None
            return next((d for d in stores if path.is_relative_to(d)), None)

        def skip(path: Path, store: Path) -> None:
            where = relative_to_root(store, self.config.rootdir)
            self.skipped.append(SkippedDir(path, f"inside {where}, the store of an observer of {stores[store]}"))

        for path in list(by_file):
            store = store_holding(path)
            if store is not None:
                del by_file[path]
                skip(path, store)
        for error in list(self.collect_errors):
            store = store_holding(Path(error.path))
            if store is not None:
                self.collect_errors.remove(error)
                skip(Path(error.path), store)

    # ----------------------------------------------------------------- selection

    def narrow_listing(self) -> None:
        """For ``sacred collect``: keep the commands that ``-k`` and command node ids select.

        An experiment left without a selected command is deselected.
        """
        from dataclasses import replace

        from sacred_runner.items import keywords_of
        from sacred_runner.keywords import parse_keyword_expression

        keyword = parse_keyword_expression(self.config.option.keyword)
        narrowed = []
        for node in self.nodes:
            named = {target.command for target in self.targets if _selects(target, node)}
            commands = [
                command for command in node.commands
                if (None in named or command.name in named)
                and keyword.matches(keywords_of(node.relpath, node.name, node.node_name, command.name))
            ]
            if not commands:
                self.deselect(node, f"not selected by -k {self.config.option.keyword!r}")
                continue
            narrowed.append(replace(node, commands=commands))
        self.nodes = narrowed

    def _item_options(self) -> tuple[dict, bool]:
        from sacred.commandline_options import BUILTIN_OPTIONS
        from sacred_runner.builtin_plugins import OBSERVER_OPTION_NAMES

        config = self.config
        options: dict[str, Any] = {}
        for key, option_key in ITEM_OPTIONS_FROM_INI.items():
            value = config.getini(key)
            if value is not None:
                options[option_key] = value
        unobserved = False
        for option in BUILTIN_OPTIONS:
            name = option.key[2:]
            value = experiment_flag(config.option, name)
            if value is None or name in OBSERVER_OPTION_NAMES or name == "help":
                continue
            if name == "unobserved":
                unobserved = bool(value)
                continue
            options[option.key] = self._checked_flag_value(name, value)
        return options, unobserved

    def _checked_flag_value(self, name: str, value: Any) -> Any:
        """``value`` of the experiment flag ``--NAME``, or a usage error when the runs would reject it."""
        from sacred.commandline_options import check_option_value
        from sacred_runner.inifile import check_choice

        try:
            check_option_value(f"--{name}", value)
        except ValueError as error:
            raise UsageError(str(error)) from None
        key = self.config.ini.keys.get(name)
        if key is not None and key.choices:
            try:
                check_choice(str(value), key.choices)
            except ValueError as error:
                raise UsageError(f"--{name}: {error}") from None
        return value

    def build_items(self) -> None:
        """Turn collected experiments into run items; deselect what cannot take the session's updates."""
        from sacred_runner.keywords import parse_keyword_expression

        config = self.config
        keyword = parse_keyword_expression(config.option.keyword)
        command = config.parsed.command
        updates, with_named = config.updates
        default_named = config.getini("named_configs")
        options, unobserved = self._item_options()
        if command is not None and self.nodes and not any(n.has_command(command) for n in self.nodes):
            from sacred_runner.cmdline import short_flag_hint

            raise UsageError(
                f"{command!r} is neither an existing path nor a command of any collected experiment "
                f"(commands: {', '.join(sorted({c.name for n in self.nodes for c in n.commands}))})"
                + short_flag_hint(command, config.args)
            )
        own_flags = config.own_flag_values
        rejected: list[str] = []
        candidates = 0
        for node, node_command in self._node_commands(command, keyword):
            if node_command is None:
                self.deselect(node, "has no default command (name one, e.g. sacred run PATH COMMAND)")
                continue
            if not node.has_command(node_command):
                self.deselect(node, f"has no command {node_command!r}")
                continue
            available = {n.name for n in node.named_configs}
            named = tuple([n for n in default_named if n in available] + list(with_named))
            item = RunItem(
                path=node.path, relpath=node.relpath, attribute=node.attribute,
                experiment_name=node.name, node_name=node.node_name, command=node_command,
                config_updates=updates, named_configs=named, options={**options, **own_flags},
                unobserved=unobserved,
            )
            if not keyword.matches(item.keywords()):
                self.deselect(item, f"not selected by -k {config.option.keyword!r}")
                continue
            candidates += 1
            reason = _undefined_flags_reason(node, own_flags)
            if reason is None and (updates or with_named):
                reason = self._why_updates_rejected(item)
            if reason is not None:
                rejected.append(f"{item.nodeid} {reason}")
                self.deselect(item, reason)
                continue
            self.items.append(item)
        if rejected and candidates == len(rejected):
            raise UsageError(
                "no selected experiment accepts the given updates / named configs / flags:\n  "
                + "\n  ".join(rejected)
            )

    def _check_one_run_per_id(self) -> None:
        """A usage error when ``--id`` would name more than one run (the second could never get it)."""
        ids = {item.options.get("--id") for item in self.items} - {None}
        if ids and len(self.items) > 1:
            names = ", ".join(item.nodeid for item in self.items[:4]) + (", ..." if len(self.items) > 4 else "")
            raise UsageError(
                f"--id {sorted(map(str, ids))[0]} names one run, but {len(self.items)} runs are selected "
                f"({names}); select one experiment (PATH::NAME) or leave out --id"
            )

    def _node_commands(self, command: str | None, keyword: Any) -> list[tuple[ExperimentNode, str | None]]:
        """``(node, command to run)`` pairs: one per distinct command the targets ask of a node.

        A node id's own command wins; otherwise the session's COMMAND, else the
        experiment's default command (None when it has none), plus the other
        commands the ``-k`` expression picks by their name.
        """
        pairs: list[tuple[ExperimentNode, str | None]] = []
        for node in self.nodes:
            for target in self.targets:
                if not _selects(target, node):
                    continue
                wanted = target.command or command
                named = [] if wanted else _commands_named_by_keyword(node, keyword)
                chosen = [wanted or node.default_command] if (wanted or node.default_command or not named) else []
                for pair in [(node, name) for name in chosen + named]:
                    if pair not in pairs:
                        pairs.append(pair)
        return pairs

    def _why_updates_rejected(self, item: RunItem) -> str | None:
        from sacred_runner.experiments import check_updates, load_experiment

        experiment = load_experiment(item.path, item.attribute)
        return check_updates(experiment, item.command, item.config_updates, item.named_configs)

    # ----------------------------------------------------------------- running

    def run_items(self) -> None:
        """Run the items: through a launcher plugin (``sacred_launch``), else one by one here."""
        if self.config.hook.sacred_launch(session=self, items=list(self.items)):
            return
        self.run_sequentially(list(self.items))

    def record(self, item: RunItem, outcome: RunOutcome) -> None:
        """Keep ``outcome`` and report it; with ``-x`` a failure stops the session."""
        self.results.append((item, outcome))
        self.config.hook.sacred_run_report(item=item, outcome=outcome)
        if outcome.failed and self.config.option.exitfirst:
            self.stopped_early = True

    def run_sequentially(self, items: list[RunItem]) -> None:
        """Run each item through ``sacred_run_item``; stop on Ctrl+C, or on failure with ``-x``."""
        from sacred_runner.execute import SessionInterrupted

        hook = self.config.hook
        for item in items:
            observers = [o for group in hook.sacred_make_observers(item=item, config=self.config) for o in (group or [])]
            try:
                outcome = hook.sacred_run_item(item=item, observers=observers, session=self)
            except SessionInterrupted as interrupt:
                outcome = interrupt.outcome
                self.interrupted = True
            except KeyboardInterrupt:
                outcome = RunOutcome(status="INTERRUPTED", error_message="interrupted by the user")
                self.interrupted = True
            if outcome is None:
                outcome = RunOutcome(status="ERROR", error_message="no plugin executed this item")
            self.record(item, outcome)
            if self.interrupted or self.stopped_early:
                break

    def exit_status(self) -> ExitCode:
        """The exit code this session ends with."""
        if self.interrupted:
            from sacred_runner.stopping import stop_signal

            return ExitCode.TERMINATED if stop_signal() == "SIGTERM" else ExitCode.INTERRUPTED
        if self.config.subcommand == "run" and self.collect_errors and self.config.option.exitfirst:
            return ExitCode.INTERRUPTED
        if any(outcome.failed for _, outcome in self.results) or self.collect_errors:
            return ExitCode.RUNS_FAILED
        if self.config.subcommand == "collect":
            return ExitCode.OK if self.nodes else ExitCode.NO_RUNS_COLLECTED
        if not self.results:
            return ExitCode.NO_RUNS_COLLECTED
        return ExitCode.OK

    def main(self) -> ExitCode:
        """Run the whole session and return its exit code.

        Run events reach the session's plugins (the manager is attached to
        ``sacred.events`` meanwhile). The summary and ``sacred_sessionfinish``
        always run, each plugin on its own, so a plugin that raises there
        cannot hide results or change the exit code.
        """
        from sacred.events import attached_plugin_manager
        from sacred_runner.plugins import PlainTextReporter, call_each_guarded
        from sacred_runner.stopping import SigTermAsInterrupt

        config = self.config
        hook = config.hook
        with attached_plugin_manager(config.pluginmanager), SigTermAsInterrupt():
            hook.sacred_sessionstart(session=self)
            try:
                self.collect()
                if config.accept_experiment_flags(self.nodes):
                    self.nodes.clear()
                    self.collect_errors.clear()
                    self.collect()
                if config.subcommand == "collect":
                    self.narrow_listing()
                if config.subcommand == "run":
                    self.build_items()
                    hook.sacred_collection_modifyitems(session=self, config=config, items=self.items)
                    self._check_one_run_per_id()
                hook.sacred_collection_finish(session=self)
                if config.subcommand == "run" and not (self.collect_errors and config.option.exitfirst):
                    self.run_items()
            except KeyboardInterrupt:
                self.interrupted = True
        status = self.exit_status()
        reporter = config.pluginmanager.get_plugin("terminal") or PlainTextReporter(config.stdout)
        call_each_guarded(config.pluginmanager, "sacred_terminal_summary",
                          {"reporter": reporter, "exitstatus": int(status), "config": config}, _report_plugin_error)
        call_each_guarded(config.pluginmanager, "sacred_sessionfinish",
                          {"session": self, "exitstatus": int(status)}, _report_plugin_error)
        return status

"""The ``launch`` plugin: ``-n N``, ``--launcher NAME``; builds launchers and drives them.

Launchers are chosen by name on the ``sacred_make_launcher`` hook, so a
third-party plugin adds one by answering for its own name. Built in:
``sequential`` (the default: in this process, one run at a time, through
``sacred_run_item``), ``local`` (``-n N``), ``dask`` and ``submitit``
(optional extras, imported only when chosen).
"""

from __future__ import annotations

from typing import Any

from sacred_runner.errors import UsageError
from sacred_runner.hookspecs import hookimpl

__all__ = ["BUILTIN_LAUNCHERS", "LaunchPlugin", "open_launcher"]

BUILTIN_LAUNCHERS = ("sequential", "local", "dask", "submitit")
DEFAULT_CONNECT_TIMEOUT = 10.0


def chosen_launcher(config: Any) -> str:
    """The launcher name of this session: ``--launcher``, else ``local`` with ``-n``, else ``sequential``."""
    option = config.option
    name = getattr(option, "launcher", None)
    if name:
        return name
    return "local" if getattr(option, "numprocesses", None) else "sequential"


def process_count(config: Any, default: int | None = None) -> int | None:
    """The ``-n`` value as a number (None when not given and no ``default``)."""
    from sacred_runner.launch.local import parse_process_count

    text = getattr(config.option, "numprocesses", None)
    if text is None:
        return default
    try:
        return parse_process_count(text)
    except ValueError as error:
        raise UsageError(str(error)) from None


def store_specs(config: Any) -> list[tuple[str, str]]:
    """The ``(kind, value)`` specs of the session's stores (built again where runs execute)."""
    observers = config.pluginmanager.get_plugin("observers")
    return list(getattr(observers, "specs", None) or [])


class LaunchedRuns:
    """An open launcher: run batches of items through it, then close."""

    def __init__(self, session: Any, launcher: Any) -> None:
        from sacred_runner.launch.driver import LaunchDriver

        self.session = session
        self.launcher = launcher
        self.driver = LaunchDriver(session, launcher, store_specs(session.config)) if launcher else None

    @property
    def slots(self) -> int:
        """How many runs execute at once."""
        return self.launcher.slots if self.launcher is not None else 1

    def run_batch(self, items: list[Any]) -> list[tuple[Any, Any]]:
        """Run ``items``; return ``(item, outcome)`` of those that ran."""
        if self.driver is None:
            before = len(self.session.results)
            self.session.run_sequentially(items)
            return self.session.results[before:]
        return self.driver.run(items)

    def close(self) -> None:
        """Release the launcher's workers."""
        if self.launcher is not None:
            self.launcher.close()


def open_launcher(session: Any) -> LaunchedRuns:
    """The session's launcher, started (the in-process one when ``sequential``)."""
    config = session.config
    name = chosen_launcher(config)
    if name == "sequential":
        return LaunchedRuns(session, None)
    launcher = config.hook.sacred_make_launcher(name=name, config=config)
    if launcher is None:
        raise UsageError(f"unknown launcher {name!r} (built in: {', '.join(BUILTIN_LAUNCHERS)}; plugins may add more)")
    launcher.start()
    return LaunchedRuns(session, launcher)


class LaunchPlugin:
    """Options and hooks of the built-in launchers."""

    @hookimpl
    def sacred_addoption(self, parser: Any) -> None:
        """``-n``, ``--launcher``, ``--scheduler``, ``--connect-timeout``, ``--submitit-folder``."""
        parser.addoption("-n", "--numprocesses", dest="numprocesses", metavar="N", default=None,
                         help="run on N local worker processes (or 'auto': one per CPU)")
        parser.addoption("--launcher", dest="launcher", metavar="NAME", default=None,
                         help="where runs execute: sequential (default), local (-n), dask, submitit")
        parser.addoption("--scheduler", dest="scheduler", metavar="ADDRESS", default=None,
                         help="--launcher dask: the scheduler, e.g. tcp://10.0.0.5:8786 (default: a LocalCluster)")
        parser.addoption("--connect-timeout", dest="connect_timeout", metavar="SECONDS", type=float,
                         default=DEFAULT_CONNECT_TIMEOUT, help="--launcher dask: give up connecting after SECONDS")
        parser.addoption("--submitit-folder", dest="submitit_folder", metavar="DIR", default=None,
                         help="--launcher submitit: job folder (default .sacred/submitit in the rootdir)")
        parser.addoption("--submitit-cluster", dest="submitit_cluster", metavar="KIND", default=None,
                         help="--launcher submitit: slurm, local or debug (default: slurm when available, else local)")

    @hookimpl
    def sacred_configure(self, config: Any) -> None:
        """Check ``-n`` and ``--launcher`` before anything runs."""
        if config.subcommand != "run":
            return
        process_count(config)
        name = chosen_launcher(config)
        if name == "sequential" and getattr(config.option, "numprocesses", None):
            raise UsageError("-n runs on local worker processes: it cannot be combined with --launcher sequential")
        if getattr(config.option, "scheduler", None) and name != "dask":
            raise UsageError("--scheduler names a Dask scheduler: add --launcher dask")
        for flag, dest in (("--submitit-folder", "submitit_folder"), ("--submitit-cluster", "submitit_cluster")):
            if getattr(config.option, dest, None) and name != "submitit":
                raise UsageError(f"{flag} belongs to --launcher submitit")
        timeout = getattr(config.option, "connect_timeout", DEFAULT_CONNECT_TIMEOUT)
        if not timeout > 0:
            raise UsageError(f"--connect-timeout: expected a positive number of seconds, got {timeout}")

    @hookimpl
    def sacred_report_header(self, config: Any) -> str | None:
        """``launcher: ...`` when runs do not execute in this process."""
        if config.subcommand != "run":
            return None
        name = chosen_launcher(config)
        if name == "sequential":
            return None
        if name == "local":
            count = process_count(config, default=process_count_default())
            return f"launcher: local, {count} worker process{'es' if count != 1 else ''}"
        if name == "dask":
            return f"launcher: dask, scheduler {getattr(config.option, 'scheduler', None) or '(LocalCluster)'}"
        return f"launcher: {name}"

    @hookimpl
    def sacred_make_launcher(self, name: str, config: Any) -> Any:
        """The built-in launchers."""
        if name == "local":
            from sacred_runner.launch.local import LocalPoolLauncher

            # with -x no task waits in reserve on a worker: nothing starts after the first failure
            return LocalPoolLauncher(process_count(config, default=process_count_default()),
                                     reserve=0 if config.option.exitfirst else 1)
        if name == "dask":
            from sacred_runner.launch.dask_launcher import DaskLauncher

            return DaskLauncher(
                scheduler=getattr(config.option, "scheduler", None),
                workers=process_count(config),
                connect_timeout=config.option.connect_timeout,
                stores=store_specs(config),
                rootdir=str(config.rootdir),
                default_store=is_default_store(config),
                reserve=0 if config.option.exitfirst else 1,
            )
        if name == "submitit":
            from sacred_runner.launch.submitit_launcher import SubmititLauncher

            folder = config.option.submitit_folder or str(config.rootdir / ".sacred" / "submitit")
            return SubmititLauncher(folder, cluster=config.option.submitit_cluster,
                                    slots=process_count(config, default=process_count_default()))
        return None

    @hookimpl
    def sacred_launch(self, session: Any, items: list[Any]) -> bool | None:
        """Run all items through the chosen launcher (None for the default in-process one)."""
        if chosen_launcher(session.config) == "sequential":
            return None
        runs = open_launcher(session)
        try:
            runs.run_batch(items)
        finally:
            runs.close()
        return True


def process_count_default() -> int:
    """Workers when ``-n`` is not given to a launcher that needs a count: one per CPU."""
    import os

    return max(1, os.cpu_count() or 1)


def is_default_store(config: Any) -> bool:
    """True when the runs go to the embedded default store (no observer configured)."""
    observers = config.pluginmanager.get_plugin("observers")
    return bool(getattr(observers, "uses_default_store", False))

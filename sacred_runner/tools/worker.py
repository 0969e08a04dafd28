"""``sacred worker STORE``: execute the runs queued in STORE, one after the other.

Start as many workers as you like, on any machine that reaches the store:
each run is claimed atomically by exactly one of them (see
:mod:`sacred_runner.queue`), executed as that same run
(:mod:`sacred_runner.queue_worker`) and reported like ``sacred run`` reports.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from sacred_runner.errors import ExitCode, UsageError

__all__ = ["SUMMARY", "build_parser", "main"]

SUMMARY = "claim queued runs from a store and execute them: sacred worker STORE [OPTIONS]"


def _number(kind: type, minimum: float, what: str, strict: bool = False) -> Any:
    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return convert


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``sacred worker``."""
    from sacred_runner.cmdline import _ArgumentParser

    parser = _ArgumentParser(
        prog="sacred worker", add_help=False,
        description="Claim the highest-priority, oldest QUEUED run in STORE, execute it as that same run "
                    "(QUEUED -> RUNNING -> COMPLETED/FAILED/INTERRUPTED), and take the next.",
        epilog="STORE: a FileStorage folder, mongodb://HOST:PORT/DATABASE, sqlite:///PATH.db or "
               "postgresql://USER@HOST:PORT/DATABASE. Queue runs with 'sacred run ... --queue' or "
               "'python exp.py -q'. SIGTERM stops the worker after recording the current run INTERRUPTED.",
    )
    parser.add_argument("store", metavar="STORE", help="where the queued runs are")
    parser.add_argument("-h", "--help", action="store_true", help="show this help message and exit")
    parser.add_argument("--rootdir", metavar="DIR",
                        help="where queued runs' experiment files are looked up (default: the rootdir "
                             "found from the working directory, as 'sacred run' finds it)")
    parser.add_argument("--max-runs", type=_number(int, 0, "a whole number >= 0"), metavar="N",
                        help="stop after executing N runs")
    parser.add_argument("--idle-timeout", type=_number(float, 0, "a number of seconds >= 0"), metavar="S",
                        help="stop after S seconds without a queued run to take (default: wait forever)")
    parser.add_argument("-k", dest="keyword", default="", metavar="EXPR",
                        help="only take runs whose file, experiment or command match EXPR (as 'sacred run -k')")
    parser.add_argument("--from-sources", action="store_true",
                        help="run the sources stored with each run instead of the files in the rootdir")
    parser.add_argument("--strict", action="store_true",
                        help="refuse (record FAILED) a run whose experiment file changed since it was queued")
    parser.add_argument("--requeue-dead", action="store_true",
                        help="also put dead queued runs (heartbeat stopped) back in the queue as new attempts")
    parser.add_argument("--max-attempts", type=_number(int, 1, "a whole number >= 1"), default=3, metavar="K",
                        help="with --requeue-dead: give a run at most K attempts (default 3)")
    parser.add_argument("--dead-after-beats", type=_number(float, 0, "a positive number", strict=True),
                        default=None, metavar="M",
                        help="a RUNNING run is dead after M beat intervals without a heartbeat (default 6)")
    parser.add_argument("--dead-min-seconds", type=_number(float, 0, "a number of seconds >= 0"),
                        default=None, metavar="S", help="... and never before S seconds (default 60)")
    parser.add_argument("--poll-interval", type=_number(float, 0, "a positive number of seconds", strict=True),
                        default=1.0, metavar="S", help="seconds between looks at an empty queue (default 1)")
    parser.add_argument("-q", "--quiet", action="count", default=0, help="less output")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more output")
    from sacred_runner.color import add_color_option

    add_color_option(parser)
    return parser


class _WorkerConfig:
    """The parts of the runner's ``Config`` the terminal reporter uses."""

    subcommand = "run"

    def __init__(self, option: argparse.Namespace, rootdir: Path, manager: Any, stdout: TextIO,
                 inipath: Path | None = None) -> None:
        self.option = option
        self.rootdir = rootdir
        self.inipath = inipath  # shown in the header, as by sacred run (it decided the rootdir)
        self.pluginmanager = manager
        self.hook = manager.hook
        self.stdout = stdout
        self.warnings: list[str] = []
        self.session: Any = None

    def getini(self, name: str) -> Any:
        """No ini keys apply to workers."""
        return None


def _located(option: argparse.Namespace) -> tuple[Path, Path | None]:
    """``(rootdir, config file or None)``, found as ``sacred run`` finds them."""
    from sacred_runner.inifile import locate_config

    located = locate_config([], None, option.rootdir, Path.cwd())
    return located.rootdir, located.inipath


def main(argv: list[str], stdout: TextIO) -> int:
    """Run ``sacred worker ARGV``; return the exit code."""
    parser = build_parser()
    if "-h" in argv or "--help" in argv:
        parser.print_help(stdout)
        return ExitCode.OK
    option = parser.parse_args(argv)
    option.exitfirst = False
    option.json = False
    from sacred.liveness import DEFAULT_DEAD_MULTIPLE, DEFAULT_MIN_DEAD_SECONDS
    from sacred_runner.keywords import parse_keyword_expression
    from sacred_runner.queue import open_queue_store
    from sacred_runner.queue.dead import DeadPolicy
    from sacred_runner.queue_worker import Worker, WorkerOptions, WorkerSession, exit_code

    try:
        parse_keyword_expression(option.keyword)
    except ValueError as error:
        raise UsageError(f"-k {option.keyword!r}: {error}") from None
    rootdir, inipath = _located(option)
    policy = DeadPolicy(
        multiple=option.dead_after_beats or DEFAULT_DEAD_MULTIPLE,
        min_seconds=DEFAULT_MIN_DEAD_SECONDS if option.dead_min_seconds is None else option.dead_min_seconds,
        max_attempts=option.max_attempts,
    )
    store = open_queue_store(option.store)
    import pluggy

    from sacred_runner import hookspecs
    from sacred_runner.reporter import TerminalReporter

    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    reporter = TerminalReporter()
    manager.register(reporter, name="terminal")
    config = _WorkerConfig(option, rootdir, manager, stdout, inipath)
    session = WorkerSession(config)
    config.session = session
    manager.hook.sacred_configure(config=config)
    reporter.live_enabled = False  # the number of runs is unknown: one line per run
    worker = Worker(store, WorkerOptions(
        rootdir=rootdir, max_runs=option.max_runs, idle_timeout=option.idle_timeout, keyword=option.keyword,
        from_sources=option.from_sources, strict=option.strict, requeue_dead=option.requeue_dead,
        dead_policy=policy, poll_interval=option.poll_interval,
    ), manager.hook, reporter, session, stdout)
    manager.hook.sacred_sessionstart(session=session)
    if reporter.verbosity >= 0:
        reporter.write_line(f"worker {worker.identity.as_dict()['name']} serving {store.description}")
        reporter.write_line()
    try:
        worker.serve()
    finally:
        worker.close()
        store.close()
    code = exit_code(worker)
    manager.hook.sacred_terminal_summary(reporter=reporter, exitstatus=int(code), config=config)
    manager.hook.sacred_sessionfinish(session=session, exitstatus=int(code))
    return code

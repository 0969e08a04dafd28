"""``sacred worker``: claim queued runs from a store and execute each as that same run.

Not to be confused with :mod:`sacred_runner.worker`, the child process of
``sacred run --isolate``.

The loop: (optionally) requeue dead runs, claim the next run
(:meth:`QueueStore.claim`), find its code (the experiment file in the worker's
rootdir, or with ``--from-sources`` the sources stored with the run), run it
with the store's observer and ``--id`` set to the claimed id, report it through
the terminal reporter of ``sacred run``, and take the next. A run that cannot
start is recorded FAILED with the reason; the worker goes on. A store that
cannot be reached is waited for. SIGTERM stops the worker after the current
run is recorded INTERRUPTED.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sacred.queueing import QUEUE_FORMAT
from sacred_runner.errors import ExitCode
from sacred_runner.items import RunItem, RunOutcome
from sacred_runner.queue import Claim, QueueStore, StoreUnavailable, WorkerIdentity
from sacred_runner.queue.dead import DeadPolicy, attempt_number

__all__ = ["CannotStart", "Worker", "WorkerOptions"]

#: meta_info keys a run gets afresh from its options; the rest of the stored meta info is kept
_REBUILT_META_KEYS = ("command", "options", "named_configs", "config_updates")
MAX_OUTAGE_PAUSE = 5.0


class CannotStart(Exception):
    """A claimed run cannot be started here (its file is missing, changed with --strict, ...)."""


@dataclass
class WorkerOptions:
    """What ``sacred worker`` was asked to do."""

    rootdir: Path
    max_runs: int | None = None
    idle_timeout: float | None = None
    keyword: str = ""
    from_sources: bool = False
    strict: bool = False
    requeue_dead: bool = False
    dead_policy: DeadPolicy = field(default_factory=DeadPolicy)
    poll_interval: float = 1.0
    sweep_interval: float = 1.0


@dataclass
class WorkerSession:
    """What the terminal reporter reads at the end (the shape of a ``sacred run`` session)."""

    config: Any
    results: list = field(default_factory=list)
    deselected: list = field(default_factory=list)
    collect_errors: list = field(default_factory=list)
    items: list = field(default_factory=list)
    nodes: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    unmatched_dirs: list = field(default_factory=list)
    interrupted: bool = False
    stopped_early: bool = False
    start_time: float = field(default_factory=time.monotonic)

    @property
    def not_started(self) -> list:
        """A worker starts every run it claims: none is left unstarted."""
        return []

    @property
    def duration(self) -> float:
        """Seconds since the worker started."""
        return time.monotonic() - self.start_time


def item_for(claim: Claim) -> RunItem:
    """The run item (as ``sacred run`` reports it) of a claimed run: node id ``file::exp::cmd[id=N]``."""
    record = claim.record
    name = str(record.get("experiment") or "?")
    relpath = str(record.get("file") or record.get("mainfile") or "?")
    return RunItem(
        path=relpath, relpath=relpath, attribute=str(record.get("attribute") or ""),
        experiment_name=name, node_name=name, command=str(record.get("command") or "main"),
        config_updates=dict(record.get("config_updates") or {}),
        named_configs=tuple(record.get("named_configs") or ()),
        options=dict(record.get("options") or {}),
        label=f"id={claim.run_id}",  # runs of one experiment are told apart by their id
    )


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _find_experiment(module: Any, path: Path, record: dict) -> Any:
    from sacred_runner.experiments import find_experiments

    attribute = record.get("attribute")
    found = find_experiments(module, path)
    if attribute:
        for name, experiment in found:
            if name == attribute:
                return experiment
    for _name, experiment in found:
        if experiment.path == record.get("experiment"):
            return experiment
    if len(found) == 1 and not attribute:
        return found[0][1]
    wanted = attribute or record.get("experiment")
    raise CannotStart(f"{path} defines no experiment {wanted!r} (found: {', '.join(n for n, _ in found) or 'none'})")


class Worker:
    """Claims and runs queued runs from one store (see the module docstring)."""

    def __init__(self, store: QueueStore, options: WorkerOptions, hook: Any, reporter: Any,
                 session: WorkerSession, stdout: TextIO) -> None:
        self.store = store
        self.options = options
        self.hook = hook
        self.reporter = reporter
        self.session = session
        self.stdout = stdout
        self.identity = WorkerIdentity()
        self.stop_requested = False
        self.stopped_by_signal = False
        self._warned: set[Any] = set()
        self._modules: dict[str, tuple[tuple, Any]] = {}
        self._sources_dir: str | None = None
        self._last_sweep = float("-inf")
        self._outage_since: float | None = None
        from sacred_runner.keywords import parse_keyword_expression

        self._keyword = parse_keyword_expression(options.keyword)

    # ------------------------------------------------------------------ output

    def say(self, text: str, style: str | None = None) -> None:
        """One line through the reporter."""
        self.reporter.write_line(text, style=style)

    def warn(self, key: Any, text: str) -> None:
        """A warning line on stderr, once per ``key``."""
        if key in self._warned:
            return
        self._warned.add(key)
        print(f"WARNING: {text}", file=sys.stderr, flush=True)

    # ------------------------------------------------------------------ signals

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.stop_requested = True
        self.stopped_by_signal = True

    def _install_idle_handler(self) -> None:
        if _in_main_thread():
            signal.signal(signal.SIGTERM, self._on_sigterm)

    def _hand_sigterm_to_run(self) -> None:
        # the run's own guard takes SIGTERM over only from the default handler;
        # it then records the run INTERRUPTED, deferring a signal while it saves
        if _in_main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    # ------------------------------------------------------------------ selection

    def accept(self, run_id: Any, record: Any) -> bool:
        """Whether this worker takes the queued run ``run_id`` with queue record ``record``."""
        if not isinstance(record, dict) or not (record.get("file") or record.get("mainfile")):
            self.warn(("norecord", run_id), f"queued run {run_id} carries no queue record (queued by another "
                                            "tool or by sacred 0.8.7); left queued")
            return False
        version = record.get("format")
        if not isinstance(version, int) or version > QUEUE_FORMAT:
            self.warn(("format", run_id), f"queued run {run_id} was queued by a newer sacred (queue format "
                                          f"{version!r}; this worker reads up to {QUEUE_FORMAT}); left queued "
                                          "for a newer worker")
            return False
        item = item_for(Claim(run_id, {"queue": record}, ""))
        return self._keyword.matches(item.keywords())

    # ------------------------------------------------------------------ the loop

    def serve(self) -> None:
        """Claim and run until told to stop, ``--max-runs`` is reached or idle for ``--idle-timeout``."""
        options = self.options
        done = 0
        idle_since = time.monotonic()
        self._install_idle_handler()
        try:
            while not self.stop_requested:
                if options.requeue_dead:
                    self._sweep_dead()
                if options.max_runs is not None and done >= options.max_runs:
                    break
                claim = self._next_claim()
                if self.stop_requested:
                    if claim is not None:
                        self._end_unstarted(claim, "INTERRUPTED", "the worker was stopped before the run started")
                    break
                if claim is None:
                    if options.idle_timeout is not None and time.monotonic() - idle_since >= options.idle_timeout:
                        break
                    self._pause(options.poll_interval)
                    continue
                self.execute(claim)
                done += 1
                idle_since = time.monotonic()
        except KeyboardInterrupt:
            self.session.interrupted = not self.stopped_by_signal
        finally:
            if _in_main_thread():
                signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stop_requested and time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))

    def _outage(self, error: Exception) -> None:
        now = time.monotonic()
        if self._outage_since is None:
            self._outage_since = now
            self.warn(("outage", now), f"store {self.store.description} cannot be reached ({error}); waiting")
        self._pause(min(MAX_OUTAGE_PAUSE, 0.5 + (now - self._outage_since) / 4))

    def _store_back(self) -> None:
        if self._outage_since is not None:
            print(f"store {self.store.description} is reachable again", file=sys.stderr, flush=True)
            self._outage_since = None

    def _next_claim(self) -> Claim | None:
        try:
            claim = self.store.claim(self.identity, self.accept)
        except StoreUnavailable as error:
            self._outage(error)
            return None
        self._store_back()
        return claim

    # ------------------------------------------------------------------ dead runs

    def _sweep_dead(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < self.options.sweep_interval:
            return
        self._last_sweep = now
        policy = self.options.dead_policy
        try:
            for run in self.store.running_runs():
                if not policy.is_dead(run.last_beat, run.beat_interval):
                    continue
                attempt = attempt_number(run.meta)
                record: dict | None = None
                if not policy.may_requeue(run.meta):
                    reason = f"attempt {attempt} of {policy.max_attempts}"
                else:
                    try:
                        record = self._record_of(run)
                        reason = ""
                    except CannotStart as why:
                        reason = str(why)
                result = self.store.requeue_dead(run, record, reason)
                if result is None:
                    continue
                if result is True:
                    self.say(f"run {run.run_id} is DEAD ({reason}): not requeued", style="red")
                else:
                    self.say(f"run {run.run_id} is DEAD: requeued as run {result} (attempt {attempt + 1})",
                             style="yellow")
        except StoreUnavailable as error:
            self._outage(error)

    def _record_of(self, run: Any) -> dict:
        """The queue record to run the dead ``run`` again with: its own, or one derived from what is stored.

        A run started directly (``sacred run``, ``python exp.py``) carries no
        queue record; it gets one from its stored experiment, meta info and
        config (so the same seed), its file located in this worker's rootdir.
        Raises :class:`CannotStart` with the reason when that is not possible.
        """
        from sacred.queueing import record_from

        record = run.meta.get("queue")
        if isinstance(record, dict):
            return record
        stored = self.store.stored_run(run.run_id)
        if stored is None:
            raise CannotStart("its stored record could not be read")
        experiment, config = stored
        mainfile, base_dir = experiment.get("mainfile"), experiment.get("base_dir")
        if not mainfile:
            raise CannotStart("it was started directly and the store names no experiment file "
                              "(an interactive session?)")
        record = record_from(experiment, run.meta, config)
        record["priority"] = 0
        located = self._locate(str(mainfile), str(base_dir or ""), record)
        if located is None:
            where = os.path.join(str(base_dir or ""), str(mainfile))
            raise CannotStart(f"it was started directly from {where}, which is not found in the worker's "
                              f"rootdir {self.options.rootdir} (start the worker with --rootdir DIR, or "
                              "--from-sources to run the sources stored with the run)")
        record["file"] = located
        return record

    def _locate(self, mainfile: str, base_dir: str, record: dict) -> str | None:
        """The experiment file ``base_dir/mainfile`` relative to this worker's rootdir (None: not found)."""
        rootdir = self.options.rootdir.resolve()
        candidates = []
        if base_dir:
            path = Path(base_dir, mainfile).resolve()
            if path.is_relative_to(rootdir):
                candidates.append(path.relative_to(rootdir).as_posix())
        if record.get("file"):
            candidates.append(str(record["file"]))
        candidates.append(Path(mainfile).as_posix())
        for relpath in candidates:
            if (rootdir / relpath).is_file():
                return relpath
        if self.options.from_sources and any(rel == mainfile for rel, _md5 in record.get("sources") or []):
            return mainfile
        return None

    # ------------------------------------------------------------------ one run

    def execute(self, claim: Claim) -> RunOutcome:
        """Run the claimed run as that same run and report it."""
        from sacred_runner.execute import error_text
        from sacred_runner.tracking import HookRelayObserver, describe_store

        item = item_for(claim)
        try:
            experiment = self._load(claim)
        except CannotStart as reason:
            return self._end_unstarted(claim, "FAILED", str(reason), item)
        except KeyboardInterrupt:
            self._end_unstarted(claim, "INTERRUPTED", "the worker was stopped before the run started", item)
            raise
        except Exception as error:  # noqa: BLE001 - the file failed to import
            from sacred_runner.collect import collect_error_from

            relpath = str(claim.record.get("file") or claim.record.get("mainfile"))
            problem = collect_error_from(error, self.options.rootdir / relpath, relpath)
            return self._end_unstarted(claim, "FAILED",
                                       f"the experiment file failed to import: {problem.location()}: {problem.message}",
                                       item)
        observer = self.store.make_observer()
        relay = HookRelayObserver(item, self.hook)
        saved = list(experiment.observers)
        experiment.observers[:] = [observer, relay]
        meta = {k: v for k, v in claim.meta.items() if k not in _REBUILT_META_KEYS}
        options = {**item.options, "--id": claim.run_id}
        error: str | None = None
        try:
            run = experiment._create_run(item.command, dict(item.config_updates), item.named_configs,
                                         meta_info=meta, options=options)
            experiment.current_run = run
            self._hand_sigterm_to_run()
            try:
                run()
            finally:
                self._install_idle_handler()
                experiment.current_run = None
        except KeyboardInterrupt as interrupt:
            if not relay.started:
                self._end_unstarted(claim, "INTERRUPTED", "the worker was stopped before the run started", item)
                raise
            self.stop_requested = True
            if type(interrupt).__name__ == "SigTermInterrupt":
                self.stopped_by_signal = True
            else:
                self.session.interrupted = True
        except Exception as failure:  # noqa: BLE001 - the run's failure, already recorded if it started
            error = error_text(failure)
        finally:
            experiment.observers[:] = saved
        if not relay.started:
            return self._end_unstarted(claim, "FAILED", error or "the run did not start", item)
        outcome = relay.outcome
        if outcome.status == "RUNNING":
            outcome.status = "FAILED"
            outcome.error_message = error or "the run ended without a final event"
        outcome.stores = [describe_store(observer, outcome.run_id)]
        self._report(item, outcome)
        return outcome

    def _end_unstarted(self, claim: Claim, status: str, reason: str, item: RunItem | None = None) -> RunOutcome:
        try:
            self.store.end_claimed(claim, status, reason)
        except StoreUnavailable as error:
            self.warn(("end", claim.run_id), f"could not record run {claim.run_id} as {status} ({error}); "
                                             "it will show as DEAD and can be requeued")
        outcome = RunOutcome(status=status, run_id=claim.run_id, error_message=reason,
                             stores=[self.store.description])
        self._report(item or item_for(claim), outcome)
        return outcome

    def _report(self, item: RunItem, outcome: RunOutcome) -> None:
        self.session.results.append((item, outcome))
        self.hook.sacred_run_report(item=item, outcome=outcome)

    # ------------------------------------------------------------------ code

    def _load(self, claim: Claim) -> Any:
        record = claim.record
        path = self._sources_path(claim) if self.options.from_sources else self._rootdir_path(claim)
        return _find_experiment(self._import(path), path, record)

    def _rootdir_path(self, claim: Claim) -> Path:
        record = claim.record
        relpath = record.get("file") or record.get("mainfile")
        path = (self.options.rootdir / str(relpath)).resolve()
        if not path.is_file():
            raise CannotStart(
                f"experiment file {relpath} not found in the worker's rootdir {self.options.rootdir} "
                "(start the worker with --rootdir DIR, or --from-sources to run the sources stored with the run)"
            )
        queued_md5 = record.get("mainfile_md5")
        current = _md5(path.read_bytes())
        if queued_md5 and current != queued_md5:
            message = (f"run {claim.run_id}: {relpath} changed since the run was queued "
                       f"(md5 {current}, queued with {queued_md5})")
            if self.options.strict:
                raise CannotStart(f"refused with --strict: {message}")
            self.warn(("md5", claim.run_id), message + "; running the file as it is now")
        return path

    def _sources_path(self, claim: Claim) -> Path:
        record = claim.record
        mainfile = record.get("mainfile")
        sources = [list(s) for s in record.get("sources") or []]
        if not mainfile or not sources:
            raise CannotStart(f"run {claim.run_id} has no stored sources to run (--from-sources)")
        try:
            stored = self.store.stored_sources(claim)
        except StoreUnavailable as error:
            raise CannotStart(f"could not read the stored sources of run {claim.run_id}: {error}") from None
        digest = _md5(repr(sorted(map(tuple, sources))).encode())[:16]
        root = Path(self._sources_root(), digest)
        for rel, md5 in sources:
            content = stored.get(rel)
            if content is None:
                raise CannotStart(f"run {claim.run_id}: the stored source {rel} is missing from the store")
            if md5 and _md5(content) != md5:
                message = f"run {claim.run_id}: stored source {rel} does not match its md5 {md5}"
                if self.options.strict:
                    raise CannotStart(f"refused with --strict: {message}")
                self.warn(("md5", claim.run_id, rel), message)
            target = (root / rel).resolve()
            if not target.is_relative_to(root.resolve()):
                raise CannotStart(f"run {claim.run_id}: stored source name {rel!r} leaves the sources folder")
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                temporary = target.with_name(target.name + f".{os.getpid()}.tmp")
                temporary.write_bytes(content)
                os.replace(temporary, target)
        return root / mainfile

    def _sources_root(self) -> str:
        if self._sources_dir is None:
            self._sources_dir = tempfile.mkdtemp(prefix="sacred-worker-sources-")
        return self._sources_dir

    def _import(self, path: Path) -> Any:
        """Import ``path``; again when the file changed since it was imported."""
        from sacred_runner.importer import import_file

        stat = path.stat()
        signature = (stat.st_mtime_ns, stat.st_size)
        cached = self._modules.get(str(path))
        if cached is not None and cached[0] == signature:
            return cached[1]
        for name, module in list(sys.modules.items()):  # never a copy imported before the file changed
            filename = getattr(module, "__file__", None)
            if filename and os.path.abspath(filename) == str(path):
                del sys.modules[name]
        import linecache

        linecache.checkcache(str(path))  # config scopes read their source: never the old text
        module = import_file(path)
        self._modules[str(path)] = (signature, module)
        return module

    def close(self) -> None:
        """Remove the materialised sources."""
        if self._sources_dir is not None:
            import shutil

            shutil.rmtree(self._sources_dir, ignore_errors=True)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def exit_code(worker: Worker) -> ExitCode:
    """0 when every run completed (or the worker was told to stop), 1 if some failed, 2 on Ctrl+C."""
    if worker.session.interrupted:
        return ExitCode.INTERRUPTED
    if any(outcome.failed for _, outcome in worker.session.results):
        return ExitCode.RUNS_FAILED
    return ExitCode.OK


"""The runner's side of a launch: messages -> plugin hooks, outcomes and store records.

:class:`LaunchDriver` turns the session's run items into
:class:`~sacred_runner.launch.base.LaunchTask` s, hands them to a launcher
and handles every message the launcher reports (always in the thread that
called :meth:`LaunchDriver.run`):

* :class:`RunEvent` -> a :class:`~sacred_runner.tracking.HookRelayObserver`
  per task, which calls ``sacred_run_event`` (the live display) and tracks
  the outcome, exactly as for an in-process run;
* :class:`TaskFinished` / :class:`TaskLost` -> a :class:`RunOutcome`,
  recorded with ``session.record``; a run that started but whose worker died
  gets its FAILED (or INTERRUPTED) record written by :mod:`.salvage`;
* :class:`AttemptStarted` for a task whose earlier attempt started a run that
  never ended (the cluster re-ran it elsewhere): that earlier run is recorded
  FAILED, naming the worker it lost and the new attempt;
* :class:`TaskCancelled` -> nothing is recorded: the item is one of the session's
  runs that never started, as when the sequential runner stops early.
"""

from __future__ import annotations

from typing import Any

from sacred_runner.items import RunItem, RunOutcome
from sacred_runner.launch.base import (
    AttemptStarted,
    LaunchControl,
    Launcher,
    LaunchTask,
    Message,
    RunEvent,
    TaskCancelled,
    TaskFinished,
    TaskLost,
)
from sacred_runner.launch.salvage import describe_spec, record_lost_run
from sacred_runner.tracking import HookRelayObserver, utc_now

__all__ = ["LaunchDriver"]


class _Tracker:
    """What the runner knows about one task."""

    def __init__(self, task: LaunchTask, hook: Any) -> None:
        self.task = task
        self.hook = hook
        self.relay = HookRelayObserver(task.item, hook)
        self.where: str | None = None
        self.done = False
        self.notes: list[str] = []

    @property
    def run_id(self) -> Any:
        return self.relay.outcome.run_id

    def running(self) -> bool:
        """True when a run started and has not reported its end."""
        return self.relay.started and not self.relay.finished


class LaunchDriver:
    """Runs items through ``launcher`` and records their outcomes in ``session``."""

    def __init__(self, session: Any, launcher: Launcher, stores: list[tuple[str, str]]) -> None:
        self.session = session
        self.launcher = launcher
        self.stores = tuple(stores)
        self.rootdir = str(session.config.rootdir)
        self.cwd = str(session.config.invocation_dir)
        self.hook = session.config.hook
        self.control = LaunchControl()
        self.trackers: dict[str, _Tracker] = {}
        self._counter = 0

    # ------------------------------------------------------------------ running

    def run(self, items: list[RunItem]) -> list[tuple[RunItem, RunOutcome]]:
        """Execute ``items``; return ``(item, outcome)`` for each one that ran (in finishing order)."""
        tasks = []
        for item in items:
            self._counter += 1
            task = LaunchTask(f"t{self._counter}", item, self.stores, self.rootdir, self.cwd)
            self.trackers[task.key] = _Tracker(task, self.hook)
            tasks.append(task)
        finished: list[tuple[RunItem, RunOutcome]] = []
        self._finished = finished
        try:
            self.launcher.run(tasks, self.report, self.control)
        except KeyboardInterrupt:
            self.control.interrupted = True
        for task in tasks:  # a launcher that returned without reporting a task: never silently lost
            tracker = self.trackers[task.key]
            if not tracker.done:
                reason = "interrupted by the user" if self.control.interrupted else "the launcher returned without reporting it"
                self.report(TaskLost(task.key, reason, interrupted=self.control.interrupted))
        if self.control.interrupted:
            self.session.interrupted = True
        return finished

    def report(self, message: Message) -> None:
        """The callback launchers report through."""
        tracker = self.trackers.get(message.key)
        if tracker is None or tracker.done:
            return
        if isinstance(message, RunEvent):
            method = getattr(tracker.relay, message.event, None)
            if method is not None:
                method(**message.payload)
        elif isinstance(message, AttemptStarted):
            self._attempt(tracker, message)
        elif isinstance(message, TaskFinished):
            self._conclude(tracker, self._finished_outcome(tracker, message))
        elif isinstance(message, TaskLost):
            self._conclude(tracker, self._lost_outcome(tracker, message))
        elif isinstance(message, TaskCancelled):
            # never started: the session counts it "not started" (it stays in session.items),
            # as the sequential runner does; deselecting it too would count it twice
            tracker.done = True

    # ------------------------------------------------------------------ messages

    def _attempt(self, tracker: _Tracker, message: AttemptStarted) -> None:
        if tracker.running():
            reason = (f"The worker running this run ({tracker.where}) was lost; "
                      f"the point was started again on {message.where}.")
            self._record_lost(tracker, reason, "FAILED")
            note = f"run {tracker.run_id} lost its worker ({tracker.where}) and is recorded FAILED; re-run on {message.where}"
            tracker.notes.append(note)
            self.session.config.warn(f"{tracker.task.item.nodeid}: {note}")
        if tracker.relay.started:
            tracker.relay = HookRelayObserver(tracker.task.item, self.hook)
        tracker.where = message.where

    def _record_lost(self, tracker: _Tracker, reason: str, status: str,
                     captured_out: str | None = None, metrics: dict | None = None) -> None:
        problems = record_lost_run(self.stores, self.rootdir, tracker.run_id, reason, status,
                                   captured_out=captured_out, metrics=metrics)
        for problem in problems:
            self.session.config.warn(problem)
        if status == "FAILED":
            tracker.relay.failed_event(fail_time=utc_now(), fail_trace=[reason + "\n"])
        else:
            tracker.relay.interrupted_event(interrupt_time=utc_now(), status=status)

    def _finished_outcome(self, tracker: _Tracker, message: TaskFinished) -> RunOutcome:
        relay = tracker.relay
        outcome = relay.outcome
        if not relay.started:
            if message.error is not None or message.status is None:
                outcome.status = "ERROR"
                outcome.error_message = message.error or "the run reported no status"
            else:  # an unobserved command (e.g. print_config) gives no events
                outcome.status = message.status
                outcome.run_id = message.run_id
                outcome.result = message.result
        elif not relay.finished:
            self._record_lost(tracker, message.error or "The run ended without a final event.", "FAILED")
            outcome.error_message = message.error or "the run ended without a final event"
        elif message.error is not None and outcome.status == "FAILED" and not outcome.fail_trace:
            outcome.error_message = message.error
        if message.interrupted:
            self.control.interrupted = True
            if outcome.status in ("ERROR", "RUNNING", "PENDING"):
                outcome.status = "INTERRUPTED"
        return outcome

    def _lost_outcome(self, tracker: _Tracker, message: TaskLost) -> RunOutcome:
        outcome = tracker.relay.outcome
        where = f" ({tracker.where})" if tracker.where else ""
        if tracker.running():
            status = "INTERRUPTED" if message.interrupted else "FAILED"
            reason = f"The run's worker{where} died before the run ended: {message.reason}."
            self._record_lost(tracker, reason, status, message.captured_out, message.metrics)
            if status != "FAILED":  # a FAILED run shows the reason as its trace already
                outcome.error_message = reason
        elif not tracker.relay.started:
            outcome.status = "INTERRUPTED" if message.interrupted else "ERROR"
            outcome.error_message = f"the run's worker{where} was lost before the run started: {message.reason}"
        if message.interrupted:
            self.control.interrupted = True
        return outcome

    def _conclude(self, tracker: _Tracker, outcome: RunOutcome) -> None:
        tracker.done = True
        item = tracker.task.item
        if tracker.relay.started and not item.unobserved:
            outcome.stores = [describe_spec(kind, value, self.rootdir, outcome.run_id) for kind, value in self.stores]
        if tracker.notes:
            note = "\n".join(tracker.notes)
            outcome.error_message = f"{outcome.error_message}\n{note}" if outcome.error_message else note
        self._finished.append((item, outcome))
        self.session.record(item, outcome)
        if self.session.stopped_early or self.session.interrupted:
            self.control.stop_scheduling = True

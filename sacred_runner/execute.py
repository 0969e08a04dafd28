"""Execute one :class:`RunItem`: in this process, or in a fresh subprocess (``--isolate``).

Both ways end in a :class:`RunOutcome` built from the run's observer events.
In isolation the experiment runs in a child process whose only runner-side
observer is a pipe proxy; the store observers and the hook relay stay in
this process, so a child that crashes (``os._exit``, a segfault) still gets
a FAILED record in every store and a failure line in the report.
"""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from sacred_runner.items import RunItem, RunOutcome
from sacred_runner.tracking import HookRelayObserver, describe_store, utc_now

__all__ = ["SessionInterrupted", "error_text", "execute_in_process", "execute_isolated", "run_experiment"]

INTERRUPT_GRACE_SECONDS = 10.0


class SessionInterrupted(Exception):
    """Ctrl+C arrived during a run; carries that run's outcome (INTERRUPTED)."""

    def __init__(self, outcome: RunOutcome) -> None:
        super().__init__("interrupted")
        self.outcome = outcome


def error_text(error: BaseException) -> str:
    """How a run's failure to start reads in the report: one line for a SacredError, else the traceback."""
    from sacred.utils import SacredError

    if isinstance(error, SacredError) and not error.print_traceback:
        return f"{type(error).__name__}: {error}"
    return "".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip()


def run_experiment(item: RunItem, extra_observers: list) -> Any:
    """Load the item's experiment and run it with ``extra_observers`` appended; return the Run.

    ``ex.observers`` is restored afterwards. With ``item.unobserved`` the
    experiment's own observers are left out as well.
    """
    from sacred_runner.experiments import load_experiment

    experiment = load_experiment(item.path, item.attribute)
    saved = list(experiment.observers)
    experiment.observers[:] = ([] if item.unobserved else saved) + list(extra_observers)
    try:
        return experiment.run(
            item.command,
            config_updates=copy.deepcopy(item.config_updates),
            named_configs=tuple(item.named_configs),
            options=dict(item.options),
            meta_info=copy.deepcopy(item.meta_info) or None,
        )
    finally:
        experiment.observers[:] = saved


def _finish(relay: HookRelayObserver, observers: list, run: Any = None, error: str | None = None) -> RunOutcome:
    outcome = relay.outcome
    if not relay.started:
        if error is not None:
            outcome.status = "ERROR"
            outcome.error_message = error
        elif run is not None:  # an unobserved command (e.g. print_config) gives no events
            outcome.status = getattr(run, "status", None) or "COMPLETED"
            outcome.run_id = getattr(run, "_id", None)
            result = getattr(run, "result", None)
            outcome.result = None if result is None else repr(result)[:60]
    elif outcome.status == "RUNNING":  # started but never reported an end
        outcome.status = "FAILED"
        outcome.error_message = error or "the run ended without a final event"
    elif error is not None and outcome.status == "FAILED" and not outcome.fail_trace:
        outcome.error_message = error
    if relay.started and not relay.item.unobserved:
        outcome.stores = [describe_store(observer, outcome.run_id) for observer in observers]
    return outcome


def execute_in_process(item: RunItem, observers: list, hook: Any) -> RunOutcome:
    """Run ``item`` here; KeyboardInterrupt becomes :class:`SessionInterrupted`."""
    relay = HookRelayObserver(item, hook)
    try:
        run = run_experiment(item, list(observers) + [relay])
    except KeyboardInterrupt:
        outcome = _finish(relay, observers, error="interrupted by the user")
        outcome.status = "INTERRUPTED"
        raise SessionInterrupted(outcome) from None
    except BaseException as error:  # noqa: BLE001 - any failure is this run's failure
        return _finish(relay, observers, error=error_text(error))
    return _finish(relay, observers, run=run)


# --------------------------------------------------------------------- isolation


def _dispatch(bus: Any, observers: list, event: str, kwargs: dict) -> tuple[str, Any]:
    """Deliver one forwarded event to ``observers``; return the reply for the child."""
    if event in ("started_event", "queued_event"):
        run_id = kwargs.get("_id")
        for observer in bus.observers:
            try:
                returned = bus.call(observer, event, {**kwargs, "_id": run_id})
            except Exception as error:  # noqa: BLE001 - the child's run fails with it
                return "error", f"Observer {type(observer).__name__} failed in {event}: {type(error).__name__}: {error}"
            if run_id is None and returned is not None:
                run_id = returned
        return "ok", run_id
    problems = []
    for observer in bus.observers:
        try:
            bus.call(observer, event, kwargs)
        except Exception as error:  # noqa: BLE001 - reported, delivery goes on
            problems.append(f"Observer {type(observer).__name__} failed in {event}: {type(error).__name__}: {error}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
    return "ok", None


def _describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "it did not exit"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"it was killed by {name}"
    return f"it exited with code {returncode}"


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


class _InterruptWatch:
    """Ctrl+C while an isolated run executes, without exceptions in the parent.

    The terminal sends SIGINT to the whole process group, so the child gets it
    too and records its run as INTERRUPTED through the parent. The parent
    only notes the interrupt (an exception here could cut an observer's write
    in half), forwards SIGINT itself if the child ignores it for a while (the
    signal came from elsewhere), and gives up after INTERRUPT_GRACE_SECONDS.
    """

    FORWARD_AFTER_SECONDS = 2.0

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.interrupted_at: float | None = None
        self.forwarded = False
        self._previous: Any = None
        if _in_main_thread():
            self._previous = signal.signal(signal.SIGINT, self._note)

    @property
    def interrupted(self) -> bool:
        """True once Ctrl+C arrived."""
        return self.interrupted_at is not None

    def _note(self, signum: int, frame: Any) -> None:
        if self.interrupted_at is None:
            self.interrupted_at = time.monotonic()

    def forward_if_ignored(self) -> None:
        """Send SIGINT to the child if it did not react to the group's one."""
        if (
            self.interrupted_at is not None
            and not self.forwarded
            and time.monotonic() - self.interrupted_at > self.FORWARD_AFTER_SECONDS
            and self.process.poll() is None
        ):
            self.process.send_signal(signal.SIGINT)
            self.forwarded = True

    def poll_timeout(self) -> float:
        """How long to wait for the child's next message before checking again."""
        return 0.2 if self.interrupted_at is not None else 1.0

    def expired(self) -> bool:
        """True when the child had its grace period after Ctrl+C."""
        return (
            self.interrupted_at is not None
            and time.monotonic() - self.interrupted_at > INTERRUPT_GRACE_SECONDS
        )

    def restore(self) -> None:
        """Put back the previous SIGINT handler."""
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


def _in_main_thread() -> bool:
    """True in the main thread (the only one that may set signal handlers)."""
    import threading

    return threading.current_thread() is threading.main_thread()


def execute_isolated(item: RunItem, observers: list, hook: Any) -> RunOutcome:
    """Run ``item`` in a fresh ``python -m sacred_runner.worker`` process."""
    import logging
    from multiprocessing.connection import Connection

    from sacred.events import EventBus

    relay = HookRelayObserver(item, hook)
    bus = EventBus(list(observers) + [relay], None, logging.getLogger("sacred_runner"))
    proxy_priority = max((getattr(o, "priority", 0) for o in observers), default=0)
    parent_socket, child_socket = socket.socketpair()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "sacred_runner.worker", str(child_socket.fileno())],
            pass_fds=[child_socket.fileno()],
            env=_child_env(),
        )
    finally:
        child_socket.close()
    connection = Connection(parent_socket.detach())
    child_error: str | None = None
    interrupted_by_child = False
    ctrl_c = _InterruptWatch(process)
    try:
        connection.send((item, proxy_priority))
        while True:
            ctrl_c.forward_if_ignored()
            try:
                if not connection.poll(ctrl_c.poll_timeout()):
                    if ctrl_c.expired():
                        break
                    continue
                message = connection.recv()
            except (EOFError, OSError):
                break
            kind = message[0]
            if kind == "event":
                _, event, kwargs = message
                connection.send(_dispatch(bus, observers, event, kwargs))
            elif kind == "error":
                child_error = message[1]
                interrupted_by_child = interrupted_by_child or message[2]
            elif kind == "done":
                _, status, result, run_id = message
                child_error = None
                if not relay.started:
                    relay.outcome.result = result
                    relay.outcome.run_id = run_id
                    relay.outcome.status = status or "COMPLETED"
    finally:
        ctrl_c.restore()
        connection.close()
        try:
            returncode = process.wait(timeout=INTERRUPT_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            returncode = process.wait()
    interrupted = ctrl_c.interrupted or interrupted_by_child
    if relay.started and not relay.finished:
        reason = f"The run's process died before the run ended: {_describe_exit(returncode)}.\n"
        status_event = ("interrupted_event", {"interrupt_time": utc_now(), "status": "INTERRUPTED"}) \
            if interrupted else ("failed_event", {"fail_time": utc_now(), "fail_trace": [reason]})
        _dispatch(bus, observers, *status_event)
        child_error = child_error or reason.strip()
    elif not relay.started and child_error is None and relay.outcome.status == "PENDING":
        child_error = f"The run's process ended without reporting: {_describe_exit(returncode)}."
    if relay.outcome.status == "PENDING":
        relay.outcome.status = "ERROR"
    outcome = _finish(relay, observers, error=child_error)
    if not relay.started and relay.outcome.status not in ("ERROR",) and child_error is None:
        outcome.status = relay.outcome.status
    if interrupted:
        if outcome.status in ("ERROR", "RUNNING", "PENDING"):
            outcome.status = "INTERRUPTED"
        raise SessionInterrupted(outcome)
    return outcome

"""``--launcher submitit``: each run a submitit job (Slurm; ``--submitit-cluster local`` for this machine).

Jobs execute :func:`sacred_runner.launch.remote.execute_task` and write the
stores themselves (so the stores and the job folder must be shared with
the cluster's nodes); their messages come back through a file channel in
the job folder (:mod:`sacred_runner.launch.filechannel`). At most
``slots`` jobs (``-n``, default one per CPU) are submitted at a time.

Faults: a job whose process dies (``kill -9``, Slurm preemption without
requeue, out of memory) is reported lost with submitit's account of it
and its run recorded FAILED. Ctrl+C cancels the jobs not yet submitted and
cancels the running ones (the run records INTERRUPTED).

On the local cluster, submitit's controller process answers SIGINT by
killing its job with SIGKILL one second later, which would leave a run that
takes longer to stop (saving a checkpoint, a slow store) RUNNING forever.
So controllers are started with SIGINT blocked (they never see Ctrl+C) and
the job takes SIGINT back: Ctrl+C in the terminal reaches the job directly
and it stops in its own time. Jobs still running a while after Ctrl+C are
sent SIGTERM through their controller, which forwards it (the run then
records INTERRUPTED as well).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sacred_runner.errors import UsageError
from sacred_runner.launch.base import (
    LaunchControl,
    Launcher,
    LaunchTask,
    Report,
    TaskFinished,
    TaskLost,
    cancel_unstarted,
)
from sacred_runner.launch.filechannel import FileChannelReader, append_message

__all__ = ["SubmititLauncher", "execute_submitit_task"]

POLL_SECONDS = 0.1
INTERRUPT_GRACE_SECONDS = 15.0
#: After Ctrl+C, jobs still running this long are sent SIGINT through submitit.
CANCEL_AFTER_SECONDS = 5.0
CLUSTERS = ("slurm", "local", "debug")


def execute_submitit_task(task: LaunchTask, channel: str) -> None:
    """In a submitit job: run ``task``, appending every message to the file ``channel``."""
    from sacred_runner.launch.remote import execute_task

    if os.environ.get("SUBMITIT_EXECUTOR") == "local":
        take_back_stop_signals()
    execute_task(task, lambda message: append_message(channel, message))


def take_back_stop_signals() -> None:
    """In a local job: Ctrl+C and SIGTERM stop the run again (recorded INTERRUPTED).

    The job inherited SIGINT blocked from its controller (see
    :func:`controllers_deaf_to_ctrl_c`), and submitit's job environment
    ignores SIGTERM (on Slurm it precedes preemption).
    """
    if _in_main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _in_main_thread() -> bool:
    """Whether this is the main thread (the only one that may set signal handlers)."""
    import threading

    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def controllers_deaf_to_ctrl_c() -> Iterator[None]:
    """Processes started inside the block inherit SIGINT blocked; this one gets it after the block.

    A Ctrl+C arriving meanwhile stays pending and is delivered here on leaving.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class SubmititLauncher(Launcher):
    """Submits one submitit job per task."""

    name = "submitit"

    def __init__(self, folder: str, cluster: str | None = None, slots: int = 1) -> None:
        if cluster is not None and cluster not in CLUSTERS:
            raise UsageError(f"--submitit-cluster: expected one of {', '.join(CLUSTERS)}, got {cluster!r}")
        self.folder = Path(folder)
        self.cluster = cluster
        self.slots = slots
        self.executor: Any = None

    def start(self) -> None:
        """Create the executor (Slurm when available unless ``--submitit-cluster`` says otherwise)."""
        from sacred.observers._backend_import import import_backend

        try:
            submitit = import_backend("submitit", needed_by="--launcher submitit", extra="submitit")
        except ImportError as error:
            raise UsageError(str(error)) from None
        self.folder.mkdir(parents=True, exist_ok=True)
        self.executor = submitit.AutoExecutor(folder=str(self.folder / "%j"), cluster=self.cluster)
        self.executor.update_parameters(timeout_min=24 * 60)

    def describe(self) -> str:
        """``submitit: local, folder ...``."""
        return f"submitit: {self.cluster or 'auto'}, folder {self.folder}"

    def run(self, tasks: list[LaunchTask], report: Report, control: LaunchControl) -> None:
        """Submit ``tasks`` (``slots`` at a time), relay their channels, conclude finished jobs."""
        channels = self.folder / "channels"
        channels.mkdir(parents=True, exist_ok=True)
        batch = uuid.uuid4().hex[:8]
        pending = list(tasks)
        inflight: dict[str, tuple[Any, FileChannelReader]] = {}
        reported: set[str] = set()
        interrupted_at: float | None = None
        cancelled = False

        def relay(message: Any) -> None:
            if isinstance(message, (TaskFinished, TaskLost)):
                reported.add(message.key)
            report(message)

        while pending or inflight:
            try:
                cancel_unstarted(control, pending, report)
                while pending and len(inflight) < self.slots:
                    task = pending.pop(0)
                    channel = str(channels / f"{batch}-{task.key}.messages")
                    with self._submitting():
                        job = self.executor.submit(execute_submitit_task, task, channel)
                    inflight[task.key] = (job, FileChannelReader(channel))
                for key, (job, reader) in list(inflight.items()):
                    done = job.done()
                    for message in reader.read_new():
                        relay(message)
                    if key in reported:
                        inflight.pop(key)
                    elif done:
                        for message in reader.read_new():
                            relay(message)
                        if key not in reported:
                            relay(TaskLost(key, self._job_problem(job), interrupted=control.interrupted))
                        inflight.pop(key)
                if (interrupted_at is not None and not cancelled
                        and time.monotonic() - interrupted_at > CANCEL_AFTER_SECONDS):
                    # Ctrl+C reached jobs in our process group already; a second signal
                    # only goes to jobs still running after a while (e.g. on Slurm,
                    # outside our group, or when only this process was signalled)
                    cancelled = True
                    for job, _reader in inflight.values():
                        self._cancel(job)
                if interrupted_at is not None and time.monotonic() - interrupted_at > INTERRUPT_GRACE_SECONDS:
                    for key, (job, _reader) in list(inflight.items()):
                        relay(TaskLost(key, f"job {job.job_id} did not stop after Ctrl+C", interrupted=True))
                        inflight.pop(key)
                time.sleep(POLL_SECONDS)
            except KeyboardInterrupt:
                if interrupted_at is None:
                    interrupted_at = time.monotonic()
                    control.interrupted = True

    def _submitting(self) -> contextlib.AbstractContextManager[None]:
        """Around a local submission: the controller started must not see Ctrl+C."""
        if self.cluster == "local":
            return controllers_deaf_to_ctrl_c()
        return contextlib.nullcontext()

    def _cancel(self, job: Any) -> None:
        """Stop ``job``: SIGTERM to a local controller (its job id is its pid), else submitit's cancel."""
        try:
            if self.cluster == "local":
                os.kill(int(job.job_id), signal.SIGTERM)
            else:
                job.cancel(check=False)
        except Exception:  # noqa: BLE001 - best effort: the job may have just ended
            pass

    @staticmethod
    def _job_problem(job: Any) -> str:
        try:
            job.result()
        except Exception as error:  # noqa: BLE001 - submitit's account of the failure
            text = str(error).strip().splitlines()
            first = text[0] if text else type(error).__name__
            return f"submitit job {job.job_id} ({job.state}): {first}"
        return f"submitit job {job.job_id} ended without reporting its run"

    def close(self) -> None:
        """Nothing to release (jobs finish on their own)."""
        self.executor = None



"""Child side of ``--isolate``: ``python -m sacred_runner.worker FD``.

Receives ``(RunItem, priority)`` over the socket ``FD``, runs the experiment
with a :class:`PipeObserver` that forwards every event to the parent and
waits for its answer (the run id for started/queued events), then reports
how the run ended.
"""

from __future__ import annotations

import pickle
import sys
import threading
import traceback
from typing import Any

from sacred.observers.base import RunObserver

__all__ = ["PipeObserver", "main"]


def _send(connection: Any, message: tuple) -> None:
    try:
        connection.send(message)
    except (pickle.PicklingError, TypeError, AttributeError):
        from sacred.serializer import flatten

        connection.send(tuple(flatten(part) if i else part for i, part in enumerate(message)))


class PipeObserver(RunObserver):
    """Forwards each event to the parent process and returns the parent's answer."""

    def __init__(self, connection: Any, priority: int) -> None:
        self.connection = connection
        self.priority = priority
        self._lock = threading.Lock()  # the heartbeat thread also sends

    def _call(self, event: str, **kwargs: Any) -> Any:
        with self._lock:
            _send(self.connection, ("event", event, kwargs))
            kind, value = self.connection.recv()
        if kind == "error":
            raise RuntimeError(value)
        return value

    def queued_event(self, ex_info, command, host_info, queue_time, config, meta_info, _id):  # noqa: D102
        return self._call("queued_event", ex_info=ex_info, command=command, host_info=host_info,
                          queue_time=queue_time, config=config, meta_info=meta_info, _id=_id)

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):  # noqa: D102
        return self._call("started_event", ex_info=ex_info, command=command, host_info=host_info,
                          start_time=start_time, config=config, meta_info=meta_info, _id=_id)

    def heartbeat_event(self, info, captured_out, beat_time, result):  # noqa: D102
        self._call("heartbeat_event", info=info, captured_out=captured_out, beat_time=beat_time, result=result)

    def log_metrics(self, metrics_by_name, info):  # noqa: D102
        self._call("log_metrics", metrics_by_name=metrics_by_name, info=info)

    def completed_event(self, stop_time, result):  # noqa: D102
        self._call("completed_event", stop_time=stop_time, result=result)

    def interrupted_event(self, interrupt_time, status):  # noqa: D102
        self._call("interrupted_event", interrupt_time=interrupt_time, status=status)

    def failed_event(self, fail_time, fail_trace):  # noqa: D102
        self._call("failed_event", fail_time=fail_time, fail_trace=fail_trace)

    def resource_event(self, filename):  # noqa: D102
        self._call("resource_event", filename=filename)

    def artifact_event(self, name, filename, metadata=None, content_type=None):  # noqa: D102
        self._call("artifact_event", name=name, filename=filename, metadata=metadata, content_type=content_type)


def main(argv: list[str]) -> int:
    """Run the item received on the socket given as ``argv[1]``; return the exit status."""
    from multiprocessing.connection import Connection

    from sacred_runner.execute import error_text, run_experiment

    connection = Connection(int(argv[1]))
    item, priority = connection.recv()
    proxy = PipeObserver(connection, priority)
    try:
        run = run_experiment(item, [proxy])
    except KeyboardInterrupt:
        connection.send(("error", "interrupted by the user", True))
        return 130
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        try:
            text = error_text(error)
        except Exception:  # noqa: BLE001
            text = traceback.format_exc()
        connection.send(("error", text, False))
        return 1
    result = getattr(run, "result", None)
    _send(connection, ("done", getattr(run, "status", None), None if result is None else repr(result)[:60],
                       getattr(run, "_id", None)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

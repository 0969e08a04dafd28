"""The Run: one execution of a command, from start to its recorded end."""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator

try:  # CPython's C module under ``signal``: the same calls without the enum conversion (5 us
    # each), and no import of ``signal`` itself (its enums: 1 ms of a process's first run)
    import _signal as _raw_signal
except ImportError:  # pragma: no cover - other interpreters
    import signal as _raw_signal  # type: ignore[no-redef]

from sacred.events import EventBus
from sacred.masking import mask_secrets
from sacred.metrics_logger import MetricsLogger
from sacred.settings import SETTINGS
from sacred.utils import SacredInterrupt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Run", "utcnow", "format_filtered_stacktrace"]


def utcnow() -> _dt.datetime:
    """The current UTC time as a naive datetime (the format observers store)."""
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)


class SigTermInterrupt(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM."""


class Run:
    """Represent and manage a single run of an experiment."""

    def __init__(
        self,
        config: dict,
        config_modifications: Any,
        main_function: Callable,
        observers: list,
        root_logger: Any,
        run_logger: Any,
        experiment_info: dict | Callable[[], dict],
        host_info: dict | Callable[[], dict],
        pre_run_hooks: list,
        post_run_hooks: list,
        captured_out_filter: Callable[[str], str] | None = None,
    ) -> None:
        self._id: Any = None
        """The ID of this run as assigned by the first observer"""
        self.captured_out: str | None = None
        """Captured stdout and stderr"""
        self.config = config
        """The final configuration used for this run"""
        self.config_modifications = config_modifications
        """A ConfigSummary object with information about config changes"""
        # a dict, or a function discovering it on first access (see ``experiment_info``)
        self._experiment_info = experiment_info
        # a dict, or a function gathering it on first access (see ``host_info``)
        self._host_info = host_info
        self.info: dict = {}
        """Custom info dict that will be sent to the observers"""
        self.root_logger = root_logger
        """The root logger that was used to create all the others"""
        self.run_logger = run_logger
        """The logger that is used for this run"""
        self.main_function = main_function
        """The main function that is executed with this run"""
        self.observers = list(observers)
        """A list of all observers that observe this run"""
        self.pre_run_hooks = list(pre_run_hooks)
        """List of pre-run hooks (captured functions called before this run)"""
        self.post_run_hooks = list(post_run_hooks)
        """List of post-run hooks (captured functions called after this run)"""
        self.result: Any = None
        """The return value of the main function"""
        self.status: str | None = None
        """The current status of the run, from QUEUED to COMPLETED"""
        self.start_time: _dt.datetime | None = None
        """The datetime when this run was started"""
        self.stop_time: _dt.datetime | None = None
        """The datetime when this run stopped"""
        self.debug = False
        """Determines whether this run is executed in debug mode"""
        self.pdb = False
        """If true the pdb debugger is automatically started after a failure"""
        self.meta_info: dict = {}
        """A custom comment for this run"""
        self.beat_interval: float = float(SETTINGS.DEFAULT_BEAT_INTERVAL)
        """The time between two heartbeat events measured in seconds"""
        self.unobserved = False
        """Indicates whether this run should be unobserved"""
        self.force = False
        """Disable warnings about suspicious changes"""
        self.queue_only = False
        """If true then this run will only fire the queued_event and quit"""
        self.captured_out_filter = captured_out_filter
        """Filter function to be applied to captured output"""
        self.fail_trace: list[str] | None = None
        """A stacktrace, in case the run failed"""
        self.capture_mode: str | None = None
        """Determines the way the stdout/stderr are captured"""
        self.heartbeat_time: _dt.datetime | None = None
        """The last time this run communicated with the observers"""
        self._heartbeat: _Heartbeat | None = None
        self._output_file: Any = None
        self._metrics = MetricsLogger()
        # the hot path: calls go straight to the metrics logger (same signature)
        self.log_scalar = self._metrics.log_scalar_metric  # type: ignore[method-assign]
        self._raw_output_parts: list[str] = []
        self._filtered_cache: tuple[int, str] = (-1, "")
        self._emit_lock = threading.RLock()
        self._bus: EventBus | None = None
        self._info_snapshot = _InfoSnapshot()
        self._stop_reported = False
        self._signals = _SignalGuard(install=False)
        self._work_start: _dt.datetime | None = None
        self.command_name = (
            experiment_info.get("command") if isinstance(experiment_info, dict) else None
        )

    @property
    def experiment_info(self) -> dict:
        """A dictionary with information about the experiment (sources and dependencies
        discovered on first access)."""
        if callable(self._experiment_info):
            self._experiment_info = self._experiment_info()
        return self._experiment_info

    @experiment_info.setter
    def experiment_info(self, value: dict) -> None:
        self._experiment_info = value

    def _experiment_info_for_event(self) -> dict:
        """``experiment_info`` for a start event; not discovered when nobody listens."""
        if not self.observers and not _has_plugins():
            return {}
        return self.experiment_info

    @property
    def host_info(self) -> dict:
        """A dictionary with information about the host (gathered on first access)."""
        if callable(self._host_info):
            self._host_info = self._host_info()
        return self._host_info

    @host_info.setter
    def host_info(self, value: dict) -> None:
        self._host_info = value

    def _host_info_for_event(self) -> dict:
        """``host_info`` for a start event; not gathered when no observer or plugin listens."""
        if not self.observers and not _has_plugins():
            return {}
        return self.host_info

    # ------------------------------------------------------------------ user API

    def open_resource(self, filename: str | os.PathLike, mode: str = "r") -> Any:
        """Open a file, report it to the observers as a resource, and return it."""
        path = self._existing_file(filename, "Resource")
        self._emit("resource_event", {"filename": path})
        return open(path, mode)  # noqa: SIM115 - the caller owns the file

    def add_resource(self, filename: str | os.PathLike) -> None:
        """Add a file as a resource (stored once, with its md5 sum)."""
        path = self._existing_file(filename, "Resource")
        self._emit("resource_event", {"filename": path})

    def add_artifact(
        self,
        filename: str | os.PathLike,
        name: str | None = None,
        metadata: dict | None = None,
        content_type: str | None = None,
    ) -> None:
        """Add a file as an artifact (``name`` defaults to the file's name)."""
        path = self._existing_file(filename, "Artifact")
        name = os.path.basename(path) if name is None else str(name)
        self._emit(
            "artifact_event",
            {"name": name, "filename": path, "metadata": metadata, "content_type": content_type},
        )

    def log_scalar(self, metric_name: str, value: Any, step: int | None = None) -> None:
        """Add a new measurement; an omitted ``step`` is the previous step of this metric + 1."""
        self._metrics.log_scalar_metric(metric_name, value, step)

    def stream_metrics(self, listener: Callable[[str, int, Any, float], None]) -> None:
        """Also pass each metric point to ``listener(name, step, value, unix_time)`` as it is logged.

        The points still reach the observers through ``log_metrics`` as usual.
        The ``--isolate`` worker uses this to send points to its parent at once.
        """
        self._metrics.stream_to(listener)
        self.log_scalar = self._metrics.log_scalar_metric  # type: ignore[method-assign]

    def warn_if_unobserved(self) -> None:
        """Log a warning when nothing records this run."""
        if not self.observers and not self.debug and not self.unobserved:
            self.run_logger.warning("No observers have been added to this run")

    @staticmethod
    def _existing_file(filename: str | os.PathLike, what: str) -> str:
        path = os.path.abspath(os.fspath(filename))
        if not os.path.isfile(path):
            raise FileNotFoundError(f'{what} file "{os.fspath(filename)}" does not exist')
        return path

    # ------------------------------------------------------------------ lifecycle

    def __call__(self, *args: Any) -> Any:
        """Start this run; return the return value of the main function."""
        if self.start_time is not None:
            raise RuntimeError(
                f"A run can only be started once. (Last start was {self.start_time})"
            )
        if self.unobserved:
            self.observers = []
        else:
            self.observers = sorted(self.observers, key=lambda o: -getattr(o, "priority", 0))
        self._bus = EventBus(self.observers, self, self.run_logger)
        self.warn_if_unobserved()
        if self.queue_only:
            self._emit_queued()
            return None
        from sacred.capture import capture_output
        from sacred.randomness import seed_global_generators

        seeder = seed_global_generators(self.config.get("seed", 0))
        mode = self.capture_mode or (SETTINGS.CAPTURE_MODE if self.observers else "no")
        self.capture_mode = mode
        signals = self._signals = _SignalGuard()
        error: BaseException | None = None
        try:
            # the log lines of the run's start and end are part of its captured output
            with capture_output(mode) as self._output_file:
                self.run_logger.info("Running command '%s'", self._command_name())
                try:
                    self._emit_started()
                    self._start_heartbeat()
                    try:
                        self._execute(args)
                    finally:
                        self._stop_heartbeat()
                except BaseException as err:  # noqa: BLE001 - recorded below, then re-raised
                    error = err
                signals.defer()
                self._conclude(error)
        except BaseException as err:  # noqa: BLE001 - capture itself failed
            if error is None:
                error = err
                self._conclude(error)
        finally:
            seeder.remove()
            signals.defer()
        try:
            self._collect_output()
            self._report_end(error)
            self._finish()
        finally:
            signals.restore()
        if error is not None:
            raise error
        return self.result

    def _execute(self, args: tuple) -> None:
        for hook in self.pre_run_hooks:
            hook()
        self.result = self.main_function(*args)
        for hook in self.post_run_hooks:
            hook()

    def _conclude(self, err: BaseException | None) -> None:
        """Set status, stop time and trace, and log the end of the run."""
        self.stop_time = utcnow()
        # waiting for observers to record the start is not the run's time
        elapsed = _elapsed(self._work_start or self.start_time, self.stop_time)
        if err is None:
            self.status = "COMPLETED"
            if self.result is not None:
                self.run_logger.info("Result: %s", self.result)
            self.run_logger.info("Completed after %s", elapsed)
        elif isinstance(err, (KeyboardInterrupt, SacredInterrupt)):
            self.status = getattr(err, "STATUS", "INTERRUPTED")
            self.run_logger.warning("Aborted after %s!", elapsed)
        else:
            self.status = "FAILED"
            self.fail_trace = mask_secrets(format_filtered_stacktrace(err, self.debug))
            self.run_logger.error("Failed after %s!", elapsed)

    def _report_end(self, err: BaseException | None) -> None:
        """Send the final heartbeat and exactly one stop event."""
        if self._stop_reported:
            return
        self._stop_reported = True
        self._final_beat()
        if self.status == "COMPLETED":
            self._emit("completed_event", {"stop_time": self.stop_time, "result": self.result})
        elif self.status == "FAILED":
            self._emit(
                "failed_event", {"fail_time": self.stop_time, "fail_trace": self.fail_trace}
            )
            if self.pdb and err is not None:
                import pdb

                pdb.post_mortem(err.__traceback__)
        else:
            self._emit(
                "interrupted_event", {"interrupt_time": self.stop_time, "status": self.status}
            )

    def _finish(self) -> None:
        restore = getattr(self, "_restore_log_level", None)
        if restore is not None:
            logger, level = restore
            logger.setLevel(level)
        for observer in self.observers:
            join = getattr(observer, "join", None)
            if join is None:
                continue
            try:
                join()
            except Exception as err:  # noqa: BLE001 - reported, the run is over
                self.run_logger.warning(
                    "Observer %s failed in join: %s: %s", type(observer).__name__, type(err).__name__, err
                )

    # ------------------------------------------------------------------ events

    def _emit(self, event: str, kwargs: dict, fail_fast: bool = False) -> None:
        if self._bus is None:
            self._bus = EventBus(self.observers, self, self.run_logger)
        with self._emit_lock:
            self._bus.emit(event, kwargs, fail_fast=fail_fast)

    def _id_assigning_event(self, event: str, kwargs: dict) -> None:
        """Deliver a start event; the first id returned is the run's ``_id``.

        Every observer gets the event even when an earlier one fails (that
        one receives nothing further, see ``EventBus.start``); the first
        failure then fails the run. SIGTERM/SIGINT arriving meanwhile are held
        until every observer has recorded the run, so none misses it.
        """
        bus = self._bus
        assert bus is not None
        kwargs["_id"] = self._id
        with self._emit_lock, self._signals.held():
            self._id, errors = bus.start(event, kwargs)
        self._work_start = utcnow()
        if errors:
            raise errors[0]

    def _command_name(self) -> str:
        """The command's own name, as 0.8.7 logs and stores it (``stats`` for ``dataset.stats``)."""
        name = getattr(self.main_function, "__name__", None)
        return name if isinstance(name, str) and name else self.meta_info.get("command", "")

    def _emit_queued(self) -> None:
        command = self._command_name()
        self.run_logger.info("Queuing-up command '%s'", command)
        queue_time = utcnow()
        self.meta_info["queue_time"] = queue_time
        from sacred.queueing import queue_record

        # what a worker needs to run it later; a caller's partial record (the runner's) wins
        hint = self.meta_info.get("queue")
        self.meta_info["queue"] = queue_record(self, hint if isinstance(hint, dict) else None)
        self._id_assigning_event(
            "queued_event",
            {
                "ex_info": self._experiment_info_for_event(),
                "command": command,
                "host_info": self._host_info_for_event(),
                "queue_time": queue_time,
                "config": self.config,
                "meta_info": mask_secrets(self.meta_info),
                "_id": self._id,
            },
        )
        self.status = "QUEUED"
        if self._id is None:
            self.run_logger.info("Queued")
        else:
            self.run_logger.info('Queued-up run with ID "%s"', self._id)

    def _emit_started(self) -> None:
        self.status = None
        self.start_time = utcnow()
        command = self._command_name()
        self._id_assigning_event(
            "started_event",
            {
                "ex_info": self._experiment_info_for_event(),
                "command": command,
                "host_info": self._host_info_for_event(),
                "start_time": self.start_time,
                "config": self.config,
                "meta_info": mask_secrets(self.meta_info),
                "_id": self._id,
            },
        )
        self.status = "RUNNING"
        if self._id is None:
            self.run_logger.info("Started")
        else:
            self.run_logger.info('Started run with ID "%s"', self._id)

    # ------------------------------------------------------------------ heartbeat

    def _start_heartbeat(self) -> None:
        if not self.observers and not _has_plugins():
            return
        if self.beat_interval and self.beat_interval > 0:
            self._heartbeat = _Heartbeat(self.beat_interval, self._beat, self._deliver_metrics)
            self._heartbeat.start()

    def _stop_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None

    def _collect_output(self) -> None:
        output = self._output_file
        if output is None:
            return
        try:
            new = output.read_new_pieces()
        except Exception:  # noqa: BLE001 - capture problems must not hide the run's end
            self.run_logger.debug("Could not read captured output", exc_info=True)
            return
        self._raw_output_parts.extend(new)  # joined once, with the rest, by _current_output

    def _current_output(self) -> str:
        if len(self._raw_output_parts) > 1:
            self._raw_output_parts[:] = ["".join(self._raw_output_parts)]
        text = self._raw_output_parts[0] if self._raw_output_parts else ""
        if self.captured_out_filter is None:
            return text
        cached_len, cached = self._filtered_cache
        if cached_len == len(text):
            return cached
        try:
            filtered = self.captured_out_filter(text)
        except Exception as err:  # noqa: BLE001 - keep the raw text rather than lose it
            self.run_logger.warning("captured_out_filter failed: %s: %s", type(err).__name__, err)
            filtered = text
        self._filtered_cache = (len(text), filtered)
        return filtered

    def _deliver_metrics(self) -> float:
        """Hand the points logged since the last delivery to the observers; seconds it took.

        The heartbeat calls this every interval, also between full beats that
        its ``MAX_SHARE`` rule spaced out (see :class:`_Heartbeat`).
        """
        if not self._metrics.has_pending():
            return 0.0
        with self._emit_lock:
            return self._emit_metrics()

    def _emit_metrics(self) -> float:
        started = time.perf_counter()
        points = self._metrics.pending_points()
        if points:
            # observers may add references to the live info (MongoObserver does)
            if self._bus is None:
                self._bus = EventBus(self.observers, self, self.run_logger)
            self._bus.emit_metric_points(points, self.info)
        return time.perf_counter() - started

    def _beat(self, final: bool = False) -> float:
        """Deliver the metric points and the heartbeat event; the seconds the points took."""
        with self._emit_lock:
            self._collect_output()
            self.captured_out = self._current_output()
            delivery = self._emit_metrics()
            self.heartbeat_time = utcnow()
            self._emit(
                "heartbeat_event",
                {
                    # the final beat runs after main returned: nothing mutates info now
                    "info": self.info if final else self._info_snapshot.take(self.info),
                    "captured_out": self.captured_out,
                    "beat_time": self.heartbeat_time,
                    "result": self.result,
                },
            )
        return delivery

    def _final_beat(self) -> None:
        if not self.observers and not _has_plugins():
            self.captured_out = self._current_output()
            return
        self._info_snapshot.clear()  # the final beat sends the live info: no copies needed
        try:
            self._beat(final=True)
        except Exception as err:  # noqa: BLE001 - the stop event must still go out
            self.run_logger.warning("Final heartbeat failed: %s: %s", type(err).__name__, err)


class _InfoSnapshot:
    """Copies of a run's info for its heartbeats, re-made only for the entries that changed.

    The entries are pickled in one C call (``map`` over the items: no
    bytecode runs in between, so no other thread changes the dict meanwhile:
    the copy is consistent, as one ``pickle.dumps`` of the dict would be).
    An entry whose pickle equals the previous beat's at the same position is
    the same key with an equal value of equal types: the copy made then is
    handed out again instead of unpickling it anew (a large info dict that
    grows by one entry a beat costs one entry's copy). Anything that does
    not pickle goes through :func:`_snapshot`.
    """

    def __init__(self) -> None:
        self._previous: list[tuple[bytes, tuple]] = []

    def clear(self) -> None:
        """Forget the copies kept for the next beat (the run's beats are over)."""
        self._previous = []

    def take(self, info: dict) -> dict:
        """A copy of ``info`` taken while the main thread may be changing it."""
        import pickle
        from functools import partial

        try:
            blobs = list(map(partial(pickle.dumps, protocol=pickle.HIGHEST_PROTOCOL), info.items()))
        except Exception:  # noqa: BLE001 - not everything pickles
            self._previous = []
            return _snapshot(info)
        previous = self._previous
        current: list[tuple[bytes, tuple]] = []
        for index, blob in enumerate(blobs):
            if index < len(previous) and previous[index][0] == blob:
                current.append(previous[index])
            else:
                current.append((blob, pickle.loads(blob)))
        self._previous = current
        return InfoCopy((item for _, item in current), {key: blob for blob, (key, _) in current})


class InfoCopy(dict):
    """The info dict a heartbeat hands to observers: a copy, with each entry's pickle.

    ``entry_pickles[key]`` is ``pickle.dumps((key, value), HIGHEST_PROTOCOL)``
    of the entry as copied, so an observer that compares entries between
    beats (FileStorage's info.json) need not pickle them again. Otherwise a
    plain dict: it pickles and deep-copies as one.
    """

    __slots__ = ("entry_pickles",)

    def __init__(self, items: Any, entry_pickles: dict) -> None:
        super().__init__(items)
        self.entry_pickles = entry_pickles

    def __reduce__(self) -> tuple:
        return (dict, (dict(self),))


def _snapshot(info: dict) -> dict:
    """A copy of ``info`` taken while the main thread may be changing it.

    The C pickler copies plain data without releasing the GIL, so the copy is
    consistent; observers then serialise it at leisure without "dictionary
    changed size during iteration". Unpicklable values fall back to a deep
    copy (retried), and as a last resort the live dict is used.
    """
    import copy
    import pickle

    try:
        return pickle.loads(pickle.dumps(info, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001 - not everything pickles
        pass
    for _ in range(3):
        try:
            return copy.deepcopy(info)
        except RuntimeError:  # changed while copying
            continue
        except Exception:  # noqa: BLE001 - not everything copies either
            break
    return info


def _has_plugins() -> bool:
    from sacred import events

    return events.has_plugins()


class _Heartbeat:
    """Calls ``beat`` every ``interval`` seconds until stopped.

    A beat that takes long (a large info dict, a slow database) stretches the
    pause before the next one so that heartbeats never take more than
    ``MAX_SHARE`` of the run's wall time: the experiment itself keeps the
    processor (and the GIL) at least 97% of the time.

    Metric points do not wait for such a stretched pause: each point is
    encoded and stored once whenever it is delivered, so holding it back
    saves nothing; it moves the cost to the run's end, keeps the points in
    memory as objects and leaves them to a crash (a hot ``log_scalar`` loop
    at ``-b 0.02`` used to wait 3 s for its second beat, then minutes for
    the third). While the next full beat is further away, ``deliver``
    (metric points only) runs every ``METRICS_MAX_WAIT`` seconds (or
    ``interval``, if longer). ``beat`` and ``deliver`` return the seconds
    they spent delivering points; a delivery pauses at least a third of
    that (``METRICS_SHARE``: delivery takes at most 3/4 of the wall time).
    A loop that logs as fast as it can still gets ahead (encoding a point
    costs about twice logging it, and the loop goes on while a delivery
    shares the GIL): its deliveries grow, but none waits for the 3% pause.
    Deliveries are not made more often than that: each has fixed costs
    (a journal append, a database round trip) and takes the GIL from the run.

    Beats run in the process's heartbeat thread (:class:`_BeatScheduler`),
    shared by all runs and kept between runs, so a run does not pay for
    starting and joining a thread of its own.
    """

    MAX_SHARE = 0.03
    METRICS_SHARE = 0.75
    METRICS_MAX_WAIT = 1.0

    def __init__(
        self,
        interval: float,
        beat: Callable[[], float | None],
        deliver: Callable[[], float] | None = None,
    ) -> None:
        self.interval = interval
        self.beat = beat
        self.deliver = deliver
        self.stopped = False
        self._full_beat_due = 0.0  # monotonic time of the next full beat

    def start(self) -> None:
        """Schedule the first beat ``interval`` seconds from now."""
        _scheduler().add(self, time.monotonic() + self.interval)

    def next_pause(self, beat_duration: float) -> float:
        """Seconds to wait after a beat that took ``beat_duration`` seconds."""
        return max(self.interval, beat_duration * (1 - self.MAX_SHARE) / self.MAX_SHARE)

    def delivery_pause(self, delivery: float) -> float:
        """Seconds metric points may wait after a delivery that took ``delivery`` seconds."""
        return max(self.interval, self.METRICS_MAX_WAIT,
                   delivery * (1 - self.METRICS_SHARE) / self.METRICS_SHARE)

    def run_due(self) -> float:
        """A full beat when one is due, else a delivery of metric points; the pause after it."""
        started = time.perf_counter()
        if self.deliver is None or time.monotonic() >= self._full_beat_due:
            delivery = self.beat() or 0.0
            pause = self.next_pause(time.perf_counter() - started)
            if self.deliver is None:
                return pause
            self._full_beat_due = time.monotonic() + pause
        else:
            delivery = self.deliver()
        return min(self.delivery_pause(delivery), max(0.0, self._full_beat_due - time.monotonic()))

    def stop(self) -> None:
        """No beat starts after this returns; a beat in progress is waited for."""
        _scheduler().remove(self)


class _BeatScheduler:
    """The heartbeat thread of the process: runs the beats of every active run.

    The thread starts with the first heartbeat and ends after ``IDLE_EXIT``
    seconds without any; runs that follow each other reuse it. Beats of
    concurrent runs take turns, each run keeping its own interval and
    ``MAX_SHARE`` pause.
    """

    IDLE_EXIT = 1.0

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._due: dict[_Heartbeat, float] = {}
        self._running: _Heartbeat | None = None
        self._thread: threading.Thread | None = None
        # when the thread wakes up next on its own (monotonic); an earlier beat notifies it
        self._wake_at = 0.0

    def add(self, heartbeat: _Heartbeat, due: float) -> None:
        with self._cond:
            heartbeat.stopped = False
            self._due[heartbeat] = due
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="sacred-heartbeat", daemon=True
                )
                self._thread.start()
            elif due < self._wake_at:
                self._cond.notify_all()

    def remove(self, heartbeat: _Heartbeat) -> None:
        with self._cond:
            heartbeat.stopped = True
            self._due.pop(heartbeat, None)
            if threading.current_thread() is self._thread:
                return  # stopped from inside its own beat: nothing to wait for
            while self._running is heartbeat:
                self._cond.wait()

    def _next(self) -> _Heartbeat | None:
        """Wait for the next due beat (lock held); None when idle for IDLE_EXIT."""
        idle_since: float | None = None
        while True:
            now = time.monotonic()
            if not self._due:
                if idle_since is None:
                    idle_since = now
                elif now - idle_since >= self.IDLE_EXIT:
                    self._thread = None
                    return None
                self._wake_at = idle_since + self.IDLE_EXIT
                self._cond.wait(self._wake_at - now)
                continue
            idle_since = None
            heartbeat = min(self._due, key=self._due.__getitem__)
            delay = self._due[heartbeat] - now
            if delay <= 0:
                del self._due[heartbeat]
                self._running = heartbeat
                self._wake_at = 0.0  # busy beating: it sees new beats when done, no notify needed
                return heartbeat
            self._wake_at = self._due[heartbeat]
            self._cond.wait(delay)

    def _loop(self) -> None:
        while True:
            with self._cond:
                heartbeat = self._next()
            if heartbeat is None:
                return
            pause = heartbeat.interval
            try:
                pause = heartbeat.run_due()
            except Exception:  # noqa: BLE001 - observers' errors are logged by the bus
                import logging

                logging.getLogger(__name__).warning("Heartbeat failed", exc_info=True)
            except BaseException:  # SystemExit from a beat: this thread ends, a new one serves
                with self._cond:
                    self._running = None
                    self._thread = None
                    if not heartbeat.stopped:
                        self._due[heartbeat] = time.monotonic() + pause
                    self._cond.notify_all()
                raise
            with self._cond:
                self._running = None
                if not heartbeat.stopped:
                    self._due[heartbeat] = time.monotonic() + pause
                self._cond.notify_all()


_SCHEDULER: _BeatScheduler | None = None
_SCHEDULER_LOCK = threading.Lock()


def _scheduler() -> _BeatScheduler:
    global _SCHEDULER
    if _SCHEDULER is None:
        with _SCHEDULER_LOCK:
            if _SCHEDULER is None:
                _SCHEDULER = _BeatScheduler()
    return _SCHEDULER


def _forget_scheduler_after_fork() -> None:
    """A forked child has none of the parent's threads: it starts its own heartbeat thread."""
    global _SCHEDULER, _SCHEDULER_LOCK
    _SCHEDULER = None
    _SCHEDULER_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_scheduler_after_fork)


def _elapsed(start: _dt.datetime | None, stop: _dt.datetime) -> str:
    if start is None:
        return "0:00:00"
    delta = stop - start
    return str(_dt.timedelta(seconds=int(delta.total_seconds())))


class _SignalGuard:
    """SIGTERM and Ctrl+C around a run, so that its end is always recorded.

    While the run executes, SIGTERM interrupts the main thread like Ctrl+C
    does (status INTERRUPTED): schedulers stop jobs this way. While the run's
    end is being recorded, SIGTERM and SIGINT are only remembered and are
    delivered again once the record is complete, so a second Ctrl+C cannot
    cut the final save of an observer in half.
    """

    def __init__(self, install: bool = True) -> None:
        self.active = False
        self.pending: list[int] = []
        self.previous: dict[int, Any] = {}
        if not install or threading.current_thread() is not threading.main_thread():
            return
        try:
            term = _raw_signal.getsignal(_raw_signal.SIGTERM)
            interrupt = _raw_signal.getsignal(_raw_signal.SIGINT)
        except (ValueError, AttributeError):
            return
        self.active = True
        if term in (_raw_signal.SIG_DFL, None):
            # otherwise somebody else (e.g. a scheduler integration) handles SIGTERM
            self.previous[_raw_signal.SIGTERM] = term
            _raw_signal.signal(_raw_signal.SIGTERM, self._interrupt)
        if interrupt is _raw_signal.default_int_handler:
            self.previous[_raw_signal.SIGINT] = interrupt

    @staticmethod
    def _interrupt(signum: int, frame: Any) -> None:
        raise SigTermInterrupt("SIGTERM received")

    def _remember(self, signum: int, frame: Any) -> None:
        if signum not in self.pending:
            self.pending.append(signum)

    def defer(self) -> None:
        """From now on only remember SIGTERM and SIGINT."""
        if self.active:
            for signum in self.previous:
                _raw_signal.signal(signum, self._remember)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Only remember SIGTERM and SIGINT inside the block; deliver them right after it."""
        if not self.active:
            yield
            return
        current = {signum: _raw_signal.getsignal(signum) for signum in self.previous}
        for signum in current:
            _raw_signal.signal(signum, self._remember)
        try:
            yield
        finally:
            for signum, handler in current.items():
                _raw_signal.signal(signum, handler)
            pending, self.pending = self.pending, []
            for signum in pending:
                os.kill(os.getpid(), signum)

    def restore(self) -> None:
        """Restore the previous handlers and re-deliver what was remembered."""
        if not self.active:
            return
        self.active = False
        for signum, handler in self.previous.items():
            _raw_signal.signal(signum, handler)
        for signum in self.pending:
            os.kill(os.getpid(), signum)


_SACRED_DIR = os.path.dirname(os.path.abspath(__file__))


def _is_sacred_frame(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_SACRED_DIR + os.sep)


def format_filtered_stacktrace(err: BaseException, debug: bool = False) -> list[str]:
    """The exception's traceback as lines, without sacred's own frames unless ``debug``.

    Chained exceptions (``raise ... from``, or raised while handling another)
    come first, linked by the sentences Python itself prints.
    """
    if debug:
        return traceback.format_exception(type(err), err, err.__traceback__)
    # the chain from the root cause to ``err``, each with the sentence that links it onwards
    chain: list[tuple[BaseException, str | None]] = []
    seen: set[int] = set()
    current: BaseException | None = err
    link: str | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE_LINK
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT_LINK
        else:
            current = None
    lines: list[str] = []
    for exc, link_to_next in reversed(chain):
        frames = [
            f for f in traceback.extract_tb(exc.__traceback__) if not _is_sacred_frame(f.filename)
        ]
        lines.append("Traceback (most recent calls WITHOUT Sacred internals):\n")
        lines += traceback.format_list(frames)
        lines += traceback.format_exception_only(type(exc), exc)
        if link_to_next is not None:
            lines.append(link_to_next)
    return lines


_CAUSE_LINK = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT_LINK = "\nDuring handling of the above exception, another exception occurred:\n\n"


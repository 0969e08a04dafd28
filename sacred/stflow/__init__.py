"""Integration with TensorFlow: record where summaries are written.

``LogFileWriter(ex)`` is a decorator (for functions and methods) and a context
manager. While it is active, every construction of
``tensorflow.summary.FileWriter`` (and ``tensorflow.compat.v1.summary.FileWriter``
when present) appends its log directory, exactly as passed, to
``ex.current_run.info["tensorflow"]["logdirs"]``.

It works by wrapping ``FileWriter.__init__`` on the class itself for the
duration of the scope, so writers created through any alias of the class are
seen, ``isinstance``/``type`` checks are unaffected, and the original
``__init__`` is restored when the last active scope ends (also on exceptions).
Nested scopes for the same run record each directory once. TensorFlow is
imported only when a scope is entered.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sacred.utils import SacredError

__all__ = ["LogFileWriter", "LogFileWriterError"]

F = TypeVar("F", bound=Callable[..., Any])

_FILE_WRITER_PATHS = (
    ("summary", "FileWriter"),
    ("compat", "v1", "summary", "FileWriter"),
)
_MISSING = object()


class LogFileWriterError(SacredError, RuntimeError):
    """LogFileWriter was used where it cannot work (no running experiment, no TensorFlow)."""


class _FileWriterInterceptor:
    """Installs one recording ``__init__`` per FileWriter class while scopes are active."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        # (token, run, classes, thread id) per active scope
        self._scopes: list[tuple[object, Any, tuple[type, ...], int]] = []
        self._patched: dict[type, tuple[Any, int]] = {}  # class -> (original __init__, users)

    def activate(self, run: Any, classes: list[type]) -> object:
        """Start recording into ``run.info``; return a token for :meth:`deactivate`."""
        token = object()
        with self._lock:
            for cls in classes:
                original, users = self._patched.get(cls, (_MISSING, 0))
                if users == 0:
                    original = cls.__dict__.get("__init__", _MISSING)
                    cls.__init__ = self._recording_init(cls, original)
                self._patched[cls] = (original, users + 1)
            self._scopes.append((token, run, tuple(classes), threading.get_ident()))
        return token

    def deactivate(self, token: object) -> None:
        """End the scope ``token``; restore classes no other scope still uses."""
        with self._lock:
            index = next((i for i, scope in enumerate(self._scopes) if scope[0] is token), None)
            if index is None:
                return
            classes = self._scopes.pop(index)[2]
            for cls in classes:
                original, users = self._patched[cls]
                if users > 1:
                    self._patched[cls] = (original, users - 1)
                    continue
                del self._patched[cls]
                if original is _MISSING:
                    del cls.__init__
                else:
                    cls.__init__ = original

    def record(self, logdir: Any) -> None:
        """Append ``logdir`` once to each run whose scope is active.

        Scopes entered in the constructing thread win; a writer built in a
        thread without a scope of its own goes to every active scope's run.
        """
        with self._lock:
            here = threading.get_ident()
            scopes = [s for s in self._scopes if s[3] == here] or list(self._scopes)
            runs: list[Any] = []
            for scope in scopes:
                if all(scope[1] is not seen for seen in runs):
                    runs.append(scope[1])
        for run in runs:
            tf_info = run.info.setdefault("tensorflow", {})
            tf_info.setdefault("logdirs", []).append(logdir)

    def _recording_init(self, cls: type, original: Any) -> Callable[..., None]:
        interceptor = self

        def __init__(writer: Any, *args: Any, **kwargs: Any) -> None:
            if original is _MISSING:
                super(cls, writer).__init__(*args, **kwargs)
            else:
                original(writer, *args, **kwargs)
            logdir = args[0] if args else kwargs.get("logdir")
            interceptor.record(logdir)

        if original is not _MISSING:
            functools.update_wrapper(__init__, original)
        __init__.__sacred_logfilewriter__ = True  # type: ignore[attr-defined]
        return __init__


_INTERCEPTOR = _FileWriterInterceptor()


def _file_writer_classes() -> list[type]:
    try:
        tensorflow = importlib.import_module("tensorflow")
    except ImportError as err:
        raise LogFileWriterError(
            f"LogFileWriter needs TensorFlow, which cannot be imported ({err}); "
            "install it with: pip install tensorflow"
        ) from None
    classes: list[type] = []
    for attributes in _FILE_WRITER_PATHS:
        obj: Any = tensorflow
        for name in attributes:
            obj = getattr(obj, name, None)
            if obj is None:
                break
        if isinstance(obj, type) and obj not in classes:
            classes.append(obj)
    if not classes:
        raise LogFileWriterError(
            "LogFileWriter found no tensorflow.summary.FileWriter nor "
            "tensorflow.compat.v1.summary.FileWriter in the installed TensorFlow "
            f"({getattr(tensorflow, '__version__', 'unknown version')})"
        )
    return classes


class LogFileWriter:
    """Record the log directories of TensorFlow ``FileWriter`` objects in the run's info.

    Use ``@LogFileWriter(ex)`` on a function or method, or ``with
    LogFileWriter(ex):``. The experiment must be running (``ex.current_run``
    set, status RUNNING) when the scope is entered; otherwise
    :class:`LogFileWriterError` says so. Paths end up in
    ``_run.info["tensorflow"]["logdirs"]``, exactly as passed to ``FileWriter``.
    """

    def __init__(self, experiment: Any) -> None:
        if not hasattr(experiment, "current_run"):
            raise TypeError(
                "LogFileWriter expects the Experiment (the object with .current_run), "
                f"got {type(experiment).__name__}"
            )
        self.experiment = experiment
        self._tokens = threading.local()

    def _token_stack(self) -> list[object]:
        stack = getattr(self._tokens, "stack", None)
        if stack is None:
            stack = self._tokens.stack = []
        return stack

    def _running_run(self) -> Any:
        run = self.experiment.current_run
        if run is None:
            raise LogFileWriterError(
                "LogFileWriter can only be used while the experiment is running: call the "
                "decorated function or enter the `with LogFileWriter(ex):` block from inside "
                "the main function or a command (ex.current_run is None now)"
            )
        status = getattr(run, "status", "RUNNING")
        if status not in ("RUNNING", None):
            raise LogFileWriterError(
                f"LogFileWriter needs a RUNNING experiment, but the run's status is {status}"
            )
        if not isinstance(getattr(run, "info", None), dict):
            raise LogFileWriterError("LogFileWriter: the current run has no info dict")
        return run

    def __enter__(self) -> LogFileWriter:
        run = self._running_run()
        classes = _file_writer_classes()
        self._token_stack().append(_INTERCEPTOR.activate(run, classes))
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        stack = self._token_stack()
        if stack:
            _INTERCEPTOR.deactivate(stack.pop())

    def __call__(self, func: F) -> F:
        """Decorate ``func`` (function or method) so its body runs inside this scope."""
        if not callable(func):
            raise TypeError(
                f"LogFileWriter(ex) decorates a function or method, got {type(func).__name__}"
            )

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

"""sacred.stflow.LogFileWriter.

TensorFlow is not installed here, so these tests insert a stand-in
``tensorflow`` package into ``sys.modules``: ``tensorflow.summary.FileWriter``
and ``tensorflow.compat.v1.summary.FileWriter`` are small classes with the
real constructor shape ``FileWriter(logdir, graph=None, ...)``. The experiment
is either a minimal stand-in with ``.current_run.info`` or a real Experiment.
"""

from __future__ import annotations

import sys
import threading
import types

import pytest

from sacred.stflow import LogFileWriter, LogFileWriterError


class FileWriter:
    """Stand-in for tensorflow.summary.FileWriter."""

    def __init__(self, logdir, graph=None, max_queue=10, **kwargs):
        if logdir == "explode":
            raise ValueError("cannot write there")
        self.logdir = logdir
        self.graph = graph


class V1FileWriterBase:
    def __init__(self, logdir, graph=None):
        self.logdir = logdir


class V1FileWriter(V1FileWriterBase):
    """Stand-in for a distinct tensorflow.compat.v1.summary.FileWriter (inherits __init__)."""


def _fake_tensorflow(with_v1: bool = True, with_summary: bool = True):
    tf = types.ModuleType("tensorflow")
    tf.__path__ = []
    tf.__version__ = "1.15.0-standin"
    modules = {"tensorflow": tf}
    if with_summary:
        tf.summary = types.SimpleNamespace(FileWriter=FileWriter)
    if with_v1:
        v1 = types.SimpleNamespace(summary=types.SimpleNamespace(FileWriter=V1FileWriter))
        tf.compat = types.SimpleNamespace(v1=v1)
    return modules


@pytest.fixture
def tf(monkeypatch):
    """A stand-in tensorflow module (the real one is not installed)."""
    modules = _fake_tensorflow()
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    yield modules["tensorflow"]
    assert "__init__" not in V1FileWriter.__dict__  # restored: inherited again
    assert FileWriter.__dict__["__init__"] is ORIGINAL_INIT


ORIGINAL_INIT = FileWriter.__dict__["__init__"]


class Run:
    def __init__(self):
        self.info = {}
        self.status = "RUNNING"


class StandInExperiment:
    """The contract LogFileWriter relies on: .current_run (None outside a run) with .info."""

    def __init__(self, running=True):
        self.current_run = Run() if running else None


def logdirs(ex):
    return ex.current_run.info.get("tensorflow", {}).get("logdirs")


def test_context_manager_records_exactly_what_was_passed(tf):
    ex = StandInExperiment()
    with LogFileWriter(ex):
        tf.summary.FileWriter("/tmp/1", "graph")
        assert logdirs(ex) == ["/tmp/1"]
        tf.summary.FileWriter(logdir="./test")
        tf.compat.v1.summary.FileWriter("v1dir")
    tf.summary.FileWriter("./nothing")  # outside the scope: not recorded
    assert logdirs(ex) == ["/tmp/1", "./test", "v1dir"]


def test_nothing_is_recorded_outside_any_scope(tf):
    ex = StandInExperiment()
    tf.summary.FileWriter("/tmp/x")
    assert ex.current_run.info == {}


def test_decorator_on_function_and_method(tf):
    ex = StandInExperiment()

    @LogFileWriter(ex)
    def train(run_name):
        """Train."""
        return tf.summary.FileWriter(f"/logs/{run_name}")

    class Trainer:
        @LogFileWriter(ex)
        def fit(self, where):
            return tf.summary.FileWriter(where).logdir

    writer = train("a")
    assert isinstance(writer, FileWriter) and type(writer) is FileWriter
    assert writer.logdir == "/logs/a"
    assert train.__name__ == "train" and train.__doc__ == "Train."
    assert Trainer().fit("b") == "b"
    tf.summary.FileWriter("after")
    assert logdirs(ex) == ["/logs/a", "b"]


def test_class_is_restored_even_when_the_scope_raises(tf):
    ex = StandInExperiment()
    with pytest.raises(KeyError):
        with LogFileWriter(ex):
            tf.summary.FileWriter("inside")
            assert FileWriter.__dict__["__init__"] is not ORIGINAL_INIT
            raise KeyError("x")
    assert FileWriter.__dict__["__init__"] is ORIGINAL_INIT
    assert "__init__" not in V1FileWriter.__dict__
    assert tf.summary.FileWriter is FileWriter
    assert logdirs(ex) == ["inside"]


def test_failed_construction_is_not_recorded_and_error_propagates(tf):
    ex = StandInExperiment()
    with LogFileWriter(ex):
        with pytest.raises(ValueError, match="cannot write there"):
            tf.summary.FileWriter("explode")
    assert logdirs(ex) is None


def test_nested_scopes_record_once_and_restore_at_the_outermost_exit(tf):
    ex = StandInExperiment()
    outer = LogFileWriter(ex)
    with outer:
        with LogFileWriter(ex):
            tf.summary.FileWriter("nested")
        tf.summary.FileWriter("still outer")  # inner exit must not unpatch
        with outer:  # the same object re-entered
            tf.summary.FileWriter("reentered")
        tf.summary.FileWriter("outer again")
    tf.summary.FileWriter("outside")
    assert logdirs(ex) == ["nested", "still outer", "reentered", "outer again"]


def test_writers_created_through_a_held_reference_or_subclass_are_seen(tf):
    ex = StandInExperiment()
    HeldFileWriter = tf.summary.FileWriter  # "from tensorflow.summary import FileWriter"

    class MyWriter(FileWriter):
        def __init__(self, path):
            super().__init__(path + "/sub")

    with LogFileWriter(ex):
        HeldFileWriter("held")
        MyWriter("mine")
    assert logdirs(ex) == ["held", "mine/sub"]


def test_existing_tensorflow_info_is_extended(tf):
    ex = StandInExperiment()
    ex.current_run.info["tensorflow"] = {"logdirs": ["earlier"], "other": 1}
    with LogFileWriter(ex):
        tf.summary.FileWriter("later")
    assert ex.current_run.info["tensorflow"] == {"logdirs": ["earlier", "later"], "other": 1}


def test_not_running_is_a_clear_error(tf):
    ex = StandInExperiment(running=False)
    with pytest.raises(LogFileWriterError, match="only be used while the experiment is running"):
        with LogFileWriter(ex):
            pass

    @LogFileWriter(ex)
    def f():
        return 1

    with pytest.raises(LogFileWriterError, match="running"):
        f()
    ex.current_run = Run()
    ex.current_run.status = "COMPLETED"
    with pytest.raises(LogFileWriterError, match="status is COMPLETED"):
        with LogFileWriter(ex):
            pass
    assert FileWriter.__dict__["__init__"] is ORIGINAL_INIT


def test_wrong_arguments_are_refused():
    with pytest.raises(TypeError, match="expects the Experiment"):
        LogFileWriter("not an experiment")
    with pytest.raises(TypeError, match="decorates a function"):
        LogFileWriter(StandInExperiment())(42)


def test_missing_tensorflow_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # makes the import fail
    with pytest.raises(LogFileWriterError, match="pip install tensorflow"):
        with LogFileWriter(StandInExperiment()):
            pass


def test_tensorflow_without_any_file_writer_is_a_clear_error(monkeypatch):
    modules = _fake_tensorflow(with_v1=False, with_summary=False)
    monkeypatch.setitem(sys.modules, "tensorflow", modules["tensorflow"])
    with pytest.raises(LogFileWriterError, match="found no tensorflow.summary.FileWriter"):
        with LogFileWriter(StandInExperiment()):
            pass


def test_tf2_layout_uses_compat_v1_only(monkeypatch):
    modules = _fake_tensorflow(with_v1=True, with_summary=False)
    monkeypatch.setitem(sys.modules, "tensorflow", modules["tensorflow"])
    ex = StandInExperiment()
    with LogFileWriter(ex):
        modules["tensorflow"].compat.v1.summary.FileWriter("v1only")
    assert logdirs(ex) == ["v1only"]
    assert "__init__" not in V1FileWriter.__dict__


def test_scopes_in_two_threads_each_keep_their_own_run(tf):
    ex_a, ex_b = StandInExperiment(), StandInExperiment()
    barrier = threading.Barrier(2, timeout=5)
    errors = []

    def work(ex, name):
        try:
            with LogFileWriter(ex):
                barrier.wait()
                tf.summary.FileWriter(name)
                barrier.wait()
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(ex, n)) for ex, n in ((ex_a, "a"), (ex_b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not errors
    # both scopes were active at once; each thread's writer went to its own run
    assert logdirs(ex_a) == ["a"] and logdirs(ex_b) == ["b"]


def test_writer_built_in_a_thread_without_scope_goes_to_the_active_run(tf):
    ex = StandInExperiment()
    with LogFileWriter(ex):
        worker = threading.Thread(target=tf.summary.FileWriter, args=("from worker",))
        worker.start()
        worker.join(timeout=5)
    assert logdirs(ex) == ["from worker"]


def test_with_a_real_experiment(tf):
    experiment = pytest.importorskip("sacred.experiment")
    ex = experiment.Experiment("tf_exp")

    @ex.main
    @LogFileWriter(ex)
    def run_experiment(_run):
        tf.summary.FileWriter("/tmp/1", None)
        assert _run.info["tensorflow"]["logdirs"] == ["/tmp/1"]
        tf.summary.FileWriter("./test", None)
        return list(_run.info["tensorflow"]["logdirs"])

    run = ex.run()
    assert run.result == ["/tmp/1", "./test"]
    assert run.info["tensorflow"]["logdirs"] == ["/tmp/1", "./test"]
    with pytest.raises(LogFileWriterError):
        with LogFileWriter(ex):
            pass


def test_context_method_decorator_wraps_and_restores():
    from sacred.stflow.internal import ContextMethodDecorator
    from sacred.stflow.method_interception import ContextMethodDecorator as same
    from sacred.stflow.method_interception import LogFileWriter as writer

    class T:
        def f(self, x):
            return x * 2

    calls = []

    def deco(instance, original_method, original_args, original_kwargs):
        calls.append((type(instance).__name__, original_args, original_kwargs))
        return original_method(instance, *original_args, **original_kwargs) + 1

    original = T.f
    with ContextMethodDecorator(T, "f", deco):
        assert T().f(3) == 7 and T().f(x=1) == 3
    assert T.f is original and T().f(3) == 6
    assert calls == [("T", (3,), {}), ("T", (), {"x": 1})]

    @ContextMethodDecorator(T, "f", deco)
    def use():
        return T().f(1)

    assert use() == 3 and T.f is original
    with pytest.raises(ZeroDivisionError):
        with ContextMethodDecorator(T, "f", deco):
            raise ZeroDivisionError("inside")
    assert T.f is original
    assert same is ContextMethodDecorator and writer is LogFileWriter

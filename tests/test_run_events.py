"""The run-event contract (sacred/run_events.py) is the one declaration everything follows."""

from __future__ import annotations

import datetime as dt
import inspect
import pickle

import pytest

from sacred import run_events
from sacred.observers.base import RunObserver
from sacred.run_events import EVENT_NAMES, RunEvent, RunEventSpec, event_arguments

# Sacred 0.8.7's documented observer signatures (docs: "Custom Observer")
SPEC_ORDER = {
    "queued_event": ("ex_info", "command", "host_info", "queue_time", "config", "meta_info", "_id"),
    "started_event": ("ex_info", "command", "host_info", "start_time", "config", "meta_info", "_id"),
    "heartbeat_event": ("info", "captured_out", "beat_time", "result"),
    "completed_event": ("stop_time", "result"),
    "interrupted_event": ("interrupt_time", "status"),
    "failed_event": ("fail_time", "fail_trace"),
    "resource_event": ("filename",),
    "artifact_event": ("name", "filename", "metadata", "content_type"),
    "log_metrics": ("metrics_by_name", "info"),
}


def test_the_contract_declares_the_nine_events_in_0_8_7_order():
    assert set(EVENT_NAMES) == set(SPEC_ORDER)
    for event, order in SPEC_ORDER.items():
        assert event_arguments(event) == order
        method = getattr(RunEventSpec, event)
        assert method.__doc__, event
        hints = inspect.get_annotations(method)
        assert set(order) <= set(hints), f"{event} is not fully typed"


def test_run_observer_is_the_contract():
    assert issubclass(RunObserver, RunEventSpec)
    for event in EVENT_NAMES:
        assert getattr(RunObserver, event) is getattr(RunEventSpec, event)


def test_a_run_event_record_binds_positional_arguments_and_defaults():
    event = RunEvent.from_call("artifact_event", "model", "/tmp/m.bin")
    assert event == RunEvent("artifact_event", {"name": "model", "filename": "/tmp/m.bin",
                                                "metadata": None, "content_type": None})
    assert not event.starts_run and not event.ends_run
    assert RunEvent.from_call("completed_event", stop_time=None, result=1).ends_run
    assert pickle.loads(pickle.dumps(event)) == event


@pytest.mark.parametrize("call", [
    lambda: RunEvent.from_call("completed_event", 1, 2, 3),
    lambda: RunEvent.from_call("resource_event"),
    lambda: RunEvent.from_call("failed_event", fail_time=1, trace=[]),
])
def test_a_wrong_call_names_the_event(call):
    with pytest.raises(TypeError, match="_event"):
        call()


def test_an_unknown_event_is_refused_naming_the_accepted_ones():
    with pytest.raises(ValueError, match="unknown run event 'start'.*started_event"):
        RunEvent.from_call("start")


def test_deliver_passes_only_what_a_method_accepts_and_skips_missing_methods():
    class Partial:
        def queued_event(self, ex_info, command, queue_time, config, meta_info, _id):
            return (command, _id)

    event = RunEvent.from_call("queued_event", {}, "main", {"host": 1}, dt.datetime(2020, 1, 1),
                               {}, {}, 7)
    assert event.deliver(Partial()) == ("main", 7)
    assert RunEvent.from_call("resource_event", "/x").deliver(Partial()) is None


def test_plugin_hooks_take_run_plus_the_event_arguments():
    pytest.importorskip("pluggy")
    specs = run_events.plugin_hookspecs()
    for event, order in SPEC_ORDER.items():
        hook = getattr(specs, event)
        assert hook.__code__.co_varnames[: hook.__code__.co_argcount] == ("run", *order)
        assert getattr(hook, "sacred_spec", None) is not None


def _observer_classes():
    import sacred.observers as observers

    names = ["FileStorageObserver", "MongoObserver", "QueuedMongoObserver", "QueueObserver",
             "TinyDbObserver", "SqlObserver", "S3Observer", "GoogleCloudStorageObserver",
             "SlackObserver", "TelegramObserver"]
    return [getattr(observers, name) for name in names]


@pytest.mark.parametrize("cls", _observer_classes(), ids=lambda c: c.__name__)
def test_every_observer_accepts_positional_arguments_in_0_8_7_order(cls):
    for event, order in SPEC_ORDER.items():
        method = getattr(cls, event, None)
        if method is None:
            continue
        signature = inspect.signature(method)
        bound = signature.bind(None, *order)  # raises if the positional order differs
        for name in order:
            assert bound.arguments.get(name, name) == name, (cls.__name__, event, name)


def test_a_run_event_compares_prints_and_matches_like_a_dataclass():
    event = RunEvent("resource_event", {"filename": "/tmp/r"})
    assert RunEvent("completed_event").kwargs == {}
    assert event != RunEvent("resource_event", {"filename": "/tmp/other"})
    assert event != ("resource_event", {"filename": "/tmp/r"})
    assert repr(event) == "RunEvent(name='resource_event', kwargs={'filename': '/tmp/r'})"
    match event:
        case RunEvent(name, kwargs):
            assert (name, kwargs) == ("resource_event", {"filename": "/tmp/r"})
    with pytest.raises(TypeError):
        hash(event)

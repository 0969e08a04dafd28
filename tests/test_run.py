"""Runs: lifecycle, events, observers, heartbeats, metrics (spec: Experiment Overview, Events)."""

import datetime
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from sacred import Experiment
from sacred.observers import RunObserver
from sacred.utils import ObserverError, SacredInterrupt, TimeoutInterrupt


class Recorder(RunObserver):
    """Records every event with its arguments."""

    def __init__(self, priority=0, returns_id=None, name="rec"):
        self.priority = priority
        self.returns_id = returns_id
        self.name = name
        self.events = []

    def queued_event(self, ex_info, command, host_info, queue_time, config, meta_info, _id):
        self.events.append(("queued", dict(queue_time=queue_time, _id=_id, config=config)))
        return self.returns_id

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        self.events.append(
            ("started", dict(ex_info=ex_info, command=command, host_info=host_info,
                             start_time=start_time, config=config, meta_info=meta_info, _id=_id))
        )
        return self.returns_id

    def heartbeat_event(self, info, captured_out, beat_time, result):
        self.events.append(("heartbeat", dict(info=dict(info), captured_out=captured_out,
                                              beat_time=beat_time, result=result)))

    def completed_event(self, stop_time, result):
        self.events.append(("completed", dict(stop_time=stop_time, result=result)))

    def interrupted_event(self, interrupt_time, status):
        self.events.append(("interrupted", dict(interrupt_time=interrupt_time, status=status)))

    def failed_event(self, fail_time, fail_trace):
        self.events.append(("failed", dict(fail_time=fail_time, fail_trace=fail_trace)))

    def resource_event(self, filename):
        self.events.append(("resource", dict(filename=filename)))

    def artifact_event(self, name, filename, metadata=None, content_type=None):
        self.events.append(("artifact", dict(name=name, filename=filename, metadata=metadata,
                                             content_type=content_type)))

    def log_metrics(self, metrics_by_name, info):
        self.events.append(("metrics", dict(metrics_by_name=metrics_by_name)))

    def names(self):
        return [e[0] for e in self.events]

    def of(self, name):
        return [e[1] for e in self.events if e[0] == name]


def make_ex(main=None, observers=()):
    ex = Experiment("run_demo")

    @ex.config
    def cfg():
        a = 1

    if main is None:
        def main(a):
            return a * 2
    ex.main(main)
    ex.observers.extend(observers)
    return ex


def test_run_returns_run_with_documented_attributes():
    rec = Recorder()
    run = make_ex(observers=[rec]).run(info={"i": 1}, meta_info={"m": 2})
    for attr in ["config", "config_modifications", "main_function", "observers", "root_logger",
                 "run_logger", "experiment_info", "host_info", "pre_run_hooks", "post_run_hooks",
                 "captured_out_filter", "beat_interval", "capture_mode", "captured_out", "debug",
                 "fail_trace", "force", "info", "meta_info", "pdb", "queue_only", "result",
                 "start_time", "status", "stop_time", "unobserved", "_id"]:
        assert hasattr(run, attr), attr
    assert run.status == "COMPLETED" and run.result == 2
    assert run.info == {"i": 1} and run.meta_info["m"] == 2
    assert run.meta_info["command"] == "main"
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert abs((now - run.start_time).total_seconds()) < 300
    assert run.start_time.tzinfo is None and run.stop_time >= run.start_time


def test_events_in_order_with_documented_arguments(tmp_path):
    rec = Recorder(returns_id=17)
    artifact = tmp_path / "model.bin"
    artifact.write_bytes(b"weights")
    resource = tmp_path / "data.csv"
    resource.write_text("1,2")

    def main(a, _run):
        _run.add_resource(str(resource))
        _run.add_artifact(str(artifact), name="model", metadata={"k": 1}, content_type="x/y")
        _run.log_scalar("loss", 0.5)
        print("hello")
        return a

    run = make_ex(main, [rec]).run()
    names = rec.names()
    assert names[0] == "started" and names[-1] == "completed"
    assert names.index("resource") < names.index("artifact") < names.index("metrics")
    assert names[-2] == "heartbeat" and names[-3] == "metrics"
    started = rec.of("started")[0]
    assert started["command"] == "main" and started["config"]["a"] == 1
    assert started["ex_info"]["name"] == "run_demo" and "hostname" in started["host_info"]
    assert started["_id"] is None and run._id == 17
    assert rec.of("artifact")[0] == dict(name="model", filename=str(artifact),
                                         metadata={"k": 1}, content_type="x/y")
    assert rec.of("resource")[0]["filename"] == str(resource)
    assert rec.of("completed")[0]["result"] == 1


def test_queue_only_fires_only_queued_event():
    rec = Recorder(returns_id="q1")
    executed = []

    def main():
        executed.append(True)

    run = make_ex(main, [rec]).run(options={"--queue": True})
    assert rec.names() == ["queued"] and executed == []
    assert run.status == "QUEUED" and run._id == "q1"
    assert "queue_time" in run.meta_info


@pytest.mark.parametrize(
    "exc, status",
    [(KeyboardInterrupt, "INTERRUPTED"), (TimeoutInterrupt, "TIMEOUT")],
)
def test_interrupts_set_status(exc, status):
    rec = Recorder()

    def main():
        raise exc()

    with pytest.raises(exc):
        make_ex(main, [rec]).run()
    assert rec.names()[-1] == "interrupted"
    assert rec.of("interrupted")[0]["status"] == status


def test_custom_interrupt_status():
    class CustomInterrupt(SacredInterrupt):
        STATUS = "MY_CUSTOM_STATUS"

    rec = Recorder()

    def main():
        raise CustomInterrupt()

    ex = make_ex(main, [rec])
    with pytest.raises(CustomInterrupt):
        ex.run()
    assert rec.of("interrupted")[0]["status"] == "MY_CUSTOM_STATUS"


def test_failed_event_has_filtered_trace_and_output():
    rec = Recorder()

    def main():
        print("before the failure")
        raise ValueError("boom")

    ex = make_ex(main, [rec])
    with pytest.raises(ValueError):
        ex.run(options={"--capture": "sys"})
    trace = "".join(rec.of("failed")[0]["fail_trace"])
    assert "ValueError: boom" in trace and "WITHOUT Sacred internals" in trace
    assert "sacred/run.py" not in trace
    assert "before the failure" in rec.of("heartbeat")[-1]["captured_out"]
    with pytest.raises(ValueError):
        ex.run(options={"--debug": True})
    assert "sacred/run.py" in "".join(rec.of("failed")[-1]["fail_trace"])


def test_observers_by_priority_first_id_wins_and_id_option():
    order = []

    class Named(Recorder):
        def started_event(self, **kwargs):
            order.append(self.name)
            return self.returns_id

    low = Named(priority=1, returns_id="low", name="low")
    high = Named(priority=50, returns_id="high", name="high")
    run = make_ex(observers=[low, high]).run()
    assert order == ["high", "low"] and run._id == "high"
    run = make_ex(observers=[low]).run(options={"--id": "forced"})
    assert run._id == "forced"


def test_spec_my_observer_works_unchanged():
    calls = []

    class MyObserver(RunObserver):
        def queued_event(self, ex_info, command, queue_time, config, meta_info, _id):
            calls.append("queued")

        def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
            calls.append("started")

        def heartbeat_event(self, info, captured_out, beat_time, result):
            calls.append("heartbeat")

        def completed_event(self, stop_time, result):
            calls.append("completed")

        def interrupted_event(self, interrupt_time, status):
            pass

        def failed_event(self, fail_time, fail_trace):
            pass

        def resource_event(self, filename):
            pass

        def artifact_event(self, name, filename):
            pass

    make_ex(observers=[MyObserver()]).run()
    make_ex(observers=[MyObserver()]).run(options={"--queue": True})
    assert calls == ["started", "heartbeat", "completed", "queued"]


def test_wrong_observer_signature_names_observer_and_event():
    class Broken(RunObserver):
        def completed_event(self, stop_time, result, extra):
            pass

    with pytest.raises(ObserverError, match=r"Broken.completed_event.*extra"):
        make_ex(observers=[Broken()]).run()


def test_observer_failing_in_heartbeat_is_logged_and_keeps_receiving(caplog):
    class Flaky(Recorder):
        def heartbeat_event(self, **kwargs):
            raise ConnectionError("db down")

    flaky = Flaky()

    def main():
        time.sleep(0.3)

    with caplog.at_level(logging.WARNING):
        run = make_ex(main, [flaky]).run(options={"--beat_interval": 0.05})
    assert run.status == "COMPLETED"
    assert flaky.names()[-1] == "completed"
    assert "Flaky failed in heartbeat_event" in caplog.text


def test_observer_failing_in_started_event_fails_the_run():
    class Bad(Recorder):
        def started_event(self, **kwargs):
            raise RuntimeError("cannot connect")

    executed = []

    def main():
        executed.append(1)

    with pytest.raises(ObserverError, match="Bad failed in started_event"):
        make_ex(main, [Bad()]).run()
    assert executed == []


def test_plugins_join_the_event_bus():
    from sacred import events

    seen = []

    class Plugin:
        @events.hookimpl
        def started_event(self, run, command):
            seen.append(("started", command))

        @events.hookimpl
        def completed_event(self, run, result):
            seen.append(("completed", result, run.status))

    plugin = Plugin()
    events.register_plugin(plugin)
    try:
        make_ex().run()
    finally:
        events.unregister_plugin(plugin)
    assert seen == [("started", "main"), ("completed", 2, "COMPLETED")]


def test_heartbeat_carries_info_output_and_intermediate_result():
    rec = Recorder()

    def main(_run):
        _run.info["epoch"] = 1
        _run.result = 0.5
        print("progress")
        time.sleep(0.4)
        return 1.0

    threads_before = set(threading.enumerate())
    fds_before = len(os.listdir("/proc/self/fd"))
    make_ex(main, [rec]).run(options={"--beat_interval": 0.05, "--capture": "sys"})
    beats = rec.of("heartbeat")
    assert len(beats) >= 3
    mid = beats[-2]
    assert mid["info"] == {"epoch": 1} and mid["result"] == 0.5
    assert "progress" in mid["captured_out"]
    assert beats[-1]["result"] == 1.0
    # the process's heartbeat thread stays for the next run, and ends when idle
    deadline = time.monotonic() + 30
    while not set(threading.enumerate()) <= threads_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(threading.enumerate()) <= threads_before
    assert len(os.listdir("/proc/self/fd")) <= fds_before


def test_runs_share_one_heartbeat_thread_and_beats_stop_with_their_run():
    from sacred.run import _Heartbeat

    calls: dict[str, int] = {"a": 0, "b": 0}
    a = _Heartbeat(0.01, lambda: calls.__setitem__("a", calls["a"] + 1))
    b = _Heartbeat(0.01, lambda: calls.__setitem__("b", calls["b"] + 1))
    a.start()
    b.start()
    deadline = time.monotonic() + 30
    while min(calls.values()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [t.name for t in threading.enumerate()].count("sacred-heartbeat") == 1
    a.stop()
    stopped_at = calls["a"]
    while calls["b"] < stopped_at + 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    b.stop()
    assert calls["a"] == stopped_at and calls["b"] >= 3  # nothing of a after its stop


def test_stop_waits_for_a_beat_in_progress():
    from sacred.run import _Heartbeat

    events = []
    started = threading.Event()

    def slow():
        started.set()
        time.sleep(0.2)
        events.append("beat done")

    hb = _Heartbeat(0.01, slow)
    hb.start()
    assert started.wait(30)
    hb.stop()
    events.append("stopped")
    assert events == ["beat done", "stopped"]


def test_beat_interval_from_settings():
    from sacred import SETTINGS

    SETTINGS.DEFAULT_BEAT_INTERVAL = 0.05
    rec = Recorder()
    make_ex(lambda: time.sleep(0.3), [rec]).run()
    assert len(rec.of("heartbeat")) >= 3


def test_fd_capture_includes_child_processes():
    rec = Recorder()

    def main():
        # pytest replaces sys.stdout; sys.__stdout__ writes to file descriptor 1
        print("python line", file=sys.__stdout__, flush=True)
        subprocess.run([sys.executable, "-c", "print('child line')"], check=True)
        os.write(1, b"raw fd line\n")

    make_ex(main, [rec]).run(options={"--capture": "fd"})
    out = rec.of("heartbeat")[-1]["captured_out"]
    assert out.index("python line") < out.index("child line") < out.index("raw fd line")


def test_captured_out_filter_applies_backspaces():
    from sacred.utils import apply_backspaces_and_linefeeds

    rec = Recorder()

    def main():
        for i in (10, 20, 30):
            print(f"{i}%", end="\r")
        print("99%\b\b\b100%")

    ex = make_ex(main, [rec])
    ex.captured_out_filter = apply_backspaces_and_linefeeds
    run = ex.run(options={"--capture": "sys"})
    assert run.captured_out == "100%\n"


def test_metrics_steps_timestamps_numpy_and_nothing_lost():
    rec = Recorder()

    def main(_run):
        _run.log_scalar("training.loss", 1.5, 10)
        _run.log_scalar("training.loss", np.float32(2.5), 20)
        for i in range(5000):
            _run.log_scalar("training.accuracy", i)
        _run.log_scalar("last", np.int64(7))

    ex = make_ex(main, [rec])
    ex.run(options={"--beat_interval": 0.01})
    merged = {}
    for batch in rec.of("metrics"):
        for name, series in batch["metrics_by_name"].items():
            m = merged.setdefault(name, {"steps": [], "values": [], "timestamps": []})
            for key in m:
                m[key] += series[key]
    assert merged["training.loss"]["steps"] == [10, 20]
    assert merged["training.loss"]["values"] == [1.5, 2.5]
    assert merged["training.accuracy"]["steps"] == list(range(5000))
    assert merged["last"]["values"] == [7] and type(merged["last"]["values"][0]) is int
    assert all(isinstance(t, datetime.datetime) for t in merged["training.accuracy"]["timestamps"])


def test_ex_log_scalar_and_bad_metric_values():
    ex = make_ex()
    with pytest.raises(RuntimeError, match="only be used while the experiment is running"):
        ex.log_scalar("x", 1)
    with pytest.raises(RuntimeError, match="ex.info"):
        _ = ex.info

    @ex.command
    def bad(_run):
        _run.log_scalar("loss", "not a number")

    with pytest.raises(TypeError, match='log_scalar\\("loss"'):
        ex.run("bad")


def test_resources_and_artifacts_errors_name_the_file(tmp_path):
    def main(_run):
        _run.add_artifact(str(tmp_path / "missing.bin"))

    with pytest.raises(FileNotFoundError, match="missing.bin"):
        make_ex(main).run()

    def main2(_run):
        with _run.open_resource(str(tmp_path / "nope.txt")):
            pass

    with pytest.raises(FileNotFoundError, match="nope.txt"):
        make_ex(main2).run()


def test_open_resource_through_experiment(tmp_path):
    path = tmp_path / "res.txt"
    path.write_text("content")
    rec = Recorder()
    ex = make_ex(observers=[rec])

    @ex.command
    def read():
        with ex.open_resource(str(path)) as f:
            return f.read()

    assert ex.run("read").result == "content"
    assert rec.of("resource")[0]["filename"] == str(path)


def test_pre_and_post_run_hooks_and_failing_hook():
    calls = []
    ex = make_ex(lambda a: calls.append("main"))

    @ex.pre_run_hook
    def pre(a):
        calls.append(("pre", a))

    @ex.post_run_hook
    def post():
        calls.append("post")

    ex.run()
    assert calls == [("pre", 1), "main", "post"]

    rec = Recorder()
    ex.observers.append(rec)

    @ex.pre_run_hook
    def broken():
        raise RuntimeError("hook broke")

    with pytest.raises(RuntimeError):
        ex.run()
    assert "hook broke" in "".join(rec.of("failed")[0]["fail_trace"])


def test_log_lines(caplog):
    with caplog.at_level(logging.INFO):
        make_ex().run()
    messages = [r.getMessage() for r in caplog.records if r.name == "run_demo"]
    assert messages[:3] == [
        "No observers have been added to this run",
        "Running command 'main'",
        "Started",
    ]
    assert messages[-1] == "Completed after 0:00:00"


def test_log_is_child_of_experiment_logger_and_logger_replaceable(caplog):
    ex = make_ex()
    custom = logging.getLogger("my_custom_logger")
    ex.logger = custom

    @ex.command
    def cmd(_log):
        _log.warning("My warning message!")
        return _log.name

    with caplog.at_level(logging.INFO):
        assert ex.run("cmd").result == "my_custom_logger.cmd"
    assert "My warning message!" in caplog.text


def test_unobserved_option_and_unobserved_command():
    rec = Recorder()
    ex = make_ex(observers=[rec])
    ex.run(options={"--unobserved": True})

    @ex.command(unobserved=True)
    def helper():
        return "helped"

    assert ex.run("helper").result == "helped"
    assert rec.events == []


def test_interactive_guard():
    code = "from sacred import Experiment\nEx = Experiment('x')\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0 and "interactive mode" in result.stderr
    ok = "from sacred import Experiment\nEx = Experiment('x', interactive=True)\nprint('ok')\n"
    assert subprocess.run([sys.executable, "-c", ok], capture_output=True, text=True).stdout == "ok\n"


def test_sigterm_is_recorded_as_interrupted(tmp_path):
    script = tmp_path / "sigterm_exp.py"
    marker = tmp_path / "started"
    script.write_text(textwrap.dedent(f"""
        import json, time
        from sacred import Experiment
        from sacred.observers import RunObserver

        class Dump(RunObserver):
            def heartbeat_event(self, info, captured_out, beat_time, result):
                self.out = captured_out
            def interrupted_event(self, interrupt_time, status):
                with open({str(tmp_path / 'result.json')!r}, 'w') as f:
                    json.dump({{'status': status, 'out': self.out}}, f)

        ex = Experiment('sigterm_exp')
        ex.observers.append(Dump())

        @ex.main
        def main():
            print('working', flush=True)
            open({str(marker)!r}, 'w').close()
            for _ in range(600):
                time.sleep(0.1)

        ex.run(options={{'--capture': 'sys'}})
    """))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.terminate()
    proc.wait(timeout=60)
    import json

    data = json.loads((tmp_path / "result.json").read_text())
    assert data["status"] == "INTERRUPTED"
    assert "working" in data["out"]
    assert proc.returncode != 0


def test_enforce_clean_fails_before_start_on_dirty_repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    script = repo / "exp.py"
    script.write_text(textwrap.dedent("""
        from sacred import Experiment
        ex = Experiment('clean_demo')

        @ex.main
        def main():
            print('RAN')

        if __name__ == '__main__':
            ex.run(options={'--enforce_clean': True})
    """))
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "init"]):
        subprocess.run(cmd, cwd=repo, check=True, env=env)
    clean = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=repo)
    assert "RAN" in clean.stdout, clean.stderr
    script.write_text(script.read_text() + "\n# dirty\n")
    dirty = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=repo)
    assert "RAN" not in dirty.stdout and dirty.returncode != 0
    assert "Uncommited changes" in dirty.stderr or "dirty" in dirty.stderr.lower()


def test_expensive_heartbeats_back_off_to_a_small_share_of_run_time():
    from sacred.run import _Heartbeat

    beat = _Heartbeat(0.1, lambda: None)
    assert beat.next_pause(0.001) == 0.1
    assert beat.next_pause(0.05) == pytest.approx(0.05 * 0.97 / 0.03)
    slow_beats = []

    def slow_beat():
        slow_beats.append(time.monotonic())
        time.sleep(0.02)

    hb = _Heartbeat(0.01, slow_beat)
    hb.start()
    deadline = time.monotonic() + 30
    while not slow_beats and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(1.0)
    hb.stop()
    # each beat of >= 20 ms is followed by >= 640 ms of pause: at most 3 beats in that second
    assert 1 <= len(slow_beats) <= 4


def test_metric_points_wait_at_most_a_second_or_the_interval_or_a_third_of_their_delivery():
    from sacred.run import _Heartbeat

    beat = _Heartbeat(0.1, lambda: None, lambda: 0.0)
    assert beat.next_pause(0.05) == pytest.approx(0.05 * 0.97 / 0.03)  # full beats: the 3% rule
    assert beat.delivery_pause(0.01) == 1.0
    assert beat.delivery_pause(6.0) == pytest.approx(2.0)  # delivery at most 3/4 of the time
    assert _Heartbeat(5.0, lambda: None, lambda: 0.0).delivery_pause(0.01) == 5.0


def test_metric_points_keep_flowing_between_full_beats_spaced_out_by_the_3_percent_rule():
    """A slow full beat (20 ms -> 650 ms pause) must not hold back metric points meanwhile."""
    from sacred.run import _Heartbeat

    full_beats, deliveries = [], []

    def slow_beat():
        full_beats.append(time.monotonic())
        time.sleep(0.02)
        return 0.0

    def deliver():
        deliveries.append(time.monotonic())
        return 0.001

    hb = _Heartbeat(0.01, slow_beat, deliver)
    hb.METRICS_MAX_WAIT = 0.05
    hb.start()
    deadline = time.monotonic() + 30
    while not full_beats and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(1.0)
    hb.stop()
    assert 1 <= len(full_beats) <= 4  # the 3% rule still spaces out the full beats
    assert len(deliveries) >= 8  # every ~50 ms (a loaded machine gets fewer) in between


class SlowBeatRecorder(Recorder):
    """Its heartbeat_event takes 50 ms: the 3% rule then pauses full beats for 1.6 s."""

    def heartbeat_event(self, info, captured_out, beat_time, result):
        time.sleep(0.05)
        super().heartbeat_event(info, captured_out, beat_time, result)

    def log_metrics(self, metrics_by_name, info):
        self.events.append(("metrics", dict(metrics_by_name=metrics_by_name, at=time.monotonic())))


def test_a_hot_log_scalar_loop_has_its_points_delivered_while_it_runs(monkeypatch):
    from sacred.run import _Heartbeat

    monkeypatch.setattr(_Heartbeat, "METRICS_MAX_WAIT", 0.1)
    rec = SlowBeatRecorder()
    loop_end = {}

    def main(_run):
        deadline = time.monotonic() + 1.0
        i = 0
        while time.monotonic() < deadline and i < 50_000_000:
            _run.log_scalar("loss", i * 0.5)
            i += 1
            sum(range(300))  # some work: small batches (this observer gets datetimes, slowly)
        loop_end["at"] = time.monotonic()

    make_ex(main, [rec]).run(options={"--beat_interval": 0.02})
    during = [e for name, e in rec.events if name == "metrics" and e["at"] < loop_end["at"]]
    # before: one full beat at 0.02 s, then 2 s of pause: a single delivery during the loop;
    # now one every 0.1 s or more (this observer's datetimes make deliveries slow)
    assert len(during) >= 2
    steps = [s for _, e in rec.events if _ == "metrics" for s in e["metrics_by_name"]["loss"]["steps"]]
    assert steps == list(range(len(steps)))  # all points, once, in order


def test_heartbeat_info_is_a_consistent_copy_while_main_thread_mutates():
    rec = Recorder()

    def main(_run):
        deadline = time.monotonic() + 0.5
        i = 0
        while time.monotonic() < deadline and i < 2_000_000:
            _run.info[f"k{i % 500}"] = {"v": i}
            if i % 500 == 0:
                _run.info.clear()
            i += 1

    run = make_ex(main, [rec]).run(options={"--beat_interval": 0.01})
    assert run.status == "COMPLETED"
    beats = rec.of("heartbeat")
    assert len(beats) >= 2
    assert all(isinstance(b["info"], dict) for b in beats)


def test_ctrl_c_during_the_final_save_is_delivered_after_the_record(tmp_path):
    script = tmp_path / "double_ctrl_c.py"
    script.write_text(textwrap.dedent(f"""
        import json, os, signal
        from sacred import Experiment
        from sacred.observers import RunObserver

        class SlowSave(RunObserver):
            def completed_event(self, stop_time, result):
                os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl+C while saving
                with open({str(tmp_path / 'saved.json')!r}, 'w') as f:
                    json.dump({{'result': result}}, f)

        ex = Experiment('double_ctrl_c')
        ex.observers.append(SlowSave())

        @ex.main
        def main():
            return 5

        try:
            ex.run(options={{'--capture': 'no'}})
        except KeyboardInterrupt:
            print('interrupt delivered after the save')
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    import json

    assert json.loads((tmp_path / "saved.json").read_text()) == {"result": 5}
    assert "interrupt delivered after the save" in out.stdout, out.stderr


def test_automatic_step_continues_after_an_explicit_step():
    # sacred 0.8.7: an omitted step is one more than the metric's previous step
    rec = Recorder()

    def main(_run):
        _run.log_scalar("loss", 1.0, 10)
        _run.log_scalar("loss", 2.0)
        _run.log_scalar("loss", 3.0, 5)
        _run.log_scalar("loss", 4.0)
        _run.log_scalar("acc", 1.0)

    make_ex(main, [rec]).run()
    (batch,) = [b["metrics_by_name"] for b in rec.of("metrics")]
    assert batch["loss"]["steps"] == [10, 11, 5, 6]
    assert batch["acc"]["steps"] == [0]


def test_run_started_inside_a_run_leaves_the_outer_run_intact():
    ex = Experiment("nested")
    seen = []

    @ex.config
    def cfg():
        depth = 0

    @ex.capture
    def current_depth(depth):
        return depth

    @ex.main
    def main(depth, _run):
        if depth == 0:
            inner = ex.run(config_updates={"depth": 1})
            seen.append(inner.result)
        ex.info["depth"] = depth
        ex.log_scalar("depth", depth)
        seen.append(current_depth())
        return depth

    outer = ex.run()
    assert seen == [1, 1, 0]
    assert outer.info == {"depth": 0} and outer.result == 0
    assert ex.current_run is None


def test_queued_run_log_lines_as_in_sacred_087(caplog):
    with caplog.at_level(logging.INFO):
        make_ex(observers=[Recorder(returns_id="q1")]).run(options={"--queue": True})
        make_ex().run(options={"--queue": True})
    messages = [r.getMessage() for r in caplog.records if r.name == "run_demo"]
    assert messages == [
        "Queuing-up command 'main'",
        'Queued-up run with ID "q1"',
        "No observers have been added to this run",
        "Queuing-up command 'main'",
        "Queued",
    ]


def test_interactive_experiment_still_records_imported_sources_and_packages(tmp_path):
    (tmp_path / "helper_mod.py").write_text("VALUE = 3\n")
    code = textwrap.dedent("""
        import json, sys
        sys.path.insert(0, ".")
        import helper_mod
        from sacred import Experiment
        ex = Experiment("nb", interactive=True)
        @ex.main
        def main():
            return helper_mod.VALUE
        run = ex.run()
        info = run.experiment_info
        print(json.dumps([info["sources"], info["dependencies"], info["mainfile"]]))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    sources, deps, mainfile = __import__("json").loads(out.stdout.splitlines()[-1])
    assert [s[0] for s in sources] == ["helper_mod.py"] and mainfile is None
    assert any(d.startswith("sacred==") for d in deps)


def test_automain_in_an_interactive_session_says_to_use_main():
    code = textwrap.dedent("""
        from sacred import Experiment
        ex = Experiment("nb", interactive=True)
        try:
            @ex.automain
            def main():
                print("MAIN RAN")
        except RuntimeError as err:
            print("ERROR:", err)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "MAIN RAN" not in out.stdout
    assert "ERROR:" in out.stdout and "@ex.main" in out.stdout


def test_ingredient_captured_functions_log_under_the_ingredient_path():
    from sacred import Ingredient

    inner = Ingredient("inner")
    dotted = Ingredient("ds.loader")
    data = Ingredient("data", ingredients=[inner])

    @inner.capture
    def f(_log):
        return _log.name

    @dotted.capture
    def g(_log):
        return _log.name

    @data.capture
    def h(_log):
        return _log.name

    ex = Experiment("logx", ingredients=[data, dotted])
    ex.logger = logging.getLogger("custom_root")

    @ex.main
    def main(_log):
        return [_log.name, f(), g(), h()]

    assert ex.run().result == [
        "custom_root.main", "custom_root.inner.f", "custom_root.ds.loader.g", "custom_root.data.h"
    ]


def test_failed_trace_keeps_chained_causes():
    rec = Recorder()

    def load():
        return {}["missing"]

    def main():
        try:
            load()
        except KeyError as err:
            raise RuntimeError("could not load data") from err

    with pytest.raises(RuntimeError):
        make_ex(main, [rec]).run()
    trace = "".join(rec.of("failed")[0]["fail_trace"])
    assert trace.index("KeyError: 'missing'") < trace.index(
        "The above exception was the direct cause of the following exception:"
    ) < trace.index("RuntimeError: could not load data")
    assert "in load" in trace and "sacred/run.py" not in trace
    assert trace.count("WITHOUT Sacred internals") == 2

    def suppressed():
        try:
            load()
        except KeyError:
            raise RuntimeError("clean") from None

    def implicit():
        try:
            load()
        except KeyError:
            raise RuntimeError("implicit")  # noqa: B904 - the implicit chain is the point

    with pytest.raises(RuntimeError):
        make_ex(suppressed, [rec]).run()
    assert "KeyError" not in "".join(rec.of("failed")[-1]["fail_trace"])
    with pytest.raises(RuntimeError):
        make_ex(implicit, [rec]).run()
    assert "During handling of the above exception, another exception occurred:" in "".join(
        rec.of("failed")[-1]["fail_trace"]
    )


class _SignalsDuringStart(RunObserver):
    """Sends this process ``signum`` while the start event is being recorded."""

    priority = 50

    def __init__(self, signum):
        self.signum = signum

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        import os
        import time

        os.kill(os.getpid(), self.signum)
        time.sleep(0.05)  # the signal is handled while we are still in here


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_a_signal_during_started_event_reaches_no_observer_half_way(tmp_path, signame):
    """Every observer records the run, then it is INTERRUPTED in all of them (TinyDB lost runs)."""
    import json
    import signal

    pytest.importorskip("tinydb")
    from sacred.observers import FileStorageObserver, TinyDbObserver, TinyDbReader

    rec = Recorder(priority=10)
    file_storage = FileStorageObserver(str(tmp_path / "fs"))
    file_storage.priority = 100
    observers = [file_storage, _SignalsDuringStart(getattr(signal, signame)), rec,
                 TinyDbObserver(str(tmp_path / "tdb"))]
    with pytest.raises(KeyboardInterrupt):
        make_ex(observers=observers).run()
    assert json.loads((tmp_path / "fs" / "1" / "run.json").read_text())["status"] == "INTERRUPTED"
    (entry,) = TinyDbReader(str(tmp_path / "tdb")).fetch_metadata(indices=[-1])
    assert entry["status"] == "INTERRUPTED"
    assert [name for name, _ in rec.events][0] == "started"
    assert [name for name, _ in rec.events][-1] == "interrupted"


class _FailsToStart(RunObserver):
    priority = 50

    def __init__(self):
        self.later_events = []

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        raise ConnectionError("database unreachable")

    def heartbeat_event(self, info, captured_out, beat_time, result):
        self.later_events.append("heartbeat")

    def failed_event(self, fail_time, fail_trace):
        self.later_events.append("failed")


def test_an_observer_failing_to_start_gets_nothing_more_and_the_others_record_the_failure():
    from sacred.utils import ObserverError

    first, last = Recorder(priority=100, returns_id=5), Recorder(priority=0)
    broken = _FailsToStart()
    with pytest.raises(ObserverError, match="_FailsToStart failed in started_event.*unreachable"):
        make_ex(observers=[first, broken, last]).run()
    assert broken.later_events == []
    for rec in (first, last):
        names = [name for name, _ in rec.events]
        assert names[0] == "started" and names[-1] == "failed", names
    assert last.events[0][1]["_id"] == 5


def test_waiting_for_observers_to_record_the_start_is_not_the_runs_duration(caplog):
    import time

    class Slow(RunObserver):
        def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
            time.sleep(2.5)

    caplog.set_level("INFO")
    make_ex(observers=[Slow()]).run()
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Completed after")]
    hours, minutes, seconds = line.rsplit(" ", 1)[1].split(":")
    assert int(hours) == int(minutes) == 0 and int(seconds) < 2, line
def test_a_fail_trace_never_holds_a_credential(tmp_path):
    from sacred import Experiment
    from sacred.observers import FileStorageObserver

    ex = Experiment("leaky", interactive=True)
    ex.observers.append(FileStorageObserver(str(tmp_path / "runs")))

    @ex.main
    def main():
        raise RuntimeError("cannot reach postgresql://u:pa/ss@db/x?token=t0k")

    with pytest.raises(RuntimeError):
        ex.run()
    stored = (tmp_path / "runs" / "1" / "run.json").read_text()
    assert "pa/ss" not in stored and "t0k" not in stored
    assert "postgresql://u:***@db/x?token=***" in stored

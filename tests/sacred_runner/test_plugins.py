"""Plugins: an installed third-party plugin sees every hook; -p, -p no:, the local plugin file."""

from __future__ import annotations

import json
import os
import textwrap

RECORDER = '''\
"""A third-party plugin that records each hook call into $RECORD_FILE."""
import json, os
from sacred_runner.hookspecs import hookimpl

def _record(name, **details):
    with open(os.environ["RECORD_FILE"], "a") as stream:
        stream.write(json.dumps({"hook": name, **details}) + "\\n")

@hookimpl
def sacred_addoption(parser):
    parser.addoption("--recorder-tag", default="none", help="a tag the recorder writes")
    parser.addini("recorder_label", "a label the recorder writes", "string", "nolabel")
    _record("sacred_addoption")

@hookimpl
def sacred_configure(config):
    _record("sacred_configure", tag=config.option.recorder_tag, label=config.getini("recorder_label"))

@hookimpl
def sacred_report_header(config):
    return "recorder: listening"

@hookimpl
def sacred_sessionstart(session):
    _record("sacred_sessionstart")

@hookimpl
def sacred_collect_file(path, config):
    _record("sacred_collect_file", path=path.name)

@hookimpl
def sacred_collection_modifyitems(session, config, items):
    _record("sacred_collection_modifyitems", items=[item.nodeid for item in items])
    for item in list(items):
        if "skipme" in item.nodeid:
            session.deselect(item, "skipped by the recorder")

@hookimpl
def sacred_collection_finish(session):
    _record("sacred_collection_finish")

@hookimpl
def sacred_make_observers(item, config):
    _record("sacred_make_observers")
    return []

@hookimpl(hookwrapper=True)
def sacred_run_item(item, observers, session):
    _record("sacred_run_item", nodeid=item.nodeid)
    yield

@hookimpl
def sacred_run_event(item, event, payload):
    _record("sacred_run_event", event=event, id=payload.get("_id"))

@hookimpl
def sacred_run_report(item, outcome):
    _record("sacred_run_report", status=outcome.status)

@hookimpl
def sacred_terminal_summary(reporter, exitstatus, config):
    reporter.write_line("recorder summary section")
    _record("sacred_terminal_summary", exitstatus=exitstatus)

@hookimpl
def sacred_sessionfinish(session, exitstatus):
    _record("sacred_sessionfinish", exitstatus=exitstatus)

@hookimpl
def sacred_unconfigure(config):
    _record("sacred_unconfigure")
'''

ALL_HOOKS = {
    "sacred_addoption", "sacred_configure", "sacred_sessionstart", "sacred_collect_file",
    "sacred_collection_modifyitems", "sacred_collection_finish", "sacred_make_observers",
    "sacred_run_item", "sacred_run_event", "sacred_run_report", "sacred_terminal_summary",
    "sacred_sessionfinish", "sacred_unconfigure",
}


def install_recorder(tmp_path):
    """An 'installed' distribution: a module plus dist-info with a sacred_runner entry point."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "recorder_plugin.py").write_text(RECORDER)
    dist = site / "recorder_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: recorder-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[sacred_runner]\nrecorder = recorder_plugin\n")
    return site


def read_records(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_entry_point_plugin_sees_every_hook(sacredtester, tmp_path):
    site = install_recorder(tmp_path)
    record = tmp_path / "record.jsonl"
    sacredtester.experiment("exp_a.py", result="a")
    sacredtester.experiment("exp_skipme.py")
    sacredtester.write("sacred.ini", "[sacred]\nrecorder_label = from-ini\n")
    env = {"RECORD_FILE": str(record), "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    from tests.sacred_runner.conftest import REPO_ROOT

    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO_ROOT)])
    result = sacredtester.run_subprocess("run", "--recorder-tag", "T1", "--color=no", env=env)
    assert result.ret == 0, result.stdout + result.stderr
    records = read_records(record)
    assert {r["hook"] for r in records} == ALL_HOOKS
    configure = next(r for r in records if r["hook"] == "sacred_configure")
    assert configure["tag"] == "T1" and configure["label"] == "from-ini"
    events = [r["event"] for r in records if r["hook"] == "sacred_run_event"]
    assert events[0] == "started_event" and "completed_event" in events
    started = next(r for r in records if r.get("event") == "started_event")
    assert started["id"] == 1
    assert [r["status"] for r in records if r["hook"] == "sacred_run_report"] == ["COMPLETED"]
    assert "plugins: recorder-plugin-1.0" in result.stdout
    assert "recorder: listening" in result.stdout
    assert "recorder summary section" in result.stdout
    assert "deselected exp_skipme.py::exp_skipme::main: skipped by the recorder" in result.stdout
    assert "recorder" in sacredtester.run_subprocess("run", "--help", env=env).stdout.replace("-", "")

    record.unlink()
    blocked = sacredtester.run_subprocess("run", "-p", "no:recorder", env=env)
    assert blocked.ret == 0 and not record.exists()


def test_dash_p_loads_a_module_and_no_blocks_builtins(sacredtester, tmp_path, monkeypatch):
    (tmp_path / "mymod_plugin.py").write_text(textwrap.dedent('''\
        from sacred_runner.hookspecs import hookimpl
        @hookimpl
        def sacred_report_header(config):
            return ["mymod was here"]
        '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    sacredtester.experiment("exp_a.py")
    result = sacredtester.run("run", "-p", "mymod_plugin")
    assert result.ret == 0 and "mymod was here" in result.stdout and "plugins: mymod_plugin" in result.stdout
    silent = sacredtester.run("run", "-p", "no:terminal")
    assert silent.ret == 0 and silent.stdout == ""
    no_store = sacredtester.run("run", "-p", "no:observers")
    assert no_store.ret == 0
    assert not (sacredtester.path / ".sacred" / "runs" / "3").exists()


def test_local_plugin_file_in_the_rootdir(sacredtester):
    sacredtester.experiment("exp_a.py", result="a")
    sacredtester.write("sacred_plugins.py", '''\
        from sacred_runner.hookspecs import hookimpl
        @hookimpl
        def sacred_run_report(item, outcome):
            print("LOCAL saw", item.nodeid, outcome.status, outcome.result)
        ''')
    result = sacredtester.run("run")
    assert "LOCAL saw exp_a.py::exp_a::main COMPLETED 1" in result.stdout


def test_broken_local_plugin_is_a_usage_error_with_its_line(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("sacred_plugins.py", "x = 1\nraise ValueError('oops')\n")
    result = sacredtester.run("run")
    assert result.ret == 4 and "sacred_plugins.py:2" in result.stderr and "oops" in result.stderr


SIDE_BY_SIDE = '''\
"""Runner hooks and run events in one plugin, with each marker a plugin may have used."""
import json, os
import pluggy
from sacred import events
from sacred_runner.hookspecs import hookimpl

legacy_runner_marker = pluggy.HookimplMarker("sacred_runner")

def _record(name, **details):
    with open(os.environ["RECORD_FILE"], "a") as stream:
        stream.write(json.dumps({"hook": name, **details}) + "\\n")

@hookimpl
def sacred_run_report(item, outcome):
    _record("sacred_run_report", status=outcome.status)

@hookimpl
def started_event(run, command, _id):
    _record("started_event", command=command, id=_id, has_run=run is not None)

@events.hookimpl
def log_metrics(run, metrics_by_name):
    _record("log_metrics", names=sorted(metrics_by_name))

@legacy_runner_marker
def completed_event(run, result):
    _record("completed_event", result=result)

@legacy_runner_marker
def sacred_sessionfinish(session, exitstatus):
    _record("sacred_sessionfinish", exitstatus=exitstatus)
'''

METRIC_BODY = """
@ex.main
def metric_main(_run):
    _run.log_scalar("loss", 0.5)
    return 7
"""


def _side_by_side_session(sacredtester, tmp_path, monkeypatch, *flags):
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("RECORD_FILE", str(record))
    sacredtester.write("sacred_plugins.py", SIDE_BY_SIDE)
    sacredtester.write("exp_metric.py", """\
        from sacred import Experiment
        ex = Experiment("exp_metric")
        @ex.automain
        def main(_run):
            _run.log_scalar("loss", 0.5)
            return 7
        """)
    return sacredtester.run("run", "-F", "runs", *flags), record


def test_one_plugin_implements_runner_hooks_and_run_events_side_by_side(sacredtester, tmp_path, monkeypatch):
    result, record = _side_by_side_session(sacredtester, tmp_path, monkeypatch)
    assert result.ret == 0, result.stdout + result.stderr
    records = read_records(record)
    assert [r["hook"] for r in records] == [
        "started_event", "log_metrics", "completed_event", "sacred_run_report", "sacred_sessionfinish"]
    assert records[0] == {"hook": "started_event", "command": "main", "id": 1, "has_run": True}
    assert records[1]["names"] == ["loss"] and records[2]["result"] == 7


def test_run_events_reach_session_plugins_under_isolate(sacredtester, tmp_path, monkeypatch):
    result, record = _side_by_side_session(sacredtester, tmp_path, monkeypatch, "--isolate")
    assert result.ret == 0, result.stdout + result.stderr
    records = read_records(record)
    assert [r["hook"] for r in records] == [
        "started_event", "log_metrics", "completed_event", "sacred_run_report", "sacred_sessionfinish"]
    assert records[0]["has_run"] is False and records[0]["id"] == 1


def test_the_session_plugin_manager_is_detached_afterwards(sacredtester, tmp_path, monkeypatch):
    """After the session, a run started in this process no longer reaches the session's plugins."""
    from sacred import Experiment

    _, record = _side_by_side_session(sacredtester, tmp_path, monkeypatch)
    seen = len(read_records(record))
    ex = Experiment("later")
    ex.main(lambda: 1)
    ex.run()
    assert len(read_records(record)) == seen


def test_run_events_only_one_project_name():
    from sacred import events
    from sacred_runner import hookspecs

    assert hookspecs.PROJECT_NAME == events.PROJECT_NAME == "sacred"

    @events.hookimpl
    def a(): ...

    @hookspecs.hookimpl
    def b(): ...

    assert hasattr(a, "sacred_impl") and hasattr(b, "sacred_impl")


SUMMARY_WRITER = '''\
from sacred_runner.hookspecs import hookimpl
import json, os

@hookimpl
def sacred_terminal_summary(reporter, exitstatus, config):
    reporter.section("extra")
    reporter.write_line(f"summary plugin saw exit status {exitstatus}")

@hookimpl
def sacred_sessionfinish(session, exitstatus):
    with open(os.environ["RECORD_FILE"], "a") as stream:
        stream.write(json.dumps({"hook": "sacred_sessionfinish", "exitstatus": exitstatus}) + "\\n")
'''


def test_terminal_summary_works_with_the_terminal_reporter_blocked(sacredtester, tmp_path, monkeypatch):
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("RECORD_FILE", str(record))
    sacredtester.write("sacred_plugins.py", SUMMARY_WRITER)
    sacredtester.experiment("exp_a.py", result="1")
    result = sacredtester.run("run", "-p", "no:terminal", "-F", "runs")
    assert result.ret == 0, result.stdout + result.stderr
    assert "INTERNAL ERROR" not in result.stderr
    assert "summary plugin saw exit status 0" in result.stdout
    assert "= extra =" in result.stdout
    assert read_records(record) == [{"hook": "sacred_sessionfinish", "exitstatus": 0}]


RAISING_SUMMARY = '''\
from sacred_runner.hookspecs import hookimpl

@hookimpl
def sacred_terminal_summary(reporter, exitstatus, config):
    raise RuntimeError("summary plugin is broken")
'''


def test_a_plugin_raising_in_terminal_summary_does_not_hide_runs_or_change_the_exit_code(sacredtester):
    sacredtester.write("sacred_plugins.py", RAISING_SUMMARY)
    sacredtester.experiment("exp_ok.py", result="1")
    sacredtester.write("exp_bad.py", """\
        from sacred import Experiment
        ex = Experiment("exp_bad")
        @ex.automain
        def main():
            raise ValueError("boom")
        """)
    result = sacredtester.run("run", "--color=no", "-F", "runs")
    assert result.ret == 1, result.stdout + result.stderr
    assert "summary plugin is broken" in result.stderr and "sacred_terminal_summary" in result.stderr
    assert "INTERNAL ERROR" not in result.stderr
    assert "exp_ok.py::exp_ok" in result.stdout and "exp_bad.py::exp_bad" in result.stdout
    assert "1 completed, 1 failed" in result.stdout
def test_a_plugin_raising_in_terminal_summary_does_not_hide_the_runs_or_change_the_exit_code(sacredtester):
    sacredtester.experiment("exp_ok.py")
    sacredtester.experiment("exp_bad.py", result="1/0")
    sacredtester.write("sacred_plugins.py", """\
        from sacred_runner.hookspecs import hookimpl
        @hookimpl
        def sacred_terminal_summary(reporter, exitstatus, config):
            raise RuntimeError("summary plugin bug")
        @hookimpl
        def sacred_sessionfinish(session, exitstatus):
            raise ValueError("finish plugin bug")
        """)
    result = sacredtester.run("run", "--color=no")
    assert result.ret == 1, result.stdout + result.stderr  # a run failed: 1, not an internal error
    assert "exp_ok.py::exp_ok" in result.stdout.split(" summary ")[1]
    assert "exp_bad.py::exp_bad" in result.stdout.split(" summary ")[1]
    assert "1 completed, 1 failed" in result.stdout  # the reporter's final line still comes
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: plugin")]
    assert len(errors) == 2, result.stderr
    assert "failed in sacred_terminal_summary: RuntimeError: summary plugin bug (at " in errors[0]
    assert "failed in sacred_sessionfinish: ValueError: finish plugin bug" in errors[1]
    assert (sacredtester.path / ".sacred" / "lastfailed.json").exists()  # the other plugins ran too
    sacredtester.experiment("exp_bad.py")
    assert sacredtester.run("run", "--color=no").ret == 0

"""FileStorageObserver: layout, safe ids, atomic files, heartbeat cost, templates, bad input."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from layout_helpers import HOST_INFO, make_ex_info, points, queue, start, utcnow

from sacred.observers.file_storage import FileStorageObserver
from sacred.observers.run_files._layout import METRICS_JOURNAL, read_metrics

REPO_ROOT = Path(__file__).resolve().parents[2]
HELPERS_DIR = Path(__file__).resolve().parent


def load(path: Path) -> object:
    return json.loads(path.read_text())


@pytest.fixture
def src_dir(tmp_path: Path) -> str:
    return str(tmp_path / "src")


# --- 1. the documented tree ---------------------------------------------------------------


def test_completed_run_writes_documented_files_and_run_json(tmp_path, src_dir):
    runs = tmp_path / "runs"
    obs = FileStorageObserver(runs)
    assert obs.priority == 20
    run_id = start(obs, src_dir, config={"lr": 0.1, "seed": 3})
    assert run_id == 1
    obs.log_metrics(points("loss", 0, 3), {})
    obs.heartbeat_event({"epoch": 1}, "hello\n", utcnow(), None)
    stop = utcnow()
    obs.completed_event(stop, {"acc": 0.9})

    run_dir = runs / "1"
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "config.json", "cout.txt", "info.json", "metrics.json", "run.json",
    ]
    assert load(run_dir / "config.json") == {"lr": 0.1, "seed": 3}
    assert (run_dir / "cout.txt").read_text() == "hello\n"
    assert load(run_dir / "info.json") == {"epoch": 1}
    entry = load(run_dir / "run.json")
    assert set(entry) == {
        "artifacts", "command", "experiment", "heartbeat", "host", "meta",
        "resources", "result", "start_time", "status", "stop_time",
    }
    assert entry["status"] == "COMPLETED"
    assert entry["result"] == {"acc": 0.9}
    assert entry["stop_time"] == stop.isoformat()
    assert "T" in entry["start_time"] and "+" not in entry["start_time"]  # naive ISO
    assert entry["host"] == HOST_INFO
    assert entry["command"] == "main"
    md5 = make_ex_info(src_dir)["sources"][0][1]
    assert entry["experiment"]["sources"] == [["exp.py", f"_sources/exp_{md5}.py"]]
    assert (runs / "_sources" / f"exp_{md5}.py").read_text() == "print('hello')\n"
    metrics = load(run_dir / "metrics.json")
    assert set(metrics["loss"]) == {"steps", "values", "timestamps"}
    assert metrics["loss"]["steps"] == [0, 1, 2]
    assert metrics["loss"]["values"] == [0.0, 0.5, 1.0]
    assert not (run_dir / METRICS_JOURNAL).exists()


def test_ids_ascend_and_sources_are_stored_once(tmp_path, src_dir):
    runs = tmp_path / "runs"
    obs = FileStorageObserver(str(runs))
    ids = []
    for _ in range(3):
        ids.append(start(obs, src_dir))
        obs.completed_event(utcnow(), None)
    assert ids == [1, 2, 3]
    assert len(list((runs / "_sources").iterdir())) == 1
    # a new observer on the same folder continues after the highest id
    assert start(FileStorageObserver(runs), src_dir) == 4


def test_empty_run_has_empty_metrics_and_no_info(tmp_path, src_dir):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, src_dir)
    obs.heartbeat_event({}, "", utcnow(), None)
    obs.completed_event(utcnow(), 5)
    run_dir = tmp_path / "runs" / "1"
    assert load(run_dir / "metrics.json") == {}
    assert not (run_dir / "info.json").exists()
    assert load(run_dir / "run.json")["result"] == 5


def test_failed_and_interrupted_runs_record_status(tmp_path, src_dir):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, src_dir)
    trace = ["Traceback (most recent call last):\n", "ValueError: boom\n"]
    obs.failed_event(utcnow(), trace)
    start(obs, src_dir)
    obs.interrupted_event(utcnow(), "TIMEOUT")
    failed = load(tmp_path / "runs" / "1" / "run.json")
    assert failed["status"] == "FAILED" and failed["fail_trace"] == trace
    interrupted = load(tmp_path / "runs" / "2" / "run.json")
    assert interrupted["status"] == "TIMEOUT" and "stop_time" in interrupted
    assert "fail_trace" not in interrupted


def test_artifacts_and_resources(tmp_path, src_dir):
    runs = tmp_path / "runs"
    data = tmp_path / "data.csv"
    data.write_text("1,2,3\n")
    model = tmp_path / "model.bin"
    model.write_bytes(b"\x00\x01weights")
    obs = FileStorageObserver(runs)
    start(obs, src_dir)
    obs.resource_event(str(data))
    obs.resource_event(str(data))
    obs.artifact_event("model.bin", str(model))
    obs.artifact_event("plots/curve.bin", str(model), metadata={"k": 1}, content_type="x/y")
    obs.completed_event(utcnow(), None)
    start(obs, src_dir)
    obs.resource_event(str(data))
    obs.completed_event(utcnow(), None)

    entry = load(runs / "1" / "run.json")
    assert entry["artifacts"] == ["model.bin", "plots/curve.bin"]
    assert (runs / "1" / "model.bin").read_bytes() == b"\x00\x01weights"
    assert (runs / "1" / "plots" / "curve.bin").read_bytes() == b"\x00\x01weights"
    [[original, stored]] = entry["resources"]
    assert original == str(data)
    assert Path(stored).parent == runs / "_resources"
    assert Path(stored).name.startswith("data_") and stored.endswith(".csv")
    assert Path(stored).read_text() == "1,2,3\n"
    assert len(list((runs / "_resources").iterdir())) == 1  # stored once for two runs


def test_copy_sources_false_references_the_original(tmp_path, src_dir):
    runs = tmp_path / "runs"
    obs = FileStorageObserver(runs, copy_sources=False)
    start(obs, src_dir)
    entry = load(runs / "1" / "run.json")
    assert entry["experiment"]["sources"] == [["exp.py", os.path.join("..", "src", "exp.py")]]
    assert not (runs / "_sources").exists()


def test_copy_artifacts_false_references_files_already_in_basedir(tmp_path, src_dir):
    runs = tmp_path / "runs"
    obs = FileStorageObserver(runs, copy_artifacts=False)
    start(obs, src_dir)
    obs.heartbeat_event({}, "out", utcnow(), None)
    obs.completed_event(utcnow(), None)
    start(obs, src_dir)
    inside = runs / "1" / "cout.txt"
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    obs.resource_event(str(inside))
    obs.resource_event(str(outside))
    entry = load(runs / "2" / "run.json")
    assert entry["resources"][0] == [str(inside), str(inside)]
    assert Path(entry["resources"][1][1]).parent == runs / "_resources"


def test_custom_resource_and_source_dirs(tmp_path, src_dir):
    obs = FileStorageObserver(
        tmp_path / "runs", resource_dir=tmp_path / "res", source_dir=tmp_path / "srcs"
    )
    start(obs, src_dir)
    data = tmp_path / "d.txt"
    data.write_text("d")
    obs.resource_event(str(data))
    entry = load(tmp_path / "runs" / "1" / "run.json")
    assert len(list((tmp_path / "srcs").iterdir())) == 1
    assert entry["experiment"]["sources"][0][1].startswith(os.path.join("..", "srcs"))
    assert Path(entry["resources"][0][1]).parent == tmp_path / "res"


def test_queued_run_gets_a_folder(tmp_path, src_dir):
    runs = tmp_path / "runs"
    obs = FileStorageObserver(runs)
    run_id = queue(obs, src_dir)
    assert run_id == 1
    entry = load(runs / "1" / "run.json")
    assert entry["status"] == "QUEUED"
    assert isinstance(entry["meta"]["queue_time"], str)
    assert entry["experiment"]["sources"][0][0] == "exp.py"
    assert load(runs / "1" / "config.json") == {"a": 1, "seed": 1}
    assert (runs / "1" / "exp.py").read_text() == "print('hello')\n"
    assert start(obs, src_dir) == 2


def test_given_id_names_the_folder_and_numbering_continues(tmp_path, src_dir):
    runs = tmp_path / "runs"
    obs = FileStorageObserver(runs)
    assert start(obs, src_dir, _id="42") == "42"
    assert (runs / "42" / "run.json").exists()
    assert start(obs, src_dir, _id="baseline") == "baseline"
    assert start(obs, src_dir) == 43
    with pytest.raises(FileExistsError, match="42"):
        start(obs, src_dir, _id="42")
    with pytest.raises(ValueError, match="cannot be used"):
        start(obs, src_dir, _id="../escape")
    assert not (tmp_path / "escape").exists()


def test_create_is_a_deprecated_alias(tmp_path):
    with pytest.warns(DeprecationWarning):
        obs = FileStorageObserver.create(str(tmp_path / "runs"), priority=5)
    assert isinstance(obs, FileStorageObserver) and obs.priority == 5


def test_observer_is_reusable_across_runs_and_resets_state(tmp_path, src_dir):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, src_dir)
    obs.log_metrics(points("m", 0, 2), {})
    obs.heartbeat_event({"a": 1}, "first", utcnow(), None)
    obs.completed_event(utcnow(), None)
    start(obs, src_dir)
    obs.heartbeat_event({}, "second", utcnow(), None)
    obs.completed_event(utcnow(), None)
    second = tmp_path / "runs" / "2"
    assert (second / "cout.txt").read_text() == "second"
    assert load(second / "metrics.json") == {}
    assert not (second / "info.json").exists()


# --- 2. safe id allocation across processes ------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{repo!r}, {helpers!r}]
    from layout_helpers import start, utcnow
    from sacred.observers.file_storage import FileStorageObserver
    worker, count, runs, src = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    obs = FileStorageObserver(runs)
    for i in range(count):
        start(obs, src, config={{"worker": worker, "i": i}})
        obs.heartbeat_event({{}}, "w%d-%d" % (worker, i), utcnow(), None)
        obs.completed_event(utcnow(), [worker, i])
    """
)


def test_eight_processes_fifty_runs_each_get_400_distinct_complete_runs(tmp_path, src_dir):
    make_ex_info(src_dir)
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(repo=str(REPO_ROOT), helpers=str(HELPERS_DIR)))
    runs = tmp_path / "runs"
    procs = [
        subprocess.Popen([sys.executable, str(script), str(w), "50", str(runs), src_dir])
        for w in range(8)
    ]
    for proc in procs:
        assert proc.wait(timeout=240) == 0
    run_dirs = [d for d in runs.iterdir() if d.name.isdigit()]
    assert sorted(int(d.name) for d in run_dirs) == list(range(1, 401))
    seen = set()
    for d in run_dirs:
        entry = load(d / "run.json")
        assert entry["status"] == "COMPLETED"
        worker, i = entry["result"]
        assert load(d / "config.json") == {"worker": worker, "i": i}
        assert (d / "cout.txt").read_text() == f"w{worker}-{i}"
        seen.add((worker, i))
    assert seen == {(w, i) for w in range(8) for i in range(50)}


# --- 3. never a half-written file --------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{repo!r}, {helpers!r}]
    from layout_helpers import points, start, utcnow
    from sacred.observers.file_storage import FileStorageObserver
    runs, src = sys.argv[1], sys.argv[2]
    obs = FileStorageObserver(runs)
    start(obs, src, config={{"big": list(range(2000))}})
    print("started", flush=True)
    out = ""
    step = 0
    while True:
        step += 1
        out += "line %d\\n" % step
        obs.log_metrics(points("loss", step * 10, 10), {{}})
        obs.heartbeat_event({{"step": step, "blob": "x" * (step % 50) * 100}}, out, utcnow(), step)
        if step % 7 == 0:
            obs.heartbeat_event({{"step": step}}, "rewritten " + out, utcnow(), step)
            out = "rewritten " + out
    """
)


def test_sigkill_at_random_moments_leaves_every_json_file_valid(tmp_path, src_dir):
    make_ex_info(src_dir)
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(repo=str(REPO_ROOT), helpers=str(HELPERS_DIR)))
    runs = tmp_path / "runs"
    rng = random.Random(1234)
    for _ in range(12):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(runs), src_dir], stdout=subprocess.PIPE
        )
        try:
            assert proc.stdout.readline().strip() == b"started"
            time.sleep(rng.uniform(0.0, 0.3))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()
    json_files = list(runs.rglob("*.json"))
    assert len(json_files) >= 12 * 3
    for path in json_files:
        json.loads(path.read_text())  # each file is the old or the new version, never half
    for run_dir in (d for d in runs.iterdir() if d.name.isdigit()):
        metrics = read_metrics(FileStorageObserver(runs).backend, str(run_dir))
        steps = metrics.get("loss", {}).get("steps", [])
        assert steps == list(range(10, 10 + len(steps)))  # journal: nothing delivered is lost
    from sacred.observers.file_storage import list_runs

    # temp files a kill -9 cut short are hidden and never listed as runs
    assert all(p.name.startswith(".") for p in runs.rglob("*.tmp"))
    assert set(list_runs(runs)) == {d.name for d in runs.iterdir() if d.is_dir() and d.name.isdigit()}


# --- 4. heartbeat cost grows with what changed ------------------------------------------------


def test_growing_output_is_appended_not_rewritten(tmp_path, src_dir):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, src_dir)
    out = ""
    for beat in range(150):
        out += f"epoch {beat} loss 0.123456\n"
        obs.heartbeat_event({"static": True}, out, utcnow(), None)
    obs.completed_event(utcnow(), None)
    written = obs.backend.bytes_written
    assert written["cout.txt"] == len(out.encode())  # each byte of output written once
    assert (tmp_path / "runs" / "1" / "cout.txt").read_text() == out
    assert written["info.json"] == len(json.dumps({"static": True}, indent=2))  # once


def test_output_rewritten_by_a_filter_is_replaced_whole(tmp_path, src_dir):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, src_dir)
    obs.heartbeat_event({}, "10%", utcnow(), None)
    obs.heartbeat_event({}, "10%\n20%", utcnow(), None)
    obs.heartbeat_event({}, "20%", utcnow(), None)  # a filter collapsed the progress lines
    obs.heartbeat_event({}, "20%\ndone", utcnow(), None)
    assert (tmp_path / "runs" / "1" / "cout.txt").read_text() == "20%\ndone"


def test_metric_writes_stay_linear_in_the_number_of_points(tmp_path, src_dir):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, src_dir)
    beats, per_beat = 200, 5
    for beat in range(beats):
        obs.log_metrics(points("loss", beat * per_beat, per_beat), {})
        obs.heartbeat_event({}, "", utcnow(), None)
    obs.completed_event(utcnow(), None)
    run_dir = tmp_path / "runs" / "1"
    final_size = (run_dir / "metrics.json").stat().st_size
    metrics = load(run_dir / "metrics.json")
    assert metrics["loss"]["steps"] == list(range(beats * per_beat))
    written = obs.backend.bytes_written
    # rewriting the whole history every beat would cost ~beats/2 * final_size
    assert written["metrics.json"] < 4 * final_size
    assert written[METRICS_JOURNAL] < 2 * final_size
    assert not (run_dir / METRICS_JOURNAL).exists()


def test_metrics_json_is_valid_and_complete_via_journal_while_running(tmp_path, src_dir):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, src_dir)
    for beat in range(10):
        obs.log_metrics(points("acc", beat, 1), {})
    run_dir = tmp_path / "runs" / "1"
    snapshot = load(run_dir / "metrics.json")  # valid JSON at every moment
    assert snapshot["acc"]["steps"] == list(range(len(snapshot["acc"]["steps"])))
    assert read_metrics(obs.backend, str(run_dir))["acc"]["steps"] == list(range(10))


# --- 5. templates are code; artifacts stay in their folder ---------------------------------------

TEMPLATE = "status=${run['status']} a=${config['a']} info=${info.get('k')} out=${cout} dir=${savedir}\n"


def test_template_in_basedir_renders_report(tmp_path, src_dir):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "template.html").write_text(TEMPLATE)
    os.chmod(runs / "template.html", 0o644)
    obs = FileStorageObserver(runs)
    start(obs, src_dir)
    obs.heartbeat_event({"k": "v"}, "hi", utcnow(), None)
    obs.completed_event(utcnow(), None)
    report = (runs / "1" / "report.html").read_text()
    assert report == f"status=COMPLETED a=1 info=v out=hi dir={runs / '1'}\n"


def test_custom_template_renders_with_its_extension(tmp_path, src_dir):
    template = tmp_path / "custom.txt"
    template.write_text(TEMPLATE)
    os.chmod(template, 0o600)
    obs = FileStorageObserver(tmp_path / "runs", template=str(template))
    start(obs, src_dir)
    obs.failed_event(utcnow(), ["trace"])
    assert (tmp_path / "runs" / "1" / "report.txt").read_text().startswith("status=FAILED")


def test_group_writable_template_is_refused_with_a_warning(tmp_path, src_dir, caplog):
    runs = tmp_path / "runs"
    runs.mkdir()
    pwned = tmp_path / "pwned"
    (runs / "template.html").write_text("<% open(r'" + str(pwned) + "', 'w').write('pwned') %>")
    os.chmod(runs / "template.html", 0o666)
    obs = FileStorageObserver(runs)
    start(obs, src_dir)
    with caplog.at_level(logging.WARNING, logger="sacred.observers"):
        obs.completed_event(utcnow(), None)
    assert not (tmp_path / "pwned").exists()
    assert not (runs / "1" / "report.html").exists()
    assert "writable by group or others" in caplog.text


def test_template_owned_by_someone_else_is_refused(tmp_path, src_dir, caplog, monkeypatch):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "template.html").write_text(TEMPLATE)
    os.chmod(runs / "template.html", 0o644)
    owner = os.stat(runs / "template.html").st_uid
    monkeypatch.setattr(os, "geteuid", lambda: owner + 1)  # run as another user
    obs = FileStorageObserver(runs)
    start(obs, src_dir)
    with caplog.at_level(logging.WARNING, logger="sacred.observers"):
        obs.completed_event(utcnow(), None)
    assert not (runs / "1" / "report.html").exists()
    assert f"owned by uid {owner}" in caplog.text


def test_missing_mako_names_the_extra(tmp_path, monkeypatch):
    template = tmp_path / "t.html"
    template.write_text("x")
    monkeypatch.setitem(sys.modules, "mako", None)
    monkeypatch.setitem(sys.modules, "mako.template", None)
    with pytest.raises(ImportError, match=r"pip install sacred\[templates\]"):
        FileStorageObserver(tmp_path / "runs", template=template)


def test_missing_template_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.html"):
        FileStorageObserver(tmp_path / "runs", template=tmp_path / "nope.html")


@pytest.mark.parametrize(
    "name,reason",
    [
        ("../../x", "leave the run folder"),
        ("a/../../x", "leave the run folder"),
        ("/etc/x", "absolute path"),
        ("run.json", "overwrite the run's own"),
        ("", "non-empty"),
    ],
)
def test_artifact_names_cannot_escape_or_clobber(tmp_path, src_dir, name, reason):
    art = tmp_path / "art.txt"
    art.write_text("a")
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, src_dir)
    before = load(tmp_path / "runs" / "1" / "run.json")
    with pytest.raises(ValueError, match=reason):
        obs.artifact_event(name, str(art))
    assert not (tmp_path / "x").exists()
    assert load(tmp_path / "runs" / "1" / "run.json") == before


# --- 6. bad input ------------------------------------------------------------------------------


def test_basedir_that_is_a_file_is_refused_at_construction(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("")
    with pytest.raises(NotADirectoryError, match="afile"):
        FileStorageObserver(afile)
    with pytest.raises(NotADirectoryError, match="afile"):
        FileStorageObserver(afile / "sub")


def test_basedir_that_cannot_be_created_gives_a_clear_error(tmp_path, src_dir):
    # /proc refuses new directories even for root
    obs = FileStorageObserver("/proc/sacred_test_runs")
    with pytest.raises(OSError, match=r"cannot (create run folder|write) '/proc/sacred_test_runs.*writable directory"):
        start(obs, src_dir)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_unwritable_basedir_is_refused_at_construction(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        with pytest.raises(PermissionError, match="not writable"):
            FileStorageObserver(locked / "runs")
    finally:
        os.chmod(locked, 0o700)


class Opaque:
    def __init__(self):
        self.value = 7


class Unencodable:
    def __getstate__(self):
        raise RuntimeError("cannot pickle me")

    def __repr__(self):
        return "<Unencodable>"


def test_non_json_values_are_stored_in_flattened_form(tmp_path, src_dir):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, src_dir)
    obs.heartbeat_event({"obj": Opaque(), "t": (1, 2)}, "", utcnow(), None)
    obs.completed_event(utcnow(), {"model": Opaque(), "bad": Unencodable()})
    info = load(tmp_path / "runs" / "1" / "info.json")
    assert info["obj"]["value"] == 7 and info["obj"]["py/object"].endswith("Opaque")
    assert info["t"] == [1, 2]
    result = load(tmp_path / "runs" / "1" / "run.json")["result"]
    assert result["model"]["value"] == 7
    assert result["bad"] == "<Unencodable>"


# --- end to end through a real Experiment --------------------------------------------------------


def test_experiment_with_file_storage_flag_end_to_end(tmp_path):
    from layout_helpers import check_e2e_runs, run_e2e, write_e2e_experiment

    folder = tmp_path / "proj"
    write_e2e_experiment(folder)
    assert run_e2e(folder, "-F", "runs").returncode == 0
    failed = run_e2e(folder, "-F", "runs", "with", "fail=True")
    assert failed.returncode != 0 and "boom" in failed.stderr
    runs = folder / "runs"
    check_e2e_runs(
        lambda p: json.loads((runs / p).read_text()), lambda p: (runs / p).read_bytes(), ""
    )
    assert len(list((runs / "_sources").iterdir())) == 1
    assert len(list((runs / "_resources").iterdir())) == 1
    assert run_e2e(folder, "-F", "runs", "--id", "7").returncode == 0
    assert (runs / "7" / "run.json").exists()
    assert run_e2e(folder, "-F", "runs", "-q").returncode == 0
    assert load(runs / "8" / "run.json")["status"] == "QUEUED"


def test_example_template_renders_a_report(tmp_path, src_dir):
    runs = tmp_path / "runs"
    runs.mkdir()
    example = REPO_ROOT / "examples" / "my_runs" / "template.html"
    (runs / "template.html").write_text(example.read_text())
    os.chmod(runs / "template.html", 0o644)
    obs = FileStorageObserver(runs)
    start(obs, src_dir)
    art = tmp_path / "a.bin"
    art.write_bytes(b"x")
    obs.artifact_event("a.bin", str(art))
    obs.heartbeat_event({"best": 1}, "<b>out</b>", utcnow(), None)
    obs.failed_event(utcnow(), ["Traceback\n", "ValueError: boom\n"])
    report = (runs / "1" / "report.html").read_text()
    assert "layout_test" in report and 'class="FAILED"' in report
    assert "&lt;b&gt;out&lt;/b&gt;" in report  # output is escaped
    assert "ValueError: boom" in report and 'href="a.bin"' in report


def test_next_id_follows_runs_made_by_others_without_relisting_each_time(tmp_path, monkeypatch):
    from sacred.observers import FileStorageObserver

    obs = FileStorageObserver(str(tmp_path / "runs"))
    calls = []
    real = obs._max_numeric_id
    monkeypatch.setattr(obs, "_max_numeric_id", lambda: calls.append(1) or real())
    ids = []
    for _ in range(5):
        ids.append(obs.started_event({"name": "x", "base_dir": str(tmp_path), "sources": [],
                                      "dependencies": [], "repositories": []},
                                     "main", {}, utcnow(), {}, {}, None))
        obs.completed_event(utcnow(), None)
    assert ids == [1, 2, 3, 4, 5]
    assert len(calls) <= 2  # listed once at first; afterwards the folder version answers
    time.sleep(0.01)
    os.mkdir(tmp_path / "runs" / "40")  # another process made run 40
    nxt = obs.started_event({"name": "x", "base_dir": str(tmp_path), "sources": [],
                             "dependencies": [], "repositories": []},
                            "main", {}, utcnow(), {}, {}, None)
    assert nxt == 41


def test_list_runs_answers_from_the_index_and_reads_unindexed_runs(tmp_path):
    from sacred import Experiment
    from sacred.observers import FileStorageObserver
    from sacred.observers.file_storage import list_runs

    basedir = tmp_path / "runs"
    ex = Experiment("listed", interactive=True)
    ex.observers.append(FileStorageObserver(str(basedir)))

    @ex.main
    def main(fail=False):
        if fail:
            raise ValueError("no")

    ex.add_config(fail=False)
    ex.run()
    with pytest.raises(ValueError):
        ex.run(config_updates={"fail": True})
    ex.run(options={"--queue": True})
    # a run written without an index line (e.g. by sacred 0.8.7)
    legacy = basedir / "9"
    legacy.mkdir()
    (legacy / "run.json").write_text(json.dumps({"status": "COMPLETED", "command": "main",
                                                 "experiment": {"name": "old"}}))
    with open(basedir / "runs.index.jsonl", "ab") as f:
        f.write(b'{"_id": "1", "stat')  # a writer killed mid-line
    runs = list_runs(basedir)
    assert list(runs) == ["1", "2", "3", "9"]
    assert [r["status"] for r in runs.values()] == ["COMPLETED", "FAILED", "QUEUED", "COMPLETED"]
    assert runs["1"]["experiment"] == "listed" and runs["9"]["experiment"] == "old"
    assert "stop_time" in runs["1"] and "start_time" in runs["1"]


def test_list_runs_of_missing_folder_is_empty(tmp_path):
    from sacred.observers.file_storage import list_runs

    assert list_runs(tmp_path / "nope") == {}


# --- hostile stores: reused ids, odd folders, planted links (issue 19) -------------------------

def test_a_reused_id_of_a_deleted_run_never_shows_the_old_stop_time(tmp_path, src_dir):
    import shutil

    from sacred.observers.file_storage import list_runs

    runs = tmp_path / "runs"
    obs = FileStorageObserver(runs)
    start(obs, src_dir, _id="exp1")
    obs.completed_event(utcnow(), None)
    shutil.rmtree(runs / "exp1")
    start(FileStorageObserver(runs), src_dir, _id="exp1")
    listed = list_runs(runs)["exp1"]
    assert listed["status"] == "RUNNING" and listed.get("stop_time") is None


def test_list_runs_ignores_store_internals_and_folders_older_versions_let_in(tmp_path, src_dir):
    from sacred.observers.file_storage import list_runs

    runs = tmp_path / "runs"
    obs = FileStorageObserver(runs)
    start(obs, src_dir)
    obs.completed_event(utcnow(), None)
    for odd in ("²", ".x.1234.abcd.tmp", "_sources_old"):
        (runs / odd).mkdir()
        (runs / odd / "run.json").write_text('{"status": "COMPLETED"}')
    assert list(list_runs(runs)) == ["1", "²"]  # '²' is listed (sorted as a name), not parsed as 2
    start(FileStorageObserver(runs), src_dir)  # numbering is not broken by '²'
    assert (runs / "2").is_dir()


def test_a_symlinked_runs_index_is_not_followed(tmp_path, src_dir, caplog):
    runs = tmp_path / "runs"
    runs.mkdir()
    target = tmp_path / "elsewhere.txt"
    target.write_text("precious\n")
    (runs / "runs.index.jsonl").symlink_to(target)
    obs = FileStorageObserver(runs)
    with caplog.at_level(logging.WARNING, logger="sacred.observers"):
        start(obs, src_dir)
        obs.completed_event(utcnow(), None)
    assert target.read_text() == "precious\n"
    assert "runs.index.jsonl: it is a symbolic link" in caplog.text
    assert "SACRED_ALLOW_FOREIGN_FILES=1" in caplog.text
    assert json.loads((runs / "1" / "run.json").read_text())["status"] == "COMPLETED"


@pytest.mark.skipif(os.geteuid() != 0, reason="lchown to another user needs root")
def test_a_template_link_owned_by_someone_else_is_refused_even_if_it_points_to_my_file(
        tmp_path, src_dir, caplog, monkeypatch):
    runs = tmp_path / "runs"
    runs.mkdir()
    mine = tmp_path / "mine.html"
    mine.write_text(TEMPLATE)
    os.chmod(mine, 0o644)
    link = runs / "template.html"
    link.symlink_to(mine)
    os.lchown(link, 65534, 65534)
    obs = FileStorageObserver(runs)
    start(obs, src_dir)
    with caplog.at_level(logging.WARNING, logger="sacred.observers"):
        obs.completed_event(utcnow(), None)
    assert not (runs / "1" / "report.html").exists()
    assert "symbolic link owned by uid 65534" in caplog.text and "SACRED_ALLOW_FOREIGN_FILES=1" in caplog.text
    monkeypatch.setenv("SACRED_ALLOW_FOREIGN_FILES", "1")
    obs = FileStorageObserver(runs)
    start(obs, src_dir)
    obs.completed_event(utcnow(), None)
    assert (runs / "2" / "report.html").read_text().startswith("status=COMPLETED")
# --- LocalBackend: folders made only when missing ------------------------------------


def test_local_backend_claims_folders_and_makes_missing_parents(tmp_path):
    from sacred.observers.file_storage import LocalBackend

    backend = LocalBackend()
    run_dir = tmp_path / "not" / "yet" / "1"
    assert backend.make_dir_exclusive(str(run_dir)) is True
    assert run_dir.is_dir()
    assert backend.make_dir_exclusive(str(run_dir)) is False  # taken
    assert backend.make_dir_exclusive(str(tmp_path / "not" / "yet" / "2")) is True


def test_local_backend_atomic_write_creates_missing_folders_and_writes_every_byte(tmp_path):
    from sacred.observers.file_storage import LocalBackend

    backend = LocalBackend()
    data = os.urandom(3 * (1 << 20) + 17)
    target = tmp_path / "a" / "b" / "run.json"
    backend.write_bytes_atomic(str(target), data)
    assert target.read_bytes() == data
    backend.write_bytes_atomic(str(target), b"{}")  # replaces the whole content
    assert target.read_bytes() == b"{}"
    assert sorted(p.name for p in target.parent.iterdir()) == ["run.json"]  # no temp left


def test_local_backend_atomic_write_into_a_file_path_fails_clearly_and_leaves_nothing(tmp_path):
    from sacred.observers.file_storage import LocalBackend

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError):
        LocalBackend().write_bytes_atomic(str(blocker / "run.json"), b"{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.parametrize("writeback_hint", [True, False], ids=["writeback-first", "concurrent"])
def test_flush_to_disk_syncs_every_existing_path_before_returning(tmp_path, monkeypatch, writeback_hint):
    from sacred.observers import file_storage
    from sacred.observers.file_storage import LocalBackend

    if not writeback_hint:
        monkeypatch.setattr(file_storage, "_start_writeback", lambda: None)  # as without sync_file_range
    elif file_storage._start_writeback() is None:
        pytest.skip("no sync_file_range on this platform")
    paths = []
    for name in ("a.json", "b.txt", "c.json"):
        (tmp_path / name).write_text(name)
        paths.append(str(tmp_path / name))
    paths += [str(tmp_path / "missing.json"), str(tmp_path)]
    synced = []
    real_fsync = os.fsync

    def slow_fsync(fd):
        time.sleep(0.05)  # later than the caller's own fsync: flush must wait for it
        synced.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    fds_before = len(os.listdir("/proc/self/fd"))
    LocalBackend().flush_to_disk(paths)
    expected = {os.stat(p).st_ino for p in paths if os.path.exists(p)}
    assert sorted(synced) == sorted(expected) and len(synced) == 4
    assert len(os.listdir("/proc/self/fd")) == fds_before


@pytest.mark.parametrize("hint_fails", [False, True], ids=["hint", "hint-fails"])
def test_flush_to_disk_starts_every_files_writeback_then_syncs_the_folder_first(tmp_path, monkeypatch,
                                                                               hint_fails):
    """One journal commit for the run: the files' writeback is under way when the folder's
    fsync commits, and the files' own fsyncs then find it done. A failing hint changes
    nothing but the speed."""
    from sacred.observers import file_storage
    from sacred.observers.file_storage import LocalBackend

    real_start = file_storage._start_writeback()
    if real_start is None:
        pytest.skip("no sync_file_range on this platform")
    names = ("run.json", "config.json", "cout.txt")
    for name in names:
        (tmp_path / name).write_text(name)
    calls = []
    real_fsync = os.fsync

    def fsync(fd):
        calls.append(("fsync", os.fstat(fd).st_ino))
        real_fsync(fd)

    def start_writeback(fd, offset, length, flags):
        calls.append(("hint", os.fstat(fd).st_ino))
        return -1 if hint_fails else real_start(fd, offset, length, flags)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(file_storage, "_start_writeback", lambda: start_writeback)
    threads_before = threading.active_count()
    LocalBackend().flush_to_disk([str(tmp_path / n) for n in names] + [str(tmp_path)])
    files = [(tmp_path / n).stat().st_ino for n in names]
    folder = tmp_path.stat().st_ino
    assert calls == [("hint", i) for i in files] + [("fsync", folder)] + [("fsync", i) for i in files]
    assert threading.active_count() == threads_before  # no helper thread


@pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="needs Linux")
def test_the_final_fsync_keeps_the_stored_files_cached(tmp_path):
    """Listing or showing the runs just stored reads them from memory, not from the disk.

    posix_fadvise(DONTNEED), tried first to start the writeback, dropped each
    run.json whose writeback was done already (its rename over the first
    run.json starts it): 3 of 50 stayed cached; a bare listing of 500 runs
    read the disk, 65 ms instead of 7.
    """
    from sacred import Experiment

    ex = Experiment("cached")
    ex.main(lambda: None)
    ex.observers.append(FileStorageObserver(str(tmp_path)))
    for _ in range(20):
        ex.run(options={"--capture": "no"})
    import mmap

    files = [tmp_path / str(i) / name for i in range(1, 21) for name in ("run.json", "config.json")]
    uncached = [f"{f.parent.name}/{f.name}" for f in files
                if _cached_pages(f) < -(-f.stat().st_size // mmap.PAGESIZE)]
    assert uncached == []


def _cached_pages(path) -> int:
    """Pages of ``path`` in the page cache (``mincore`` over a mapping of the file)."""
    import ctypes
    import mmap

    size = path.stat().st_size
    with open(path, "rb") as f:
        mapped = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_COPY)  # never written: the file's pages
    try:
        anchor = ctypes.c_char.from_buffer(mapped)
        vec = (ctypes.c_ubyte * -(-size // mmap.PAGESIZE))()
        libc = ctypes.CDLL(None, use_errno=True)
        result = libc.mincore(ctypes.c_void_p(ctypes.addressof(anchor)), ctypes.c_size_t(size), vec)
        del anchor
        if result != 0:
            raise OSError(ctypes.get_errno(), "mincore failed")
        return sum(b & 1 for b in vec)
    finally:
        mapped.close()

"""``sacred rerun``: same config and seed into the original's store, what differs, --check, sources, git."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from pathlib import Path

import pytest

from sacred.runs import open_store
from tests.fixtures.git_repos import git
from tests.sacred_runner.tools.helpers import sacred

EXPERIMENT = '''\
import random

from sacred import Experiment

ex = Experiment("seeded")


@ex.config
def cfg():
    n = 5
    scale = 1.0


@ex.named_config
def big():
    scale = 10.0


@ex.automain
def main(_run, _seed, n, scale):
    rng = random.Random(_seed)
    total = 0.0
    for step in range(n):
        value = rng.random() * scale
        total += value
        _run.log_scalar("x", value, step)
    print("total", total)
    return total
'''


def write_experiment(folder: Path, text: str = EXPERIMENT) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "exp_seeded.py"
    path.write_text(text)
    return path


def run_original(path: Path, observer, updates=None, named=()) -> str:
    """Run the experiment file once in this process; return the new run's id."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"exp_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.ex.observers.append(observer)
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            run = module.ex.run(config_updates=updates or {}, named_configs=named, options={"--capture": "sys"})
    finally:
        os.chdir(cwd)
    return str(run._id)


STORE_KINDS = ["file_storage", "tinydb", "sqlite", "postgresql", "mongodb"]


@pytest.fixture(params=STORE_KINDS)
def seeded_store(request, tmp_path: Path):
    """(spec, original run id, experiment path) for a run of the seeded experiment in each store kind."""
    from tests.fixtures.peer_experiment import make_observer

    kind = request.param
    if kind == "file_storage":
        observer_kind, target = "file_storage", str(tmp_path / "runs")
    elif kind == "tinydb":
        observer_kind, target = "tiny_db", str(tmp_path / "tdb")
    elif kind == "sqlite":
        observer_kind, target = "sql", f"sqlite:///{tmp_path / 'runs.db'}"
    elif kind == "postgresql":
        observer_kind, target = "sql", request.getfixturevalue("postgres_url")
    else:
        server = request.getfixturevalue("mongo_server")
        observer_kind = "mongo_db"
        target = f"{server.url}/{request.getfixturevalue('mongo_db_name')}"
    path = write_experiment(tmp_path / "project")
    run_id = run_original(path, make_observer(observer_kind, target), {"n": 7}, ("big",))
    return target, run_id, path


def test_rerun_reproduces_a_deterministic_run_on_every_store(seeded_store) -> None:
    spec, run_id, _ = seeded_store
    result = sacred("rerun", run_id, "--store", spec, "--check")
    assert result.ret == 0, result.out + result.err
    assert "Nothing differs from the original run" in result.out
    assert "Reproduced: run" in result.out and "1 identical metric series" in result.out
    with open_store(spec) as store:
        original = store.get(run_id)
        [new] = [r for r in store.query() if r.id != run_id]
        new = store.get(new.id)
        assert new.result == original.result
        assert new.config == original.config and new.config["scale"] == 10.0 and new.config["n"] == 7
        assert new.metric("x").values == original.metric("x").values
        assert new.meta["rerun_of"] == {"id": run_id, "store": store.description}
        assert new.meta["named_configs"] == ["big"]


def test_updates_make_it_diverge(seeded_store) -> None:
    spec, run_id, _ = seeded_store
    result = sacred("rerun", run_id, "--store", spec, "with", "n=3", "--check")
    assert result.ret == 1
    assert "Config differs from the original:\n  n: 7 then, 3 now" in result.out
    assert "NOT REPRODUCED" in result.out
    assert "metric x: 7 points then, 3 now (identical for the first 3)" in result.out


def test_a_changed_source_is_reported_and_from_sources_runs_the_stored_one(tmp_path: Path) -> None:
    from sacred.observers import FileStorageObserver

    path = write_experiment(tmp_path / "project")
    basedir = tmp_path / "runs"
    run_id = run_original(path, FileStorageObserver(str(basedir)))
    path.write_text(EXPERIMENT.replace("value = rng.random() * scale", "value = rng.random() * scale + 1"))
    changed = sacred("rerun", run_id, "--store", str(basedir), "--check")
    assert changed.ret == 1
    assert "source exp_seeded.py: changed (md5" in changed.out
    assert "metric x: diverges at step 0 (point 0)" in changed.out
    stored = sacred("rerun", run_id, "--store", str(basedir), "--from-sources", "--check")
    assert stored.ret == 0, stored.out + stored.err
    assert "from the stored sources" in stored.out and "Reproduced" in stored.out
    path.unlink()
    gone = sacred("rerun", run_id, "--store", str(basedir))
    assert gone.ret == 4 and "does not exist any more; --from-sources" in gone.err


def test_from_git_rebuilds_commit_plus_uncommitted_changes(tmp_path: Path) -> None:
    from sacred.observers import FileStorageObserver

    project = tmp_path / "project"
    path = write_experiment(project)
    git(project, "init", "-q")
    git(project, "add", "exp_seeded.py")
    git(project, "commit", "-q", "-m", "first")
    commit = git(project, "rev-parse", "HEAD")
    path.write_text(EXPERIMENT.replace("total += value", "total += 2 * value"))  # uncommitted
    basedir = tmp_path / "runs"
    run_id = run_original(path, FileStorageObserver(str(basedir)))
    with open_store(basedir) as store:
        patch = store.get(run_id).meta["git_patch"]
    assert patch["commit"] == commit and "total += 2 * value" in patch["patch"] and not patch["truncated"]
    # later work: committed and uncommitted changes that alter the result
    path.write_text(EXPERIMENT.replace("total += value", "total += 3 * value"))
    git(project, "commit", "-q", "-am", "second")
    now = sacred("rerun", run_id, "--store", str(basedir), "--check")
    assert now.ret == 1 and "git commit: " in now.out and "result:" in now.out
    rebuilt = sacred("rerun", run_id, "--store", str(basedir), "--from-git", "--check")
    assert rebuilt.ret == 0, rebuilt.out + rebuilt.err
    assert "from the recorded commit + patch" in rebuilt.out and "Reproduced" in rebuilt.out
    assert git(project, "worktree", "list").count("\n") == 0  # the temporary worktree is gone


def test_git_patch_setting_turns_it_off(tmp_path: Path) -> None:
    from sacred import SETTINGS
    from sacred.observers import FileStorageObserver

    project = tmp_path / "project"
    path = write_experiment(project)
    git(project, "init", "-q")
    git(project, "add", "exp_seeded.py")
    git(project, "commit", "-q", "-m", "first")
    path.write_text(EXPERIMENT + "\n# changed\n")
    SETTINGS.GIT_PATCH.RECORD = False
    run_id = run_original(path, FileStorageObserver(str(tmp_path / "runs")))
    with open_store(tmp_path / "runs") as store:
        assert "git_patch" not in store.get(run_id).meta
    result = sacred("rerun", run_id, "--store", str(tmp_path / "runs"), "--from-git")
    assert result.ret == 4 and "no patch was recorded" in result.err


def test_git_patch_over_the_cap_is_not_kept(tmp_path: Path) -> None:
    from sacred import SETTINGS
    from sacred.vcs import uncommitted_patch

    project = tmp_path / "project"
    path = write_experiment(project)
    git(project, "init", "-q")
    git(project, "add", "exp_seeded.py")
    git(project, "commit", "-q", "-m", "first")
    path.write_text(EXPERIMENT + "#" * 5000 + "\n")
    SETTINGS.GIT_PATCH.MAX_BYTES = 1000
    patch = uncommitted_patch(path, 1000)
    assert patch["truncated"] and patch["patch"] is None and patch["bytes"] > 5000
    assert uncommitted_patch(path, 10_000)["patch"].count("#") >= 5000


def test_rerun_of_a_run_written_by_sacred_087(tmp_path: Path) -> None:
    from tests.fixtures.run_stores import peer_python_or_skip

    python = peer_python_or_skip()
    path = write_experiment(tmp_path / "project")
    basedir = tmp_path / "runs"
    done = subprocess.run([str(python), str(path), "with", "n=4", "big", "-F", str(basedir)],
                          capture_output=True, text=True, timeout=120, cwd=path.parent)
    assert done.returncode == 0, done.stderr
    result = sacred("rerun", "1", "--store", str(basedir))
    assert result.ret == 0, result.out + result.err
    with open_store(basedir) as store:
        original, new = store.get("1"), store.get("2")
    assert new.config == original.config  # config updates, named config and seed replayed
    assert new.meta["rerun_of"]["id"] == "1"
    assert "Rerunning run 1 (seeded)" in result.out


def test_unknown_run(tmp_path: Path) -> None:
    from sacred.observers import FileStorageObserver

    path = write_experiment(tmp_path / "project")
    run_original(path, FileStorageObserver(str(tmp_path / "runs")))
    result = sacred("rerun", "9", "--store", str(tmp_path / "runs"))
    assert result.ret == 4 and "no run with id '9'" in result.err and "nearest ids: 1" in result.err


def test_an_update_the_experiment_does_not_use_is_a_usage_error_with_suggestions(tmp_path: Path) -> None:
    from sacred.observers import FileStorageObserver

    path = write_experiment(tmp_path / "project")
    store = tmp_path / "runs"
    run_id = run_original(path, FileStorageObserver(str(store)))
    for updates, message in ((["b=3"], "does not use b"),
                             (["scael=2.0"], "does not use scael (did you mean 'scale'?)"),
                             (["huge"], "has no named config 'huge' (available: big)")):
        result = sacred("rerun", run_id, "--store", str(store), "with", *updates)
        assert result.ret == 4, result.out + result.err
        assert message in result.err and "ERROR: " in result.err
        assert "New run" not in result.out and "Traceback" not in result.err
    assert sorted(p.name for p in store.iterdir() if p.name.isdigit()) == [run_id]  # no run was made

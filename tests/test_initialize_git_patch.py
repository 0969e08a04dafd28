"""The uncommitted-changes patch of a run (``meta_info["git_patch"]``): one snapshot per discovery."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from tests.fixtures.git_repos import git

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git executable")

EXPERIMENT = '''\
from sacred import Experiment

ex = Experiment("patched")


@ex.main
def main():
    return 1
'''


@pytest.fixture
def dirty_project(tmp_path: Path) -> Path:
    """A repository whose committed experiment file has an uncommitted change."""
    project = tmp_path / "project"
    project.mkdir()
    path = project / "exp_patched.py"
    path.write_text(EXPERIMENT)
    git(project, "init", "-q")
    git(project, "add", "exp_patched.py")
    git(project, "commit", "-q", "-m", "first")
    path.write_text(EXPERIMENT + "# change one\n")
    return path


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ex


class _GitCalls:
    """Counts the git processes sacred.vcs starts."""

    def __init__(self, monkeypatch) -> None:
        import sacred.vcs

        self.count = 0
        real = sacred.vcs._start_git

        def counting(root, *args):
            self.count += 1
            return real(root, *args)

        monkeypatch.setattr(sacred.vcs, "_start_git", counting)


def _recorded_patches(ex, runs: int) -> list[dict | None]:
    patches = []
    for _ in range(runs):
        run = ex._create_run()
        run.experiment_info  # noqa: B018 - discovery (and the patch) happen when first asked
        patches.append(run.meta_info.get("git_patch"))
    return patches


def test_later_runs_of_a_process_reuse_the_first_runs_patch_and_start_no_git(dirty_project, monkeypatch):
    ex = _load(dirty_project, "exp_patch_reuse")
    calls = _GitCalls(monkeypatch)
    first, *later = _recorded_patches(ex, 4)
    assert first is not None and "+# change one" in first["patch"]
    spawned_by_first = calls.count
    assert spawned_by_first >= 1
    # the file changes on disk between runs: the code that runs is still the imported one,
    # and the patch stays the snapshot taken with the sources' digests and the dirty flag
    dirty_project.write_text(EXPERIMENT + "# change two\n")
    later += _recorded_patches(ex, 2)
    assert calls.count == spawned_by_first
    assert all(patch == first for patch in later)
    later[0]["patch"] = "edited"  # each run holds its own copy
    assert _recorded_patches(ex, 1)[0] == first


def test_a_new_discovery_takes_a_new_snapshot(dirty_project, monkeypatch):
    ex = _load(dirty_project, "exp_patch_new_discovery")
    first = _recorded_patches(ex, 1)[0]
    dirty_project.write_text(EXPERIMENT + "# change two\n")
    ex.add_package_dependency("somepackage", "1.0")  # forgets the discovery
    again = _recorded_patches(ex, 1)[0]
    assert "+# change one" in first["patch"] and "+# change two" in again["patch"]
    other = _load(dirty_project, "exp_patch_other_experiment")  # its own discovery
    assert "+# change two" in _recorded_patches(other, 1)[0]["patch"]


def test_a_clean_repository_records_no_patch_and_starts_no_diff(dirty_project, monkeypatch):
    git(dirty_project.parent, "commit", "-q", "-am", "clean")
    ex = _load(dirty_project, "exp_patch_clean")
    calls = _GitCalls(monkeypatch)
    assert _recorded_patches(ex, 3) == [None, None, None]
    assert calls.count <= 2  # the discovery's status and config, once; no diff

"""``sacred runs`` on every store kind: table, filters, sort, pages, JSON, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sacred_runner.tools.helpers import sacred


def test_table_on_every_store(any_store) -> None:
    result = sacred("runs", "--store", any_store.spec)
    assert result.ret == 0, result.err
    lines = result.out.splitlines()
    header = lines[0].split()
    assert header[:5] == ["id", "experiment", "status", "start", "duration"]
    assert "lr" in header and "result" in header
    assert len(lines) == 2 + 5 + 1
    assert sum("FAILED" in line for line in lines) == 1
    assert lines[-1].startswith("1-5 of 5 runs in ")
    if any_store.has_metrics:
        assert "metric:loss" in header


def test_filter_sort_columns_json(any_store) -> None:
    result = sacred("runs", "--store", any_store.spec, "config.lr > 0.1", "--status", "COMPLETED",
                    "--sort", "config.lr", "--columns", "lr,depth,status", "--json")
    assert result.ret == 0, result.err
    runs = json.loads(result.out)
    assert [run["config"]["lr"] for run in runs] == [0.3, 0.5]
    assert all(run["store"] and run["status"] == "COMPLETED" for run in runs)
    table = sacred("runs", "--store", any_store.spec, "--sort=-config.lr", "--columns", "lr,depth,comment")
    assert [line.split()[0] for line in table.out.splitlines()[2:7]] == ["0.5", "0.3", "0.2", "0.1", "0.01"]
    assert "baseline run" in table.out
    failed = sacred("runs", "--store", any_store.spec, "--status", "failed", "--columns", "lr")
    assert failed.out.splitlines()[2].strip() == "0.2"
    if any_store.has_meta:
        sweep = sacred("runs", "--store", any_store.spec, "--sweep", "sw1", "--columns", "lr,sweep")
        assert sweep.out.splitlines()[2].split() == ["0.3", "sw1"]
    assert "1-1 of 1 runs" in sacred("runs", "--store", any_store.spec, "--comment", "baseline").out


def test_pages(file_store_dir) -> None:
    basedir, _ = file_store_dir
    first = sacred("runs", "--store", str(basedir), "--limit", "2", "--columns", "id")
    assert [line.strip() for line in first.out.splitlines()[2:4]] == ["5", "4"]  # newest first
    assert "1-2 of 5 runs" in first.out and "(next: --page 2)" in first.out
    third = sacred("runs", "--store", str(basedir), "--limit", "2", "--page", "3", "--columns", "id")
    assert [line.strip() for line in third.out.splitlines()[2:3]] == ["1"]
    assert "5-5 of 5 runs" in third.out and "next" not in third.out
    assert "no runs match" in sacred("runs", "--store", str(basedir), "--page", "9").out


def test_default_store_is_the_projects_embedded_store(tmp_path: Path, monkeypatch) -> None:
    from sacred.observers import FileStorageObserver
    from tests.fixtures.run_stores import play_runs

    project = tmp_path / "project"
    project.mkdir()
    (project / "sacred.ini").write_text("[sacred]\n")
    play_runs(FileStorageObserver(str(project / ".sacred" / "runs")), tmp_path / "work")
    monkeypatch.chdir(project)
    result = sacred("runs")
    assert result.ret == 0, result.err
    assert "of 5 runs in FileStorage " + str(project / ".sacred" / "runs") in result.out


def test_default_stores_are_the_configured_observers(tmp_path: Path, monkeypatch) -> None:
    from sacred.observers import FileStorageObserver, TinyDbObserver
    from tests.fixtures.run_stores import play_runs

    project = tmp_path / "project"
    project.mkdir()
    (project / "sacred.ini").write_text("[sacred]\nobservers =\n    file_storage:results\n    tiny_db:tdb\n")
    play_runs(FileStorageObserver(str(project / "results")), tmp_path / "w1")
    play_runs(TinyDbObserver(str(project / "tdb")), tmp_path / "w2")
    monkeypatch.chdir(project)
    result = sacred("runs")
    assert result.ret == 0, result.err
    assert result.out.count("of 5 runs in") == 2
    assert "== TinyDB " in result.out and "== FileStorage " in result.out


def test_no_runs_yet(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sacred.ini").write_text("[sacred]\n")
    result = sacred("runs")
    assert result.ret == 4
    assert "no runs yet" in result.err and ".sacred/runs" in result.err


@pytest.mark.parametrize("argv, fragment", [
    (["--where-is-it"], "unrecognized arguments"),
    (["config.lr >"], "cannot parse filter at column 12"),
    (["--since", "yesterday"], "--since 'yesterday'"),
    (["--sort", "nonsense"], "cannot sort by 'nonsense'"),
    (["--limit", "-1"], "--limit must be"),
])
def test_bad_input_is_one_error(file_store_dir, argv: list[str], fragment: str) -> None:
    basedir, _ = file_store_dir
    result = sacred("runs", "--store", str(basedir), *argv)
    assert result.ret == 4
    assert result.err.startswith("ERROR: ") and fragment in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("store, fragment", [
    ("{tmp}/missing", "the path does not exist"),
    ("{tmp}/file.txt", "it is a file"),
    ("{tmp}/notastore", "is not a store"),
    ("sqlite:///{tmp}/file.txt", "file is not a database"),
    ("sqlite:///{tmp}/missing.db", "the SQLite file"),
    ("ftp://x", "unsupported URL scheme"),
])
def test_bad_store(tmp_path: Path, store: str, fragment: str) -> None:
    (tmp_path / "file.txt").write_text("hello")
    (tmp_path / "notastore" / "sub").mkdir(parents=True)
    result = sacred("runs", "--store", store.format(tmp=tmp_path))
    assert result.ret == 4 and fragment in result.err and "Traceback" not in result.err


def test_broken_runs_are_listed_not_fatal(file_store_dir) -> None:
    basedir, _ = file_store_dir
    (basedir / "2" / "run.json").write_text('{"status": "COMP')
    (basedir / "3" / "run.json").unlink()
    (basedir / "runs.index.jsonl").unlink()
    result = sacred("runs", "--store", str(basedir))
    assert result.ret == 0, result.err
    assert result.out.count("BROKEN") == 2
    assert "run.json is not valid JSON" in result.out and "run.json is missing" in result.out


def test_times_are_iso_or_ages() -> None:
    import datetime as dt

    from sacred_runner.errors import UsageError
    from sacred_runner.tools.runs import parse_when

    assert parse_when("2024-05-01", "--since") == dt.datetime(2024, 5, 1)
    assert parse_when("2024-05-01T12:00:00+02:00", "--since") == dt.datetime(2024, 5, 1, 10, 0)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert abs((now - parse_when("2h", "--since")).total_seconds() - 7200) < 60
    assert abs((now - parse_when("1.5d", "--until")).total_seconds() - 129600) < 60
    with pytest.raises(UsageError, match="--until 'soon'"):
        parse_when("soon", "--until")


def test_a_project_folder_opens_its_configured_store(tmp_path: Path) -> None:
    from sacred.observers import FileStorageObserver
    from sacred.runs import open_store
    from tests.fixtures.run_stores import play_runs

    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.sacred]\nstore = "results/runs"\n')
    play_runs(FileStorageObserver(str(project / "results" / "runs")), tmp_path / "w")
    store = open_store(project)
    assert store.description == f"embedded store {project / 'results' / 'runs'}" and store.count() == 5


def test_a_first_word_naming_a_store_folder_is_the_store(file_store_dir, tmp_path: Path, monkeypatch) -> None:
    # `sacred runs my_runs/` reads that folder, as `--store my_runs/` does; the words after it filter.
    basedir, _ = file_store_dir
    by_option = sacred("runs", "--store", str(basedir), "--columns", "id")
    by_word = sacred("runs", str(basedir), "--columns", "id")
    assert by_word.ret == 0, by_word.err
    assert by_word.out == by_option.out and "of 5 runs in FileStorage" in by_word.out
    filtered = sacred("runs", str(basedir), "id", "<=", "2", "--columns", "id")
    assert filtered.ret == 0, filtered.err
    assert "1-2 of 2 runs" in filtered.out
    monkeypatch.chdir(basedir.parent)
    relative = sacred("runs", basedir.name, "--columns", "id")
    assert relative.ret == 0 and relative.out == by_option.out


def test_a_folder_named_like_a_filter_field_stays_a_filter_unless_it_is_a_store(
        tmp_path: Path, monkeypatch) -> None:
    # a folder "status" that is no store must not swallow the filter `status == 'FAILED'`
    from sacred.observers import FileStorageObserver
    from tests.fixtures.run_stores import play_runs

    project = tmp_path / "project"
    project.mkdir()
    (project / "sacred.ini").write_text("[sacred]\n")
    (project / "status").mkdir()
    play_runs(FileStorageObserver(str(project / ".sacred" / "runs")), tmp_path / "work")
    monkeypatch.chdir(project)
    result = sacred("runs", "status", "==", "'COMPLETED'", "--columns", "id,status")
    assert result.ret == 0, result.err
    assert "of 5 runs in FileStorage " + str(project / ".sacred" / "runs") not in result.out
    assert "runs in FileStorage " + str(project / ".sacred" / "runs") in result.out
    assert all("COMPLETED" in line for line in result.out.splitlines()[2:-1] if line.strip())


def test_a_store_url_as_first_word(tmp_path: Path) -> None:
    from sacred.observers import SqlObserver
    from tests.fixtures.run_stores import play_runs

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    play_runs(SqlObserver(url), tmp_path / "work")
    result = sacred("runs", url, "--columns", "id")
    assert result.ret == 0, result.err
    assert "of 5 runs" in result.out
    missing = sacred("runs", f"sqlite:///{tmp_path / 'missing.db'}")
    assert missing.ret == 4 and "the SQLite file" in missing.err

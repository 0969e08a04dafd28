"""Collection: import without automain, the tree, -q node ids, --json, collection errors."""

from __future__ import annotations

import json


def write_two(sacredtester):
    sacredtester.write("exp_train.py", '''\
        """Training experiment."""
        from pathlib import Path
        from sacred import Experiment, Ingredient
        data = Ingredient("data")
        @data.config
        def data_cfg():
            size = 10  # number of samples
        ex = Experiment("train", ingredients=[data])
        @ex.config
        def cfg():
            lr = 0.1  # learning rate
        @ex.named_config
        def fast():
            """Large steps."""
            lr = 1.0
        @ex.command
        def evaluate(lr):
            """Evaluate the model."""
            return lr
        @ex.automain
        def main(lr):
            Path("automain-ran").write_text("yes")
            return lr
        ''')
    sacredtester.write("sub/exp_other.py", '''\
        from sacred import Experiment
        ex = Experiment("other")
        @ex.main
        def run_it():
            return 0
        if __name__ == "__main__":
            ex.run_commandline()
            open("main-block-ran", "w").close()
        ''')


def test_collect_imports_without_running_automain_and_shows_the_tree(sacredtester):
    write_two(sacredtester)
    result = sacredtester.run("collect")
    assert result.ret == 0, result.stderr
    assert not (sacredtester.path / "automain-ran").exists()
    assert not (sacredtester.path / "main-block-ran").exists()
    out = result.stdout
    assert "<File exp_train.py>" in out and "<File sub/exp_other.py>" in out
    assert "<Experiment train>  Training experiment." in out
    assert "<Command main> (default)" in out
    assert "<Command evaluate>  Evaluate the model." in out
    assert "<NamedConfig fast>  Large steps." in out
    assert "<Ingredient data>" in out
    assert "<Config lr = 0.1>  # learning rate" in out
    assert "<Config data.size = 10>  # number of samples" in out
    assert "print_config" not in out  # built-in commands only with -v
    assert "<Command print_config>" in sacredtester.run("collect", "-v").stdout
    assert "2 experiments collected" in out


def test_collect_quiet_prints_node_ids(sacredtester):
    write_two(sacredtester)
    result = sacredtester.run("collect", "-q")
    assert result.lines == [
        "exp_train.py::train::evaluate",
        "exp_train.py::train::main",
        "sub/exp_other.py::other::run_it",
    ]


def test_collect_json(sacredtester):
    write_two(sacredtester)
    data = json.loads(sacredtester.run("collect", "--json").stdout)
    train = data["experiments"][0]
    assert train["nodeid"] == "exp_train.py::train"
    assert train["default_command"] == "main"
    assert {"name": "fast", "doc": "Large steps."} in train["named_configs"]
    assert train["config"]["lr"] == 0.1 and train["ingredients"] == ["data"]
    assert data["errors"] == []


def test_file_patterns_and_explicit_files(sacredtester):
    sacredtester.experiment("helper.py", exp_name="helper")
    sacredtester.experiment("exp_a.py")
    assert sacredtester.run("collect", "-q").lines == ["exp_a.py::exp_a::main"]
    assert sacredtester.run("collect", "-q", "helper.py").lines == ["helper.py::helper::main"]
    sacredtester.write("sacred.ini", "[sacred]\nexperiment_files = help*.py\n")
    assert sacredtester.run("collect", "-q").lines == ["helper.py::helper::main"]


def test_experiment_imported_from_another_file_is_collected_once(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("exp_b.py", "from exp_a import ex\n")
    assert sacredtester.run("collect", "-q").lines == ["exp_a.py::exp_a::main"]


def test_import_error_is_a_collection_error_and_the_others_still_run(sacredtester):
    sacredtester.experiment("exp_good.py")
    sacredtester.write("exp_bad.py", "x = 1\nraise RuntimeError('broken on purpose')\n")
    sacredtester.write("exp_syntax.py", "def f(:\n")
    collected = sacredtester.run("collect")
    assert collected.ret == 1
    assert "ERROR collecting exp_bad.py:2: RuntimeError: broken on purpose" in collected.stdout
    assert "ERROR collecting exp_syntax.py:1: SyntaxError" in collected.stdout
    result = sacredtester.run("run")
    assert result.ret == 1
    assert "exp_good.py::exp_good::main COMPLETED" in result.stdout
    assert "ERROR collecting exp_bad.py:2" in result.stdout


def test_exitfirst_with_collection_errors_runs_nothing(sacredtester):
    sacredtester.experiment("exp_good.py")
    sacredtester.write("exp_bad.py", "raise RuntimeError('broken')\n")
    result = sacredtester.run("run", "-x")
    assert result.ret == 2
    assert "COMPLETED" not in result.stdout


def test_system_exit_during_import_is_a_collection_error(sacredtester):
    sacredtester.write("exp_exit.py", "import sys\nsys.exit(3)\n")
    result = sacredtester.run("collect")
    assert result.ret == 1 and "SystemExit(3)" in result.stdout


def test_duplicate_experiment_names_in_one_file_get_unique_node_ids(sacredtester):
    sacredtester.write("exp_two.py", """\
        from sacred import Experiment
        first = Experiment("same")
        first.main(lambda: 1)
        second = Experiment("same")
        second.main(lambda: 2)
        """)
    lines = sacredtester.run("collect", "-q").lines
    assert lines == ["exp_two.py::same@first::<lambda>", "exp_two.py::same@second::<lambda>"]


def test_collect_applies_k_and_command_node_ids(sacredtester):
    sacredtester.experiment("exp_a.py", body='''\
        @ex.command
        def other(a):
            return a
        ''')
    sacredtester.experiment("exp_b.py")
    terse = sacredtester.run("collect", "-q", "-k", "main and not exp_b")
    assert terse.ret == 0
    assert terse.lines == ["exp_a.py::exp_a::main"]
    by_node_id = sacredtester.run("collect", "-q", "exp_a.py::exp_a::other")
    assert by_node_id.lines == ["exp_a.py::exp_a::other"]
    tree = sacredtester.run("collect", "--color=no", "-k", "other")
    assert "<Command other>" in tree.stdout and "<Command main>" not in tree.stdout
    assert "exp_b" not in tree.stdout.split("rootdir")[1].split("collected")[0]
    assert "1 experiment collected (1 deselected)" in tree.stdout
    nothing = sacredtester.run("collect", "-k", "nothing_matches")
    assert nothing.ret == 5


def test_collect_rejects_a_bad_k_expression(sacredtester):
    sacredtester.experiment("exp_a.py")
    result = sacredtester.run("collect", "-k", "a and")
    assert result.ret == 4 and "Wrong expression passed to '-k'" in result.stderr


FAILING_EXPERIMENT = """\
    from sacred import Experiment
    ex = Experiment("broken")
    @ex.automain
    def main():
        raise ValueError("broken on purpose")
    """


def test_a_file_storage_store_in_the_tree_is_never_collected(sacredtester):
    """docs/runner.md's own example: observers = file_storage:runs, three sessions, one broken file."""
    sacredtester.write("sacred.ini", "[sacred]\nobservers = file_storage:runs\n")
    sacredtester.experiment("exp_ok.py")
    sacredtester.write("exp_broken.py", FAILING_EXPERIMENT)
    for _session in range(3):
        result = sacredtester.run("run", "--color=no")
        assert result.ret == 1, result.stdout
        assert "1 completed, 1 failed" in result.stdout, result.stdout
    snapshots = sorted(p.name for p in (sacredtester.path / "runs" / "_sources").iterdir())
    # one snapshot per source file, no snapshots of snapshots
    assert [name.split("_")[1] for name in snapshots] == ["broken", "ok"], snapshots
    verbose = sacredtester.run("collect", "-v")
    assert "skipped runs: the store of the observer file_storage:runs" in verbose.stdout


def test_stores_are_recognised_by_their_layout_whatever_their_name(sacredtester):
    sacredtester.experiment("exp_ok.py")
    first = sacredtester.run("run", "--color=no", "-F", "archive", "-t", "tiny")
    assert first.ret == 0, first.stdout + first.stderr
    assert (sacredtester.path / "archive" / "_sources").is_dir()
    assert (sacredtester.path / "tiny" / "metadata.json").is_file()
    # stale experiment copies inside the stores, outside any configured observer
    sacredtester.write("archive/_sources/exp_stale.py", FAILING_EXPERIMENT)
    sacredtester.write("archive/1/exp_artifact.py", "raise RuntimeError('an artifact, not an experiment')\n")
    sacredtester.write("tiny/exp_stale.py", "raise RuntimeError('stale copy')\n")
    sacredtester.write("old_runs/7/run.json", "{}")
    sacredtester.write("old_runs/7/config.json", "{}")
    sacredtester.write("old_runs/7/exp_copy.py", "raise RuntimeError('stale copy')\n")
    collected = sacredtester.run("collect", "-v")
    assert collected.ret == 0, collected.stdout
    assert "ERROR" not in collected.stdout
    assert "skipped archive: a FileStorage observer's store" in collected.stdout
    assert "skipped tiny: a TinyDB observer's store" in collected.stdout
    assert "skipped old_runs/7: a stored run" in collected.stdout
    assert sacredtester.run("run", "--color=no").ret == 0


def test_the_store_of_an_experiments_own_observer_is_not_collected(sacredtester):
    sacredtester.write("exp_main.py", """\
        from sacred import Experiment
        from sacred.observers import FileStorageObserver
        ex = Experiment("main")
        ex.observers.append(FileStorageObserver("results_of_main"))
        @ex.automain
        def main():
            return 1
        """)
    sacredtester.write("results_of_main/exp_copy.py", "raise RuntimeError('stale copy')\n")
    collected = sacredtester.run("collect", "-v")
    assert collected.ret == 0, collected.stdout
    assert "skipped results_of_main/exp_copy.py: inside" in collected.stdout
    assert "store of an observer of exp_main.py::main" in collected.stdout


def test_stored_sources_and_pytest_norecursedirs_defaults_are_skipped(sacredtester):
    sacredtester.experiment("exp_ok.py")
    for folder in ("lib/_sources", "build", "dist", "node_modules", "venv", ".hidden", "pkg.egg", "CVS",
                   "_darcs", "{arch}", "env_without_name"):
        sacredtester.write(f"{folder}/exp_stale.py", "raise RuntimeError('must not be imported')\n")
    sacredtester.write("env_without_name/pyvenv.cfg", "home = /usr\n")
    collected = sacredtester.run("collect", "-v")
    assert collected.ret == 0, collected.stdout
    assert "skipped lib/_sources: stored source copies of an observer" in collected.stdout
    assert "skipped build: matches norecursedirs" in collected.stdout
    assert "skipped env_without_name: a virtualenv" in collected.stdout
    # the ini key replaces the defaults
    sacredtester.write("sacred.ini", "[sacred]\nnorecursedirs = build\n")
    assert "ERROR collecting dist/exp_stale.py" in sacredtester.run("collect").stdout


def test_collect_quiet_shows_collection_errors(sacredtester):
    sacredtester.experiment("exp_good.py")
    sacredtester.write("exp_bad.py", "x = 1\nraise RuntimeError('broken on purpose')\n")
    result = sacredtester.run("collect", "-q")
    assert result.ret == 1
    assert result.lines == [
        "exp_good.py::exp_good::main",
        "ERROR collecting exp_bad.py:2: RuntimeError: broken on purpose",
    ]


def test_no_matching_file_names_the_patterns_and_how_to_change_them(sacredtester):
    sacredtester.write("train.py", "x = 1\n")
    sacredtester.write("lib/helpers.py", "x = 1\n")
    for args in (("collect",), ("collect", "-q"), ("run",), ("run", "-q")):
        result = sacredtester.run(*args)
        assert result.ret == 5, result.stdout
        assert ("no experiment files in .: 2 .py files, none matching (experiment_files = exp_*.py "
                "*_exp.py *_experiment.py experiment_*.py, the default)") in result.stdout, args
        assert "'experiment_files = *.py'" in result.stdout
    sacredtester.write("sacred.ini", "[sacred]\nexperiment_files = run_*.py\n")
    result = sacredtester.run("collect")
    assert "(experiment_files = run_*.py, set in " in result.stdout and "sacred.ini:2)" in result.stdout
    sacredtester.write("sacred.ini", "[sacred]\nexperiment_files = *.py\n")
    assert sacredtester.run("collect", "-q").ret == 5  # found, but no Experiment in them

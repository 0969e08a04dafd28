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

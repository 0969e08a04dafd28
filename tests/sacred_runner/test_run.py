"""sacred run: the default store, selection (-k, node ids, commands), updates, -x, --lf."""

from __future__ import annotations

import json
import re

import pytest


def stored_run(sacredtester, run_id):
    return json.loads((sacredtester.path / ".sacred" / "runs" / str(run_id) / "run.json").read_text())


def test_runs_go_to_the_embedded_store_and_the_summary_says_where(sacredtester):
    sacredtester.experiment("exp_a.py", result="a + 1")
    sacredtester.experiment("exp_b.py", result="a * 10")
    result = sacredtester.run("run", "with", "a=5")
    assert result.ret == 0, result.stderr
    assert "exp_a.py::exp_a::main COMPLETED" in result.stdout and "result=6" in result.stdout
    assert "result=50" in result.stdout
    summary = result.stdout.split("summary")[1]
    assert ".sacred/runs/1" in summary and ".sacred/runs/2" in summary
    assert stored_run(sacredtester, 1)["status"] == "COMPLETED"
    config = json.loads((sacredtester.path / ".sacred/runs/2/config.json").read_text())
    assert config["a"] == 5


def test_ini_observers_replace_the_default_store(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("sacred.ini", "[sacred]\nobservers =\n    file_storage:my_runs\n")
    result = sacredtester.run("run")
    assert result.ret == 0
    assert (sacredtester.path / "my_runs" / "1" / "run.json").exists()
    assert not (sacredtester.path / ".sacred" / "runs").exists()
    assert "my_runs/1" in result.stdout


def test_bad_observer_spec_is_a_usage_error(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("sacred.ini", "[sacred]\nobservers = carrier_pigeon:home\n")
    result = sacredtester.run("run")
    assert result.ret == 4 and "bad observer 'carrier_pigeon:home'" in result.stderr


def test_unused_update_deselects_with_the_reason(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("exp_lr.py", """\
        from sacred import Experiment
        ex = Experiment("lr")
        @ex.config
        def cfg():
            lr = 0.5
        @ex.automain
        def main(lr):
            return lr
        """)
    result = sacredtester.run("run", "with", "lr=0.1")
    assert result.ret == 0
    assert "deselected exp_a.py::exp_a::main: does not use lr" in result.stdout
    assert "exp_lr.py::lr::main COMPLETED" in result.stdout and "result=0.1" in result.stdout
    assert "exp_a.py::exp_a::main COMPLETED" not in result.stdout


def test_named_configs_from_with_and_from_the_ini(sacredtester):
    sacredtester.experiment("exp_a.py", body='''\
        @ex.named_config
        def big():
            a = 100
        ''', result="a")
    sacredtester.experiment("exp_b.py", result="a")
    result = sacredtester.run("run", "with", "big")
    assert "result=100" in result.stdout
    assert "deselected exp_b.py::exp_b::main: has no named config 'big'" in result.stdout
    sacredtester.write("sacred.ini", "[sacred]\nnamed_configs = big\n")
    result = sacredtester.run("run")
    assert result.ret == 0
    assert "exp_a.py::exp_a::main COMPLETED 0" in result.stdout and "result=100" in result.stdout
    assert "exp_b.py::exp_b::main COMPLETED" in result.stdout


def test_keyword_selection(sacredtester):
    sacredtester.experiment("exp_mnist.py")
    sacredtester.experiment("exp_cifar.py")
    sacredtester.experiment("exp_mnist_slow.py")
    result = sacredtester.run("run", "-k", "mnist and not slow")
    assert result.ret == 0
    assert "exp_mnist.py::exp_mnist::main COMPLETED" in result.stdout
    assert "cifar::main COMPLETED" not in result.stdout and "slow::main COMPLETED" not in result.stdout
    assert "2 deselected" in result.stdout
    assert sacredtester.run("run", "-k", "nothing_matches").ret == 5


def test_commands_and_node_ids(sacredtester):
    sacredtester.experiment("exp_a.py", body='''\
        @ex.command
        def evaluate(a):
            return a * 7
        ''')
    sacredtester.experiment("exp_b.py")
    result = sacredtester.run("run", "evaluate")
    assert "exp_a.py::exp_a::evaluate COMPLETED" in result.stdout and "result=7" in result.stdout
    assert "deselected exp_b.py::exp_b: has no command 'evaluate'" in result.stdout
    result = sacredtester.run("run", "exp_a.py::exp_a::evaluate", "exp_b.py::exp_b")
    assert "exp_a.py::exp_a::evaluate COMPLETED" in result.stdout
    assert "exp_b.py::exp_b::main COMPLETED" in result.stdout
    assert "exp_a.py::exp_a::main" not in result.stdout


def test_k_matches_the_whole_node_id_including_the_command(sacredtester):
    sacredtester.experiment("exp_lin.py", exp_name="linreg", body='''\
        @ex.command
        def evaluate(a):
            return a * 7
        ''')
    sacredtester.experiment("exp_other.py")
    listed = sacredtester.run("collect", "-q", "-k", "evaluate")
    assert listed.lines == ["exp_lin.py::linreg::evaluate"]
    result = sacredtester.run("run", "-k", "evaluate", "--color=no")
    assert result.ret == 0, result.stdout + result.stderr
    assert "exp_lin.py::linreg::evaluate COMPLETED" in result.stdout and "result=7" in result.stdout
    assert "exp_lin.py::linreg::main COMPLETED" not in result.stdout
    assert "exp_other.py::exp_other::main COMPLETED" not in result.stdout
    # the full node id (as collect -q prints it) selects the same run
    by_id = sacredtester.run("run", "-k", "exp_lin.py::linreg::evaluate", "--color=no")
    assert "exp_lin.py::linreg::evaluate COMPLETED" in by_id.stdout
    assert "::main COMPLETED" not in by_id.stdout
    # naming only the experiment keeps running its default command alone
    default_only = sacredtester.run("run", "-k", "linreg", "--color=no")
    assert "exp_lin.py::linreg::main COMPLETED" in default_only.stdout
    assert "evaluate COMPLETED" not in default_only.stdout
    both = sacredtester.run("run", "-k", "linreg and (main or evaluate)", "--color=no")
    assert "linreg::main COMPLETED" in both.stdout and "linreg::evaluate COMPLETED" in both.stdout


def test_k_picks_a_command_of_an_experiment_without_a_default_command(sacredtester):
    sacredtester.write("exp_tools.py", """\
        from sacred import Experiment
        ex = Experiment("tools")
        @ex.command
        def report():
            return "reported"
        """)
    result = sacredtester.run("run", "-k", "report", "--color=no")
    assert result.ret == 0, result.stdout + result.stderr
    assert "exp_tools.py::tools::report COMPLETED" in result.stdout
    assert "has no default command" not in result.stdout


def test_builtin_command_print_config_runs_for_each_experiment(sacredtester):
    sacredtester.experiment("exp_a.py")
    result = sacredtester.run("run", "print_config", "with", "a=3")
    assert result.ret == 0
    assert "exp_a.py::exp_a::print_config COMPLETED" in result.stdout
    assert "a = 3" in result.stdout


def test_failure_exit_1_and_exitfirst(sacredtester):
    sacredtester.experiment("exp_1.py", result="1/0")
    sacredtester.experiment("exp_2.py")
    result = sacredtester.run("run")
    assert result.ret == 1
    assert "exp_1.py::exp_1::main FAILED" in result.stdout and "exp_2.py::exp_2::main COMPLETED" in result.stdout
    assert "ZeroDivisionError" in result.stdout.split("FAILURES")[1]
    result = sacredtester.run("run", "-x")
    assert result.ret == 1
    assert "exp_2.py::exp_2::main COMPLETED" not in result.stdout
    assert "stopped at the first failure" in result.stdout


def test_last_failed_reruns_only_failures(sacredtester):
    sacredtester.experiment("exp_1.py", result="1/0")
    sacredtester.experiment("exp_2.py")
    assert sacredtester.run("run").ret == 1
    lastfailed = json.loads((sacredtester.path / ".sacred" / "lastfailed.json").read_text())
    assert list(lastfailed) == ["exp_1.py::exp_1::main"]
    result = sacredtester.run("run", "--lf")
    assert "exp_1.py::exp_1::main FAILED" in result.stdout
    assert "exp_2.py::exp_2::main COMPLETED" not in result.stdout
    assert "passed last time (--lf)" in result.stdout
    sacredtester.experiment("exp_1.py", result="1")  # fixed
    assert sacredtester.run("run", "--lf").ret == 0
    assert json.loads((sacredtester.path / ".sacred" / "lastfailed.json").read_text()) == {}
    result = sacredtester.run("run", "--lf")  # nothing failed: everything runs
    assert "exp_2.py::exp_2::main COMPLETED" in result.stdout


def test_ini_options_reach_the_run(sacredtester):
    sacredtester.experiment("exp_a.py")
    sacredtester.write("sacred.ini", "[sacred]\ncapture = no\nbeat_interval = 7\n")
    assert sacredtester.run("run", "--comment", "hello").ret == 0
    meta = stored_run(sacredtester, 1)["meta"]
    assert meta["options"]["--capture"] == "no"
    assert meta["options"]["--beat-interval"] == 7.0
    assert meta["comment"] == "hello"


def test_addopts_and_paths_from_the_ini(sacredtester):
    sacredtester.experiment("experiments/exp_a.py")
    sacredtester.experiment("elsewhere/exp_b.py")
    sacredtester.write("sacred.ini", "[sacred]\npaths = experiments\naddopts = -q\n")
    result = sacredtester.run("run")
    assert result.ret == 0
    assert "sacred session starts" not in result.stdout  # -q from addopts
    assert "1 completed" in result.stdout


def test_unobserved_runs_are_not_stored(sacredtester):
    sacredtester.experiment("exp_a.py")
    result = sacredtester.run("run", "--unobserved")
    assert result.ret == 0
    assert "unobserved" in result.stdout
    assert not (sacredtester.path / ".sacred" / "runs" / "1").exists()


TWO_COMMANDS = '''\
    @ex.command
    def other(a):
        return a * 10
    '''


def test_node_ids_naming_two_commands_of_one_experiment_run_both(sacredtester):
    sacredtester.experiment("exp_a.py", body=TWO_COMMANDS)
    result = sacredtester.run("run", "--color=no", "exp_a.py::exp_a::other", "exp_a.py::exp_a::main")
    assert result.ret == 0, result.stdout + result.stderr
    assert "exp_a.py::exp_a::other COMPLETED" in result.stdout and "result=10" in result.stdout
    assert "exp_a.py::exp_a::main COMPLETED" in result.stdout


def test_a_file_and_a_command_node_id_of_it_run_the_default_and_that_command(sacredtester):
    sacredtester.experiment("exp_a.py", body=TWO_COMMANDS)
    result = sacredtester.run("run", "--color=no", "exp_a.py::exp_a::other", "exp_a.py")
    assert result.ret == 0, result.stdout + result.stderr
    assert "exp_a.py::exp_a::other COMPLETED" in result.stdout
    assert "exp_a.py::exp_a::main COMPLETED" in result.stdout
    twice = sacredtester.run("run", "--color=no", "exp_a.py::exp_a::other", "exp_a.py::exp_a::other")
    assert twice.stdout.count("exp_a.py::exp_a::other COMPLETED") == 1


def test_a_node_id_with_an_unknown_command_is_a_usage_error(sacredtester):
    sacredtester.experiment("exp_a.py", body=TWO_COMMANDS)
    result = sacredtester.run("run", "exp_a.py::exp_a::nope")
    assert result.ret == 4
    assert "not found: exp_a.py::exp_a::nope" in result.stderr
    assert "other" in result.stderr and "main" in result.stderr


def test_a_node_id_can_name_an_ingredient_command(sacredtester):
    sacredtester.write("exp_ing.py", """\
        from sacred import Experiment, Ingredient
        data = Ingredient("data")
        @data.config
        def dcfg():
            n = 3
        @data.command
        def show(n):
            return n * 2
        ex = Experiment("ing", ingredients=[data])
        @ex.automain
        def main():
            return 0
        """)
    result = sacredtester.run("run", "--color=no", "exp_ing.py::ing::data.show", "with", "data.n=4")
    assert result.ret == 0, result.stdout + result.stderr
    assert "exp_ing.py::ing::data.show COMPLETED" in result.stdout and "result=8" in result.stdout


def test_unreachable_mongo_beside_file_storage_fails_the_run_and_file_storage_records_it(sacredtester, tmp_path):
    """``-m`` to a closed port plus ``-F``: one failed start, no further waits on the server."""
    pytest.importorskip("pymongo")
    from tests.fixtures.mongo_server import free_port

    sacredtester.experiment("exp_a.py", result="2")
    url = f"mongodb://127.0.0.1:{free_port()}/sacred?serverSelectionTimeoutMS=300&connectTimeoutMS=300"
    dump_dir = tmp_path / "mongo_failed"
    result = sacredtester.run("run", "--color=no", "-m", url, "-F", "runs")
    assert result.ret == 1, result.stdout + result.stderr
    stored = json.loads((sacredtester.path / "runs" / "1" / "run.json").read_text())
    assert stored["status"] == "FAILED"
    assert "MongoObserver failed in started_event" in "".join(stored["fail_trace"])
    assert "exp_a.py::exp_a::main FAILED" in result.stdout
    assert not dump_dir.exists() and not (sacredtester.path / "sacred_failed_runs").exists()
def summary_of(result):
    """The lines of the summary section."""
    return result.stdout.split(" summary ")[1].splitlines()[1:]


def test_the_summary_says_what_each_run_was(sacredtester):
    sacredtester.experiment("exp_a.py", body='''\
        @ex.named_config
        def big():
            a = 100
        @ex.named_config
        def fast():
            a = 5
        ''', result="a")
    sacredtester.write("sacred.ini", "[sacred]\nnamed_configs = big\n")
    result = sacredtester.run("run", "--color=no", "with", "fast", "a=7")
    assert result.ret == 0, result.stdout + result.stderr
    header, row = summary_of(result)[:2]
    assert header.split()[:9] == ["experiment", "command", "with", "status", "duration", "result", "seed", "run",
                                  "id"]
    stored = json.loads((sacredtester.path / ".sacred" / "runs" / "1" / "config.json").read_text())
    cells = row.split()
    assert cells[:6] == ["exp_a.py::exp_a", "main", "big", "(sacred.ini)", "fast", "a=7"]
    assert cells[6] == "COMPLETED" and cells[8] == "7"
    assert cells[9] == str(stored["seed"])  # the seed the run used
    assert cells[10:] == ["1", ".sacred/runs/1"]


def test_the_summary_counts_runs_that_never_started_after_exitfirst(sacredtester):
    sacredtester.experiment("exp_1.py", result="1/0")
    sacredtester.experiment("exp_2.py")
    sacredtester.experiment("exp_3.py")
    result = sacredtester.run("run", "-x", "--color=no")
    assert result.ret == 1
    assert "2 runs never started: exp_2.py::exp_2::main, exp_3.py::exp_3::main" in result.stdout
    assert re.search(r"=+ 1 failed, 2 not started \(stopped at the first failure, -x\) in", result.stdout)


def test_the_summary_counts_runs_that_never_started_after_ctrl_c(sacredtester):
    sacredtester.experiment("exp_1.py", body='''\
        @ex.command
        def interrupted():
            raise KeyboardInterrupt
        ''')
    sacredtester.experiment("exp_2.py", body='''\
        @ex.command
        def interrupted():
            return 2
        ''')
    result = sacredtester.run("run", "interrupted", "--color=no")
    assert result.ret == 2
    assert "1 run never started: exp_2.py::exp_2::interrupted" in result.stdout
    assert re.search(r"=+ Interrupted: 1 interrupted, 1 not started in", result.stdout)

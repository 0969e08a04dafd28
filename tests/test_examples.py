"""The spec's examples in examples/ run as documented (as scripts, in a temporary cwd)."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TIMEOUT_SECONDS = 120


def run_example(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=str(cwd),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=TIMEOUT_SECONDS,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def log_lines(result: subprocess.CompletedProcess) -> list[str]:
    return result.stderr.splitlines()


def standard_log(name: str, command: str) -> list[str]:
    return [
        f"WARNING - {name} - No observers have been added to this run",
        f"INFO - {name} - Running command '{command}'",
        f"INFO - {name} - Started",
        f"INFO - {name} - Completed after 0:00:00",
    ]


def result_value(result: subprocess.CompletedProcess) -> float:
    match = re.search(r"Result: (\S+)", result.stderr)
    assert match, result.stderr
    return float(match.group(1))


def test_01_hello_world(tmp_path):
    result = run_example("01_hello_world.py", cwd=tmp_path)
    assert result.stdout == "Hello world!\n"
    assert log_lines(result) == standard_log("01_hello_world", "main")


def test_01_hello_world_log_level(tmp_path):
    result = run_example("01_hello_world.py", "-l", "WARNING", cwd=tmp_path)
    assert result.stdout == "Hello world!\n"
    assert log_lines(result) == [
        "WARNING - 01_hello_world - No observers have been added to this run"
    ]


def test_01_hello_world_help(tmp_path):
    out = run_example("01_hello_world.py", "--help", cwd=tmp_path).stdout
    assert "This is a minimal example of a Sacred experiment." in out
    assert "Commands:" in out and "  main" in out


def test_02_hello_config_dict(tmp_path):
    result = run_example("02_hello_config_dict.py", cwd=tmp_path)
    assert result.stdout == "Hello world!\n"
    assert log_lines(result) == standard_log("02_hello_config_dict", "main")
    ciao = run_example("02_hello_config_dict.py", "with", "message=Ciao world!", cwd=tmp_path)
    assert ciao.stdout == "Ciao world!\n"


def test_03_hello_config_scope(tmp_path):
    result = run_example("03_hello_config_scope.py", cwd=tmp_path)
    assert result.stdout == "Hello world!\n"
    assert log_lines(result) == standard_log("hello_cs", "main")
    ciao = run_example("03_hello_config_scope.py", "with", "message='Ciao world!'", cwd=tmp_path)
    assert ciao.stdout == "Ciao world!\n"
    bob = run_example("03_hello_config_scope.py", "with", "recipient=Bob", cwd=tmp_path)
    assert bob.stdout == "Hello Bob!\n"


def test_03_print_dependencies_lists_the_example_source(tmp_path):
    out = run_example("03_hello_config_scope.py", "print_dependencies", cwd=tmp_path).stdout
    assert out.startswith("Dependencies:\n")
    assert re.search(r"^  03_hello_config_scope\.py +[0-9a-f]{32}$", out, re.MULTILINE)


def test_03_save_config(tmp_path):
    run_example("03_hello_config_scope.py", "save_config", "with", "recipient=Bob", cwd=tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["message"] == "Hello Bob!" and saved["recipient"] == "Bob"
    assert set(saved) == {"message", "recipient", "seed"}
    run_example(
        "03_hello_config_scope.py",
        "save_config",
        "with",
        "recipient=Bob",
        "config_filename=mine.yaml",
        cwd=tmp_path,
    )
    assert "recipient: Bob" in (tmp_path / "mine.yaml").read_text()


def test_04_captured_functions(tmp_path):
    result = run_example("04_captured_functions.py", "-l", "WARNING", cwd=tmp_path)
    assert result.stdout == (
        "This is printed by function foo.\n"
        "This is printed by function bar.\n"
        "Overriding the default message for foo.\n"
    )
    assert log_lines(result) == [
        "WARNING - captured_functions - No observers have been added to this run"
    ]


@pytest.mark.parametrize(
    "args, output, command",
    [
        (["greet"], "Hello John! Nice to greet you!\n", "greet"),
        (["shout"], "WHAZZZUUUUUUUUUUP!!!????\n", "shout"),
        (["main"], "This is just the main command. Try greet or shout.\n", "main"),
        ([], "This is just the main command. Try greet or shout.\n", "main"),
    ],
)
def test_05_my_commands(tmp_path, args, output, command):
    result = run_example("05_my_commands.py", *args, cwd=tmp_path)
    assert result.stdout == output
    assert log_lines(result) == standard_log("my_commands", command)


def test_05_commands_take_updates_and_flags(tmp_path):
    result = run_example(
        "05_my_commands.py", "greet", "with", "name='Jane'", "-l", "WARNING", cwd=tmp_path
    )
    assert result.stdout == "Hello Jane! Nice to greet you!\n"
    assert log_lines(result) == ["WARNING - my_commands - No observers have been added to this run"]


def test_05_commands_appear_in_help(tmp_path):
    out = run_example("05_my_commands.py", "help", cwd=tmp_path).stdout
    assert re.search(r"^  greet +Print a nice greet message\.$", out, re.MULTILINE)
    assert re.search(r"^  shout +Shout slang question", out, re.MULTILINE)
    detail = run_example("05_my_commands.py", "help", "greet", cwd=tmp_path).stdout
    assert detail.startswith("greet(name)\n    Print a nice greet message.\n")


def randomness(tmp_path, *updates):
    args = ["with", "seed=12345", *updates, "-l", "WARNING"]
    lines = run_example("06_randomness.py", *args, cwd=tmp_path).stdout.splitlines()
    assert len(lines) == 4, lines
    return lines


def test_06_randomness_fixed_seed_gives_identical_results(tmp_path):
    first = randomness(tmp_path)
    assert randomness(tmp_path) == first
    lists = [json.loads(line) for i, line in enumerate(first) if i != 2]
    assert all(len(x) == 1 and 1 <= x[0] <= 100 for x in lists)
    assert int(first[2]) >= 0


def test_06_randomness_without_seed_differs_between_runs(tmp_path):
    runs = {
        tuple(run_example("06_randomness.py", "-l", "WARNING", cwd=tmp_path).stdout.splitlines())
        for _ in range(3)
    }
    assert len(runs) > 1


def test_06_more_numbers_extend_each_call_independently(tmp_path):
    one = randomness(tmp_path)
    three = randomness(tmp_path, "numbers=3")
    for index in (0, 1, 3):
        short, long = json.loads(one[index]), json.loads(three[index])
        assert len(long) == 3 and long[:1] == short
    assert three[2] == one[2]


def test_06_reversed_calls_do_not_interfere(tmp_path):
    three = randomness(tmp_path, "numbers=3")
    reverse = randomness(tmp_path, "reverse=True", "numbers=3")
    assert reverse == [three[2], three[0], three[1], three[3]]


def test_07_magic_trains_a_working_classifier(tmp_path):
    result = run_example("07_magic.py", "with", "seed=3", cwd=tmp_path)
    assert 0.8 <= result_value(result) <= 1.0
    again = run_example("07_magic.py", "with", "seed=3", cwd=tmp_path)
    assert result_value(again) == result_value(result)


def test_07_magic_parameters_come_from_the_command_line(tmp_path):
    out = run_example("07_magic.py", "print_config", "with", "epochs=5", cwd=tmp_path).stdout
    assert "  epochs = 5                         # passes over the training data" in out
    chance = run_example("07_magic.py", "with", "seed=3", "separation=0.0", cwd=tmp_path)
    assert result_value(chance) < 0.8


def test_08_less_magic_runs_without_parsing_the_command_line(tmp_path):
    plain = run_example("08_less_magic.py", cwd=tmp_path)
    accuracy = float(re.search(r"accuracy: (\S+)", plain.stdout).group(1))
    assert 0.8 <= accuracy <= 1.0
    ignored = run_example("08_less_magic.py", "with", "separation=0.0", cwd=tmp_path)
    assert ignored.stdout == plain.stdout


def decorators(example: str) -> set[str]:
    tree = ast.parse((EXAMPLES / example).read_text())
    return {
        ast.unparse(d)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        for d in node.decorator_list
    }


def test_07_uses_the_magic_and_08_does_without():
    assert {"ex.config", "ex.capture", "ex.automain"} <= decorators("07_magic.py")
    assert decorators("08_less_magic.py") == {"ex.main"}


def test_named_config(tmp_path):
    assert run_example("named_config.py", cwd=tmp_path).stdout == "Hello world!\n"
    assert (
        run_example("named_config.py", "with", "rude", cwd=tmp_path).stdout == "Go away, world!\n"
    )
    result = run_example("named_config.py", "print_named_configs", cwd=tmp_path)
    assert result.stdout == "Named Configurations (doc):\n  rude   # A rude named config\n"
    assert "INFO - hello_config - Running command 'print_named_configs'" in result.stderr


def test_print_named_configs_without_any(tmp_path):
    out = run_example("01_hello_world.py", "print_named_configs", cwd=tmp_path).stdout
    assert out == "Named Configurations (doc):\n  No named configs\n"


def test_ingredient_config_and_commands(tmp_path):
    out = run_example("ingredient.py", "print_config", cwd=tmp_path).stdout
    assert "  dataset:\n" in out
    assert "    filename = 'my_dataset.npy'" in out and "    normalize = True" in out
    stats = run_example("ingredient.py", "dataset.stats", cwd=tmp_path)
    assert stats.stdout == 'Statistics for dataset "my_dataset.npy":\nmean = 13.37\n'
    assert "INFO - my_experiment - Running command 'stats'" in stats.stderr
    loaded = run_example("ingredient.py", cwd=tmp_path).stdout
    assert loaded == "loaded 101 values, mean -0.00\n" or loaded == "loaded 101 values, mean 0.00\n"
    raw = run_example("ingredient.py", "with", "dataset.normalize=False", cwd=tmp_path).stdout
    assert raw == "loaded 101 values, mean 13.37\n"


def test_modular_nested_ingredients(tmp_path):
    out = run_example("modular.py", "print_config", cwd=tmp_path).stdout
    assert "\n  dataset:\n" in out and "\n  paths:\n" in out
    assert "  report_every = 25" in out
    described = run_example(
        "modular.py", "dataset.describe", "with", "paths.base=/tmp", cwd=tmp_path
    )
    assert described.stdout == "100 samples, noise 0.10, cached in /tmp/modular_data.npz\n"
    result = run_example("modular.py", "with", "seed=1", cwd=tmp_path)
    assert 0 <= result_value(result) < 0.1


def test_captured_out_filter_keeps_only_the_final_progress(tmp_path):
    run_example("captured_out_filter.py", "-F", "runs", cwd=tmp_path)
    cout = (tmp_path / "runs" / "1" / "cout.txt").read_text()
    assert "[####################] done\nfinished 20 steps\n" in cout
    assert "5%" not in cout and "\r" not in cout and "\b" not in cout


def test_log_example_uses_the_custom_logger(tmp_path):
    lines = log_lines(run_example("log_example.py", cwd=tmp_path))
    assert "[custom] WARNING my_custom_logger.transmogrify: Transmogrifying 3 items!" in lines
    assert "[custom] INFO my_custom_logger.transmogrify: done" in lines
    assert "[custom] INFO my_custom_logger.log_example: Running command 'main'" in lines
    assert not any("hidden" in line for line in lines)


def config_lines(out: str) -> list[str]:
    return [re.sub(r"seed = \d+ +", "seed = N ", line) for line in out.splitlines()]


def test_config_demo_print_config(tmp_path):
    out = run_example("config_demo.py", "print_config", cwd=tmp_path).stdout
    assert config_lines(out) == [
        "Configuration (modified, added, typechanged, doc):",
        '  """This is my demo configuration"""',
        "  a = 10                             # some integer",
        "  e = 5.0                            # cool: a dynamic entry",
        "  seed = N # the random seed for this experiment",
        "  foo:                               # a dictionary",
        "    a_squared = 100",
        "    bar = 'my_string10'",
    ]


def test_config_demo_updates(tmp_path):
    out = run_example("config_demo.py", "print_config", "with", "a=6", cwd=tmp_path).stdout
    assert "  a = 6 " in out and "    a_squared = 36" in out and "    bar = 'my_string6'" in out
    assert "  e = " not in out
    out = run_example(
        "config_demo.py", "print_config", "with", "foo.bar=baobab", cwd=tmp_path
    ).stdout
    assert "    a_squared = 100" in out and "    bar = 'baobab'" in out and "  e = 5.0" in out


def test_named_configs_demo(tmp_path):
    def run(*args):
        return run_example("named_configs_demo.py", *args, cwd=tmp_path).stdout

    assert run() == "{'a': 10, 'b': 30, 'c': 'foo'}\n"
    assert run("with", "variant1") == "{'a': 100, 'b': 300, 'c': 'bar'}\n"
    assert run("with", "variant1", "a=23") == "{'a': 23, 'b': 69, 'c': 'bar'}\n"
    (tmp_path / "variant2.json").write_text('{"a": 2, "c": "file"}')
    assert run("with", "variant2.json") == "{'a': 2, 'b': 6, 'c': 'file'}\n"


def test_custom_command(tmp_path):
    result = run_example("custom_command.py", "scream", cwd=tmp_path)
    assert result.stdout == "AAAaaaaaaaahhhhhh...\n"
    assert log_lines(result) == standard_log("custom_command", "scream")
    help_text = run_example("custom_command.py", "help", "scream", cwd=tmp_path).stdout
    assert help_text == "scream()\n    scream, and shout, and let it all out ...\n\n"
    greet = run_example("custom_command.py", "greet", "with", 'name="Bob"', cwd=tmp_path)
    assert greet.stdout == "Hello Bob!\n"


def test_custom_command_unobserved_helper_is_not_stored(tmp_path):
    run_example("custom_command.py", "helper", "-F", "runs", cwd=tmp_path)
    runs = tmp_path / "runs"
    assert not runs.exists() or not [p for p in runs.iterdir() if p.name != "_sources"]
    run_example("custom_command.py", "scream", "-F", "runs", cwd=tmp_path)
    assert (runs / "1" / "run.json").exists()


def test_hello_config_print_config_with_updates(tmp_path):
    result = run_example(
        "hello_config.py", "print_config", "with", 'recipient="Bob"', "d.foo=True", cwd=tmp_path
    )
    out = result.stdout
    assert "  message = 'Hello Bob!'\n  recipient = 'Bob'\n" in out
    assert "  d:\n    bar = 2\n    foo = True\n" in out
    assert 'WARNING - root - Changed type of config entry "d.foo" from int to bool' in result.stderr


def test_ingredient_typechange_warning_and_command_line_as_087(tmp_path):
    stats = run_example("ingredient.py", "dataset.stats", "with", "dataset.normalize=1", cwd=tmp_path)
    # the same first lines Sacred 0.8.7 prints for this command
    assert stats.stderr.splitlines()[0] == (
        'WARNING - dataset - Changed type of config entry "normalize" from bool to int'
    )
    assert "INFO - my_experiment - Running command 'stats'" in stats.stderr

"""The built-in commands: print_config, print_dependencies, save_config,
print_named_configs and help, as functions and through real experiment files."""

from __future__ import annotations

import inspect
import json
import os
import pickle
import subprocess
import sys

import pytest
import yaml

from sacred.commands import (
    BLUE,
    ENDC,
    GREEN,
    GREY,
    RED,
    builtin_commands,
    colors_enabled,
    format_config,
    format_dependencies,
    format_named_configs,
    help_for_command,
    print_named_configs,
)
from sacred.config.config_summary import ConfigSummary
from tests.commandline.cli_helpers import run_file, write_experiment

HELLO_CONFIG = '''
"""Hello config."""
from sacred import Experiment, Ingredient

data = Ingredient("dataset")


@data.config
def data_cfg():
    """Dataset config."""
    filename = "my_dataset.npy"  # where the data is
    normalize = True


@data.named_config
def small():
    filename = "small.npy"


ex = Experiment("hello_config", ingredients=[data])


@ex.config
def cfg():
    """The greeting."""
    recipient = "world"  # who to greet
    message = "Hello %s!" % recipient
    d = {"foo": 1, "bar": 2}


@ex.named_config
def rude():
    """A rude named config"""
    recipient = "bastard"


@ex.automain
def main(message, d, dataset):
    print(message)
'''


@pytest.fixture
def hello(tmp_path):
    return write_experiment(tmp_path, HELLO_CONFIG, "hello_config.py")


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result


# --- print_config ----------------------------------------------------------------


def make_summary():
    config = {
        "recipient": "Bob",
        "message": "Hello Bob!",
        "seed": 7,
        "e": {},
        "d": {"foo": True, "bar": 2, "baz": 3},
        "dataset": {"filename": "my.npy", "normalize": True},
        "long_entry_name_for_padding": "x" * 20,
    }
    return ConfigSummary(
        config,
        added={"d.baz"},
        modified={"recipient"},
        typechanged={"d.foo": (int, bool)},
        docs={
            "__doc__": "Main config docstring.",
            "recipient": "who to greet",
            "seed": "the random seed for this experiment",
            "dataset.__doc__": "Dataset doc.",
            "dataset.filename": "the file",
            "long_entry_name_for_padding": "far right",
        },
    )


def test_print_config_plain_layout():
    summary = make_summary()
    assert format_config(summary, summary, use_color=False).splitlines() == [
        "Configuration (modified, added, typechanged, doc):",
        '  """Main config docstring."""',
        "  e = {}",
        "  long_entry_name_for_padding = 'xxxxxxxxxxxxxxxxxxxx'    # far right",
        "  message = 'Hello Bob!'",
        "  recipient = 'Bob'                  # who to greet",
        "  seed = 7                           # the random seed for this experiment",
        "  d:",
        "    bar = 2",
        "    baz = 3",
        "    foo = True",
        "  dataset:",
        '    """Dataset doc."""',
        "    filename = 'my.npy'              # the file",
        "    normalize = True",
    ]


def test_print_config_colours_modified_blue_added_green_typechanged_red():
    summary = make_summary()
    lines = format_config(summary, summary, use_color=True).splitlines()
    assert lines[0] == (
        f"Configuration ({BLUE}modified{ENDC}, {GREEN}added{ENDC}, "
        f"{RED}typechanged{ENDC}, {GREY}doc{ENDC}):"
    )
    assert f"{BLUE}  recipient = 'Bob'                  {GREY}# who to greet{ENDC}{ENDC}" in lines
    assert f"{BLUE}  d:{ENDC}" in lines
    assert f"{GREEN}    baz = 3{ENDC}" in lines
    assert f"{RED}    foo = True{ENDC}" in lines
    assert "    bar = 2" in lines
    assert f'{GREY}  """Main config docstring."""{ENDC}' in lines


def test_multiline_docstring_and_comment():
    summary = ConfigSummary({"a": 1}, docs={"__doc__": "Line one.\n\nLine three.", "a": "x\ny"})
    assert format_config(summary, summary, use_color=False).splitlines() == [
        "Configuration (modified, added, typechanged, doc):",
        '  """Line one.',
        "  ",
        '  Line three."""',
        "  a = 1                              # x",
        "                                     # y",
    ]


def test_colors_follow_the_terminal_and_the_environment(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", open(os.devnull, "w"))  # noqa: SIM115
    try:
        assert colors_enabled() is False
        monkeypatch.setenv("FORCE_COLOR", "1")
        assert colors_enabled() is True
        monkeypatch.setenv("NO_COLOR", "1")
        assert colors_enabled() is False
    finally:
        sys.stdout.close()


def test_print_config_command_piped_is_plain(hello):
    result = ok(run_file(hello, "print_config", "with", 'recipient="Bob"', "d.foo=True"))
    out = result.stdout
    assert "\033[" not in out
    assert out.startswith("Configuration (modified, added, typechanged, doc):\n")
    assert '  """The greeting."""' in out
    assert "  message = 'Hello Bob!'" in out
    assert "  recipient = 'Bob'                  # who to greet" in out
    assert "  d:\n    bar = 2\n    foo = True\n" in out
    assert (
        "  dataset:\n" in out and "    filename = 'my_dataset.npy'      # where the data is" in out
    )
    assert "INFO - hello_config - Running command 'print_config'" in result.stderr
    assert 'Changed type of config entry "d.foo" from int to bool' in result.stderr


def read_from_pty(args, cwd, env, timeout=60):
    import pty
    import select
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
    finally:
        os.close(master)
        proc.wait(timeout=timeout)
        proc.stderr.close()
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_print_config_command_on_a_terminal_is_coloured(hello):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    out = read_from_pty(
        [sys.executable, str(hello), "print_config", "with", 'recipient="Bob"', "d.foo=True"],
        cwd=hello.parent,
        env=env,
    )
    assert f"{BLUE}  recipient = 'Bob'" in out
    assert f"{RED}    foo = True{ENDC}" in out
    assert f"{BLUE}  d:{ENDC}" in out


# --- print_dependencies -------------------------------------------------------------


def test_dependencies_layout():
    info = {
        "dependencies": ["numpy==1.11.0", "sacred==0.7.0"],
        "sources": [["03_hello_config_scope.py", "53cee32c9dc77870f7b39622434aff85"]],
        "repositories": [
            {
                "url": "git@github.com:IDSIA/sacred.git",
                "commit": "bcdde712957570606ec5087b1748c60a89bb89e0",
                "dirty": True,
            },
            {"url": "https://u:tok@example.com/r.git", "commit": "abc", "dirty": False},
        ],
    }
    assert format_dependencies(info, use_color=False).split("\n") == [
        "Dependencies:",
        "  numpy                == 1.11.0",
        "  sacred               == 0.7.0",
        "",
        "Sources:",
        "  03_hello_config_scope.py                     53cee32c9dc77870f7b39622434aff85",
        "",
        "Version Control:",
        "M git@github.com:IDSIA/sacred.git              bcdde712957570606ec5087b1748c60a89bb89e0",
        "  https://u:***@example.com/r.git              abc",
        "",
    ]
    coloured = format_dependencies(info, use_color=True)
    assert f"{RED}M git@github.com:IDSIA/sacred.git" in coloured


def test_dependencies_without_repository_have_no_version_control_section():
    text = format_dependencies({"dependencies": [], "sources": [], "repositories": []}, False)
    assert text == "Dependencies:\n\nSources:\n"


def test_print_dependencies_command(hello):
    import hashlib

    out = ok(run_file(hello, "print_dependencies")).stdout
    md5 = hashlib.md5(hello.read_bytes()).hexdigest()
    assert out.startswith("Dependencies:\n")
    assert "  sacred               == " in out
    assert f"Sources:\n  hello_config.py                              {md5}\n" in out
    assert "Version Control:" not in out


# --- save_config --------------------------------------------------------------------


def test_save_config_writes_config_json_by_default(hello, tmp_path):
    result = ok(run_file(hello, "save_config", "with", "recipient=Bob"))
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["recipient"] == "Bob" and saved["message"] == "Hello Bob!"
    assert saved["d"] == {"foo": 1, "bar": 2} and isinstance(saved["seed"], int)
    assert "config_filename" not in saved
    assert 'INFO - save_config - Saving config to "config.json"' in result.stderr


@pytest.mark.parametrize(
    "name, load",
    [
        ("mine.yaml", lambda p: yaml.safe_load(p.read_text())),
        ("mine.json", lambda p: json.loads(p.read_text())),
        ("mine.pickle", lambda p: pickle.loads(p.read_bytes())),
    ],
)
def test_save_config_filename_picks_name_and_format(hello, tmp_path, name, load):
    ok(run_file(hello, "save_config", "with", "recipient=Bob", f"config_filename={name}"))
    saved = load(tmp_path / name)
    assert saved["recipient"] == "Bob" and "config_filename" not in saved
    assert not (tmp_path / "config.json").exists()


def test_saved_config_can_be_used_as_named_update(hello, tmp_path):
    ok(run_file(hello, "save_config", "with", "recipient=Bob", "config_filename=bob.json"))
    assert ok(run_file(hello, "with", "bob.json")).stdout == "Hello Bob!\n"


def test_save_config_with_unsupported_extension_fails_plainly(hello, tmp_path):
    result = run_file(hello, "save_config", "with", "config_filename=mine.txt")
    assert result.returncode == 1
    assert ".txt" in result.stderr and "ConfigError" in result.stderr
    assert not (tmp_path / "mine.txt").exists()


# --- print_named_configs ----------------------------------------------------------


def test_named_configs_layout():
    class Scope:
        def __init__(self, doc):
            self.doc = doc

    text = format_named_configs(
        [
            ("rude", Scope("A rude named config")),
            ("polite", Scope(None)),
            ("file", "x.json"),
            ("multi", Scope("First.\n\nMore.")),
        ],
        use_color=False,
    )
    assert text.splitlines() == [
        "Named Configurations (doc):",
        "  rude   # A rude named config",
        "  polite",
        "  file",
        "  multi",
        '    """First.',
        "    ",
        '    More."""',
    ]
    assert format_named_configs([], use_color=False) == (
        "Named Configurations (doc):\n  No named configs"
    )


def test_print_named_configs_command(hello):
    result = ok(run_file(hello, "print_named_configs"))
    assert result.stdout == (
        "Named Configurations (doc):\n  rude   # A rude named config\n  dataset.small\n"
    )
    assert "INFO - hello_config - Running command 'print_named_configs'" in result.stderr


def test_print_named_configs_without_named_configs(tmp_path):
    path = write_experiment(
        tmp_path,
        """
        from sacred import Experiment
        ex = Experiment("01_hello_world")

        @ex.automain
        def main():
            print("Hello world!")
        """,
    )
    assert ok(run_file(path, "print_named_configs")).stdout == (
        "Named Configurations (doc):\n  No named configs\n"
    )


def test_print_named_configs_factory_names_the_command():
    command = print_named_configs(None)
    assert command.__name__ == "print_named_configs"
    assert command.__doc__.startswith("Print the available named configs")


# --- help and registration --------------------------------------------------------


def test_help_for_command_shows_signature_then_indented_docstring():
    def scream(loud=3, *args, **kwargs):
        """
        scream, and shout, and let it all out ...

        second paragraph
        """

    assert help_for_command(scream) == (
        "scream(loud=3, *args, **kwargs)\n"
        "    scream, and shout, and let it all out ...\n"
        "    \n"
        "    second paragraph\n"
    )

    def bare(name):
        pass

    assert help_for_command(bare) == "bare(name)\n"


def test_help_for_builtin_commands_shows_no_type_hints():
    from sacred.commands import print_config, save_config

    assert help_for_command(print_config).splitlines()[0] == "print_config(_run)"
    assert help_for_command(save_config).splitlines()[0] == (
        "save_config(_config, _log, config_filename='config.json')"
    )
    assert "Any" in str(inspect.signature(print_config))  # the function keeps its hints


def test_builtin_commands_are_registered_unobserved_in_order(hello, tmp_path):
    names = [name for name, _ in builtin_commands(object())]
    assert names == ["print_config", "print_dependencies", "save_config", "print_named_configs"]
    for name, function in builtin_commands(object()):
        assert function.__name__ == name
    for command in names:
        ok(run_file(hello, command, "-F", "runs"))
    runs = tmp_path / "runs"
    assert not runs.exists() or not [p for p in runs.iterdir() if p.name != "_sources"]


# --- names Sacred 0.8.7 exposes here ---------------------------------------------------


def test_087_colour_names_and_records():
    from sacred.commands import (
        COLOR_ADDED,
        COLOR_DOC,
        COLOR_MODIFIED,
        COLOR_TYPECHANGED,
        ConfigEntry,
        PathEntry,
    )

    assert (COLOR_ADDED, COLOR_MODIFIED, COLOR_TYPECHANGED, COLOR_DOC, ENDC) == (
        "\x1b[32m",
        "\x1b[34m",
        "\x1b[31m",
        "\x1b[2m",
        "\x1b[0m",
    )
    assert ConfigEntry._fields == ("key", "value", "added", "modified", "typechanged", "doc")
    assert PathEntry._fields == ("key", "added", "modified", "typechanged", "doc")
    entry = ConfigEntry("k", 1, True, False, None, "doc")
    assert entry.key == "k" and entry.added and entry == ("k", 1, True, False, None, "doc")


def test_help_for_command_of_a_plain_function_as_087():
    def f(a, b=1):
        """Do f.

        More."""

    assert help_for_command(f) == "f(a, b=1)\n    Do f.\n    \n    More.\n"

"""Helpers for end-to-end command-line tests: write an experiment file, run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

RUN_TIMEOUT_SECONDS = 120


def write_experiment(directory: Path, source: str, name: str = "exp.py") -> Path:
    """Write ``source`` (dedented) as an experiment file and return its path."""
    path = directory / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def run_file(
    path: Path, *args: str, input: str | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run an experiment file as a script in its own directory, capturing output."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full_env["PYTHONDONTWRITEBYTECODE"] = "1"
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(path), *args],
        cwd=str(path.parent),
        capture_output=True,
        text=True,
        input=input if input is not None else "",
        timeout=RUN_TIMEOUT_SECONDS,
        env=full_env,
    )


def only_run_dir(base: Path) -> Path:
    """The single run directory a FileStorageObserver wrote under ``base``."""
    runs = [p for p in base.iterdir() if p.is_dir() and p.name != "_sources"]
    assert len(runs) == 1, runs
    return runs[0]


def read_json(path: Path) -> dict:
    """Load a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


FLAGS_EXPERIMENT = '''
"""Flag demo experiment.

Used by the command-line tests.
"""
import json
import os

from sacred import Experiment, cli_option
from sacred.observers import RunObserver


@cli_option("-o", "--own-flag", is_flag=True)
def own_flag(args, run):
    """Put a marker into the info dict."""
    run.info["own_flag"] = args


@cli_option("-w", "--own-value")
def own_value(args, run):
    """Save the given message to the info dict."""
    run.info["own_value"] = args


class MetaRecorder(RunObserver):
    """Writes what it is told at start to $META_FILE."""

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        with open(os.environ["META_FILE"], "w") as f:
            json.dump({"meta_info": meta_info, "command": command, "config": config}, f)
        return _id


ex = Experiment("flags_demo", additional_cli_options=[own_flag, own_value])
if os.environ.get("META_FILE"):
    ex.observers.append(MetaRecorder())


@ex.config
def cfg():
    """The flag demo's config."""
    a = 1  # the a value
    d = {"foo": 1, "bar": 2}
    fail = False


@ex.named_config
def variant1():
    """Sets a to 100."""
    a = 100


@ex.command
def scream():
    """
    scream, and shout, and let it all out ...
    """
    print("AAAaaaaaaaahhhhhh...")


@ex.command
def greet(name="John"):
    """Greet someone."""
    print("Hello %s!" % name)


@ex.option_hook
def hook(options):
    if os.environ.get("HOOK_CHANGES"):
        options["--comment"] = "from hook"
        options["COMMAND"] = "scream"
        options["UPDATE"] = ["a=999"]


def helper():
    raise ValueError("boom")


@ex.automain
def main(a, d, fail, _log):
    _log.info("info from main")
    print("a=%r foo=%r" % (a, d["foo"]))
    if fail:
        helper()
    return a
'''

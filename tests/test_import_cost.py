"""`import sacred` stays cheap: no optional backend is imported."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sacred

OPTIONAL = ["pymongo", "sqlalchemy", "tinydb", "numpy", "pandas", "mako", "boto3", "git",
            "cpuinfo", "hashfs", "rich", "pluggy", "jsonpickle", "yaml", "orjson"]


@pytest.mark.parametrize(
    "statement",
    [
        "import sacred",
        "from sacred import Experiment, Ingredient, SETTINGS, cli_option, host_info_gatherer",
        "from sacred.observers import RunObserver",
    ],
)
def test_import_sacred_imports_no_optional_backend(statement):
    code = f"{statement}\nimport sys\nprint(sorted(m for m in {OPTIONAL!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_import_paths_exist():
    code = """
from sacred import Experiment, Ingredient, SETTINGS, cli_option, host_info_gatherer
from sacred.observers import (RunObserver, FileStorageObserver, MongoObserver,
    QueuedMongoObserver, QueueObserver, TinyDbObserver, TinyDbReader, SqlObserver,
    S3Observer, GoogleCloudStorageObserver, SlackObserver, TelegramObserver)
from sacred.observer import RunObserver
from sacred.utils import (SacredInterrupt, TimeoutInterrupt, apply_backspaces_and_linefeeds,
    ConfigAddedError, MissingConfigError, CircularDependencyError)
from sacred.run import Run
from sacred.ingredient import Ingredient
from sacred.experiment import Experiment
from sacred.config.config_scope import ConfigScope
from sacred.config.config_dict import ConfigDict
from sacred.commandline_options import CLIOption, cli_option
from sacred.host_info import (get_host_info, host_info_getter, host_info_gatherer,
    host_info_gatherers, HostInfoGetter)
from sacred.settings import SETTINGS
from sacred.stflow import LogFileWriter
import sacred.observers.tinydb_hashfs
assert issubclass(__import__('sacred.utils').utils.ConfigAddedError, KeyError)
assert issubclass(__import__('sacred.utils').utils.MissingConfigError, TypeError)
print('ok')
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_import_sacred_loads_nothing_beyond_its_own_three_modules():
    """Whole-process start-up cost: ``import sacred`` adds no standard-library module either.

    The interpreter runs without ``site`` (``-S``, the tree on ``PYTHONPATH``): an
    editable install's import hook would otherwise load importlib, warnings, re ...
    before the measurement and hide them being imported by sacred.
    """
    code = (
        "import sys; before = set(sys.modules); import sacred; "
        "print(sorted(set(sys.modules) - before))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(sacred.__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.strip() == "['sacred', 'sacred.sacred_error', 'sacred.settings']"


def test_lazy_public_names_resolve_without_importlib():
    """The lazily imported public names are the real objects, loaded on first access."""
    code = (
        "import sys, sacred; from sacred import Experiment, Ingredient, cli_option, "
        "host_info_gatherer; from sacred.experiment import Experiment as E; "
        "print(Experiment is E, sacred.observers is sys.modules['sacred.observers'], "
        "sorted(sacred.__dir__()) == sorted(sacred.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True"]


HELLO = '''\
from sacred import Experiment

ex = Experiment("hello")


@ex.config
def cfg():
    """The configuration."""
    a = 0  # the answer


@ex.automain
def main(a, _log, _run):
    print("Hello world! a=%s" % a)
'''

# what a trivial run used to import and no longer needs (issue 18: hello world after
# `import sacred` <= 40 ms): signatures and docstrings come from code objects, config
# scopes from the _ast node classes, config files' modules only when files are read
NOT_IMPORTED_BY_A_RUN = ["inspect", "ast", "dis", "dataclasses", "typing", "json", "pickle",
                         "pathlib", "urllib.parse", "importlib.metadata", "hashlib", "difflib",
                         "platform", "subprocess"]


@pytest.mark.parametrize(
    "args, allowed",
    [
        ([], []),
        (["-l", "WARNING"], []),
        (["with", "a=1"], ["ast"]),  # ast.literal_eval for values
        # FileStorage writes JSON; the host info's platform string asks `uname -p` (subprocess)
        (["-F", "runs"], ["json", "platform", "subprocess"]),
    ],
)
def test_a_trivial_run_imports_no_inspect_ast_typing_or_json(tmp_path, args, allowed):
    """A hello world (config scope with docs, captured main, no observer) stays lean."""
    script = tmp_path / "hello.py"
    script.write_text(HELLO)
    code = (
        "import atexit, sys\n"
        f"banned = {[m for m in NOT_IMPORTED_BY_A_RUN if m not in allowed]!r}\n"
        "atexit.register(lambda: print('LOADED', sorted(m for m in banned if m in sys.modules)))\n"
        f"sys.argv = [{str(script)!r}] + {args!r}\n"
        "__file__ = sys.argv[0]\n"
        f"exec(compile(open(__file__).read(), __file__, 'exec'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(sacred.__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                         env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Hello world! a=" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "LOADED []", out.stderr

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

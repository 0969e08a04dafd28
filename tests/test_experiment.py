"""sacred.experiment.gather_command_line_options (0.8.7's list of built-in options)."""

from __future__ import annotations

from sacred import SETTINGS
from sacred.commandline_options import CLIOption
from sacred.experiment import gather_command_line_options

FLAGS_087 = [
    "beat_interval", "capture", "comment", "debug", "enforce_clean", "file_storage", "force",
    "help", "id", "loglevel", "mongo_db", "name", "pdb", "print_config", "priority", "queue",
    "s3", "sql", "tiny_db", "unobserved",
]


def test_all_builtin_options_sorted_like_087():
    options = gather_command_line_options()
    assert all(isinstance(o, CLIOption) for o in options)
    assert [o.long_flag.lstrip("-").replace("-", "_") for o in options] == FLAGS_087


def test_disabled_options_are_filtered_when_asked(monkeypatch):
    import sacred.utils

    monkeypatch.setattr(sacred.utils, "module_exists", lambda name: name != "boto3")
    assert "--s3" not in [o.key for o in gather_command_line_options(filter_disabled=True)]
    assert "--s3" in [o.key for o in gather_command_line_options(filter_disabled=False)]
    SETTINGS.COMMAND_LINE.SHOW_DISABLED_OPTIONS = False
    assert "--s3" not in [o.key for o in gather_command_line_options()]

"""The configuration system: scopes, dicts, files, summaries and injection."""

from sacred.config.config_dict import ConfigDict
from sacred.config.config_files import load_config_file, save_config_file
from sacred.config.config_scope import ConfigScope
from sacred.config.config_summary import ConfigSummary
from sacred.config.utils import chain_evaluate_config_scopes

__all__ = [
    "ConfigDict",
    "ConfigScope",
    "ConfigSummary",
    "chain_evaluate_config_scopes",
    "load_config_file",
    "save_config_file",
]

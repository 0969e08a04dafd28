"""The configuration system: scopes, dicts, files, summaries and injection."""

from sacred.config.config_dict import ConfigDict
from sacred.config.config_files import load_config_file, save_config_file
from sacred.config.config_scope import ConfigScope
from sacred.config.config_summary import ConfigSummary

__all__ = ["ConfigDict", "ConfigScope", "ConfigSummary", "load_config_file", "save_config_file"]

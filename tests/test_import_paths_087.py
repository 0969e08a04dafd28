"""Every module path and public name Sacred 0.8.7 code imports (issue 12, part 1).

Each name also has at least one behaviour test in the test module of its
package (tests/<package path>/test_<module>.py); this file checks that all of
them import, and that ``sacred.optional`` costs nothing until it is used.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

NAMES_087 = {
    "sacred": ["optional"],
    "sacred.arg_parser": ["get_config_updates", "format_usage"],
    "sacred.optional": [
        "optional_import",
        "modules_exist",
        "get_tensorflow",
        "has_numpy",
        "has_tinydb",
        "has_sqlalchemy",
        "has_tensorflow",
        "libc",
        "np",
    ],
    "sacred.metrics_logger": ["MetricsLogger", "ScalarMetricLogEntry", "linearize_metrics"],
    "sacred.stdout_capturing": ["get_stdcapturer"],
    "sacred.commands": [
        "help_for_command",
        "ConfigEntry",
        "PathEntry",
        "COLOR_ADDED",
        "COLOR_MODIFIED",
        "COLOR_TYPECHANGED",
        "COLOR_DOC",
        "ENDC",
    ],
    "sacred.config": ["chain_evaluate_config_scopes"],
    "sacred.config.utils": ["normalize_or_die"],
    "sacred.config.signature": ["Signature"],
    "sacred.config.captured_function": ["create_captured_function"],
    "sacred.config.config_files": ["HANDLER_BY_EXT", "load_config_file"],
    "sacred.config.custom_containers": [
        "DogmaticDict",
        "DogmaticList",
        "ReadOnlyDict",
        "ReadOnlyList",
        "fallback_dict",
        "make_read_only",
    ],
    "sacred.dependencies": [
        "Source",
        "PackageDependency",
        "get_digest",
        "gather_sources_and_dependencies",
        "get_py_file_if_possible",
        "is_local_source",
        "PEP440_VERSION_PATTERN",
    ],
    "sacred.experiment": ["gather_command_line_options"],
    "sacred.host_info": ["get_host_info", "host_info_getter", "host_info_gatherers"],
    "sacred.observers.mongo": [
        "parse_mongo_db_arg",
        "force_bson_encodeable",
        "DEFAULT_MONGO_PRIORITY",
        "QueuedMongoObserver",
    ],
    "sacred.observers.sql_bases": ["Host", "Experiment", "Run", "Source", "Resource"],
    "sacred.observers.tinydb_hashfs": ["tiny_db_option"],
    "sacred.observers.tinydb_hashfs.bases": [
        "BufferedReaderWrapper",
        "DateTimeSerializer",
        "FileSerializer",
        "NdArraySerializer",
        "DataFrameSerializer",
        "SeriesSerializer",
    ],
    "sacred.stflow.internal": ["ContextMethodDecorator"],
    "sacred.stflow.method_interception": ["ContextMethodDecorator", "LogFileWriter"],
    "sacred.serializer": ["json", "flatten", "restore"],
    "sacred.settings": ["SettingError"],
    "sacred.utils": [
        "convert_to_nested_dict",
        "convert_camel_case_to_snake_case",
        "format_filtered_stacktrace",
        "format_sacred_error",
        "get_by_dotted_path",
        "set_by_dotted_path",
        "get_inheritors",
        "get_package_version",
        "parse_version",
        "is_prefix",
        "iter_prefixes",
        "iterate_flattened",
        "iterate_flattened_separately",
        "join_paths",
        "module_exists",
        "module_is_in_cache",
        "recursive_update",
        "rel_path",
        "PATHCHANGE",
        "NamedConfigNotFoundError",
    ],
}


@pytest.mark.parametrize(
    "module, name", [(module, name) for module, names in NAMES_087.items() for name in names]
)
def test_name_imports(module, name):
    namespace: dict = {}
    exec(f"from {module} import {name}", namespace)  # noqa: S102 - the import statement itself
    assert namespace[name] is getattr(importlib.import_module(module), name)


def test_sacred_optional_is_the_module_and_loaded_lazily():
    code = (
        "import sys, sacred\n"
        "print('sacred.optional' in sys.modules, 'numpy' in sys.modules)\n"
        "opt = sacred.optional\n"
        "print(opt is sys.modules['sacred.optional'], 'numpy' in sys.modules)\n"
        "print(opt.np is sys.modules['numpy'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:3] == ["False False", "True False", "True"]

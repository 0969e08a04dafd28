"""config_files.HANDLER_BY_EXT and load_config_file under their 0.8.7 names."""

from __future__ import annotations

import io
import json
import pickle

import pytest

from sacred.config.config_files import HANDLER_BY_EXT, get_handler, load_config_file
from sacred.utils import ConfigError


def test_handlers_by_extension():
    assert {".json", ".pickle", ".yaml", ".yml"} <= set(HANDLER_BY_EXT)
    assert HANDLER_BY_EXT[".json"].mode == "" and HANDLER_BY_EXT[".pickle"].mode == "b"
    out = io.StringIO()
    HANDLER_BY_EXT[".json"].dump({"a": (1, 2)}, out)
    assert json.loads(out.getvalue()) == {"a": [1, 2]}  # plain JSON, no py/tuple tag
    assert HANDLER_BY_EXT[".json"].load(io.StringIO('{"a": 1}')) == {"a": 1}
    binary = io.BytesIO()
    HANDLER_BY_EXT[".pickle"].dump({"b": 2}, binary)
    assert pickle.loads(binary.getvalue()) == {"b": 2}
    assert get_handler("cfg.YML") is HANDLER_BY_EXT[".yml"]
    with pytest.raises(ConfigError, match=".txt"):
        get_handler("cfg.txt")


def test_load_config_file(tmp_path):
    path = tmp_path / "cfg.yaml"
    with open(path, "w") as f:
        HANDLER_BY_EXT[".yaml"].dump({"x": [1, 2]}, f)
    assert load_config_file(path) == {"x": [1, 2]}

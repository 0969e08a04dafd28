"""add_config with dicts, keywords and files (spec: Dictionaries, Config Files)."""

import json
import pickle

import pytest

from sacred import Experiment
from sacred.config.config_dict import ConfigDict
from sacred.config.config_files import load_config_file, save_config_file
from sacred.utils import ConfigError


def test_config_dict_merges_preset_and_fixed_wins():
    cd = ConfigDict({"foo": 42, "bar": {"x": 1, "y": 2}})
    assert cd(fixed={"bar": {"x": 5}}, preset={"z": 0}) == {
        "z": 0,
        "foo": 42,
        "bar": {"x": 5, "y": 2},
    }


def test_config_dict_refuses_non_json_values():
    with pytest.raises(ConfigError, match='"obj"'):
        ConfigDict({"obj": object()})


@pytest.mark.parametrize("ext", [".json", ".yaml", ".yml", ".pickle"])
def test_config_files_round_trip(tmp_path, ext):
    data = {"a": 1, "b": [1, 2], "c": {"d": "e"}}
    path = tmp_path / f"conf{ext}"
    save_config_file(data, path)
    assert load_config_file(path) == data


def test_saving_names_the_file_when_it_cannot_be_written(tmp_path):
    with pytest.raises(ConfigError, match='Cannot save config file ".*conf.txt": unknown extension'):
        save_config_file({"a": 1}, tmp_path / "conf.txt")
    target = tmp_path / "missing_dir" / "conf.json"
    with pytest.raises(ConfigError, match=f'Cannot save config file "{target}": '):
        save_config_file({"a": 1}, target)
    (tmp_path / "conf.json").mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        save_config_file({"a": 1}, tmp_path / "conf.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conf.json"]  # no temp file left


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config_file(tmp_path / "nope.json")


def test_unknown_extension_is_named(tmp_path):
    path = tmp_path / "conf.ini"
    path.write_text("a=1")
    with pytest.raises(ConfigError, match='unknown extension ".ini"'):
        load_config_file(path)


def test_bad_json_names_file_and_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "a": 1,\n  "b": \n}')
    with pytest.raises(ConfigError, match=r"bad.json.*line 4"):
        load_config_file(path)


def test_bad_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("a: 1\nb: [1, 2\n")
    with pytest.raises(ConfigError, match=r"bad.yaml.*line"):
        load_config_file(path)


def test_yaml_loading_never_executes_code(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("a: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError):
        load_config_file(path)


def test_json_loading_does_not_reconstruct_objects(tmp_path):
    path = tmp_path / "obj.json"
    path.write_text(json.dumps({"x": {"py/object": "os.system"}}))
    assert load_config_file(path) == {"x": {"py/object": "os.system"}}


def _experiment():
    ex = Experiment("add_config_demo")

    @ex.main
    def main(_config):
        return dict(_config)

    return ex


def test_add_config_dict_keywords_and_files_combine_in_order(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps({"a": 3, "from_json": True}))
    (tmp_path / "c.yaml").write_text("a: 4\nfrom_yaml: true\n")
    with open(tmp_path / "c.pickle", "wb") as f:
        pickle.dump({"from_pickle": 1}, f)
    ex = _experiment()
    ex.add_config({"a": 1, "b": 2})
    ex.add_config(a=2, c=3)
    ex.add_config(str(tmp_path / "c.json"))
    ex.add_config(str(tmp_path / "c.yaml"))
    ex.add_config(tmp_path / "c.pickle")

    @ex.config
    def scope(a):
        d = a * 10

    config = ex.run().config
    del config["seed"]
    assert config == {
        "a": 4,
        "b": 2,
        "c": 3,
        "from_json": True,
        "from_yaml": True,
        "from_pickle": 1,
        "d": 40,
    }


def test_add_config_argument_errors():
    ex = _experiment()
    with pytest.raises(ValueError):
        ex.add_config({"a": 1}, b=2)
    with pytest.raises(TypeError):
        ex.add_config(42)
    with pytest.raises(ConfigError, match="does not exist"):
        ex.add_config("missing.json")

"""Config keys: ``.``, ``=``, ``$`` and jsonpickle keywords are refused wherever they come from.

Spec: "The keys of all dictionaries cannot contain ``.``, ``=``, or ``$``.
Furthermore they cannot be jsonpickle keywords like ``py/object``. If absolutely
necessary, these restrictions can be configured in sacred.settings.SETTINGS.CONFIG."
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred import SETTINGS, Experiment
from sacred.commandline.values import split_updates
from sacred.config.normalize import assert_is_valid_key, normalize_or_die
from sacred.utils import InvalidConfigError
from tests.commandline.cli_helpers import run_file, write_experiment

BAD_KEYS = ["a.b", "mid$dle", "$set", "end$", "a=b", "py/object", "py/reduce"]


def experiment() -> Experiment:
    ex = Experiment("keys", interactive=True)
    ex.add_config({"d": {}})

    @ex.main
    def main(d):
        return dict(d)

    return ex


@pytest.mark.parametrize("key", BAD_KEYS)
def test_assert_is_valid_key_refuses_naming_the_key_and_the_setting(key):
    with pytest.raises(InvalidConfigError, match="SETTINGS.CONFIG.ENFORCE_") as info:
        assert_is_valid_key(key, f"d.{key}")
    assert f'"{key}"' in str(info.value)


@given(st.text(min_size=1).filter(lambda k: not ({".", "$", "="} & set(k)) and "/" not in k))
def test_other_string_keys_pass(key):
    assert_is_valid_key(key)
    assert normalize_or_die({"d": {key: 1}}) == {"d": {key: 1}}


@given(st.sampled_from(BAD_KEYS), st.lists(st.sampled_from(["x", "y"]), max_size=3))
def test_bad_keys_are_found_at_any_depth(key, parents):
    value: dict = {key: 1}
    for parent in parents:
        value = {parent: value}
    with pytest.raises(InvalidConfigError):
        normalize_or_die(value)


@pytest.mark.parametrize("key", BAD_KEYS)
def test_with_dict_values_are_refused_not_nested(key):
    updates, _ = split_updates([f"d={{{key!r}: 1}}"])
    with pytest.raises(InvalidConfigError, match="Invalid config key"):
        experiment().run(config_updates=updates)


@pytest.mark.parametrize("key", ["mid$dle", "$set", "py/object"])
def test_with_keys_are_refused(key):
    updates, _ = split_updates([f"d.{key}=1"])
    with pytest.raises(InvalidConfigError, match="Invalid config key"):
        experiment().run(config_updates=updates)


def test_dotted_update_paths_still_nest():
    assert experiment().run(config_updates={"d.a": 1}).result == {"a": 1}


@pytest.mark.parametrize("key", BAD_KEYS)
def test_config_dicts_are_refused(key):
    ex = Experiment("dict_keys", interactive=True)
    with pytest.raises(InvalidConfigError, match="Invalid config key"):
        ex.add_config({"d": {key: 1}})


@pytest.mark.parametrize("key", BAD_KEYS)
def test_config_files_are_refused(key, tmp_path):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"d": {key: 1}}))
    ex = Experiment("file_keys", interactive=True)
    with pytest.raises(InvalidConfigError, match="Invalid config key"):
        ex.add_config(str(path))
    ex = experiment()
    with pytest.raises(InvalidConfigError, match="Invalid config key"):
        ex.run(named_configs=[str(path)])


def test_config_scopes_are_refused():
    ex = Experiment("scope_keys", interactive=True)

    @ex.config
    def cfg():
        d = {"mid$dle": 1}

    ex.main(lambda: None)
    with pytest.raises(InvalidConfigError, match='"mid\\$dle"'):
        ex.run()


def test_config_hook_results_are_refused():
    ex = experiment()

    @ex.config_hook
    def hook(config, command_name, logger):
        return {"d": {"a.b": 1}}

    with pytest.raises(InvalidConfigError, match='"a.b"'):
        ex.run()


def test_the_settings_relax_the_checks():
    SETTINGS.CONFIG.ENFORCE_KEYS_MONGO_COMPATIBLE = False
    SETTINGS.CONFIG.ENFORCE_KEYS_JSONPICKLE_COMPATIBLE = False
    SETTINGS.CONFIG.ENFORCE_KEYS_NO_EQUALS = False
    updates, _ = split_updates(['d={"a.b": 1, "mid$dle": 2, "x=y": 3, "py/object": 4}'])
    assert experiment().run(config_updates=updates).result == {
        "a.b": 1,
        "mid$dle": 2,
        "x=y": 3,
        "py/object": 4,
    }


def test_command_line_prints_one_clear_line(tmp_path):
    path = write_experiment(
        tmp_path,
        """
        from sacred import Experiment
        ex = Experiment("cli_keys")
        @ex.config
        def cfg():
            d = {}
        @ex.automain
        def main(d):
            pass
        """,
    )
    for update in ['d={"a.b": 1}', "mid$dle=1"]:
        result = run_file(path, "with", update)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert "Invalid config key" in result.stderr

"""Updates, named configs, ingredients, hooks, summaries (spec: Configuration)."""

import json
import logging

import numpy as np
import pytest

from sacred import Experiment, Ingredient
from sacred.utils import (
    CircularDependencyError,
    ConfigAddedError,
    ConfigError,
    InvalidConfigError,
    NamedConfigNotFoundError,
)


def without_seed(config):
    return {k: v for k, v in config.items() if k != "seed"}


@pytest.fixture
def config_demo():
    ex = Experiment("config_demo")

    @ex.config
    def my_config():
        """This is my demo configuration"""
        a = 10  # some integer
        # a dictionary
        foo = {"a_squared": a**2, "bar": "my_string%d" % a}
        if a > 8:
            # cool: a dynamic entry
            e = a / 2

    @ex.main
    def run():
        pass

    return ex


def test_spec_update_recomputes_derived_entries(config_demo):
    r = config_demo.run(config_updates={"a": 23})
    assert without_seed(r.config) == {
        "foo": {"bar": "my_string23", "a_squared": 529},
        "a": 23,
        "e": 11.5,
    }


def test_spec_nested_update_keeps_siblings(config_demo):
    r = config_demo.run(config_updates={"foo": {"bar": "baobab"}})
    assert without_seed(r.config) == {"foo": {"bar": "baobab", "a_squared": 100}, "a": 10, "e": 5}


def test_dotted_update_keeps_siblings(config_demo):
    r = config_demo.run(config_updates={"foo.bar": "baobab"})
    assert r.config["foo"] == {"bar": "baobab", "a_squared": 100}


def test_summary_records_modified_and_docs(config_demo):
    r = config_demo.run(config_updates={"a": 6})
    summary = r.config_modifications
    assert "a" in summary.modified
    assert summary.docs["a"] == "some integer"
    assert summary.docs["seed"] == "the random seed for this experiment"
    assert summary.docs["__doc__"] == "This is my demo configuration"
    assert "e" not in r.config


def test_typechange_is_recorded_and_warned(config_demo, caplog):
    with caplog.at_level(logging.WARNING):
        r = config_demo.run(config_updates={"foo.a_squared": "many"})
    assert r.config_modifications.typechanged == {"foo.a_squared": (int, str)}
    assert 'Changed type of config entry "foo.a_squared" from int to str' in caplog.text


def test_int_float_typechange_is_recorded_but_not_warned(config_demo, caplog):
    # 0.8.7 shows it red in print_config but does not warn: `with lr=1` is routine
    with caplog.at_level(logging.WARNING):
        r = config_demo.run(config_updates={"a": 2.5, "foo.a_squared": True})
    assert r.config_modifications.typechanged == {"a": (int, float), "foo.a_squared": (float, bool)}
    assert 'entry "foo.a_squared" from float to bool' in caplog.text
    assert 'entry "a"' not in caplog.text


def test_numpy_to_python_typechange_is_ignored():
    ex = Experiment("np_demo")

    @ex.config
    def cfg():
        x = np.float64(1.0)

    @ex.main
    def main(x):
        return x

    r = ex.run(config_updates={"x": np.float32(2.0)})
    assert r.config_modifications.typechanged == {}


def test_added_entry_used_by_captured_function_warns(caplog):
    ex = Experiment("added_demo")

    @ex.config
    def cfg():
        a = 1

    @ex.main
    def main(a, b=5):
        return b

    with caplog.at_level(logging.WARNING):
        r = ex.run(config_updates={"b": 7})
    assert r.result == 7
    assert "b" in r.config_modifications.added
    assert 'Added new config entry: "b"' in caplog.text


def test_added_entry_nothing_uses_raises_with_suggestions():
    ex = Experiment("added_demo")

    @ex.config
    def cfg():
        learning_rate = 0.1

    @ex.main
    def main(learning_rate):
        return learning_rate

    with pytest.raises(ConfigAddedError) as info:
        ex.run(config_updates={"learning_rte": 0.2})
    assert isinstance(info.value, KeyError)
    assert "learning_rte" in str(info.value)
    assert "learning_rate" in str(info.value)


@pytest.fixture
def named_configs_demo():
    ex = Experiment("named_configs_demo")

    @ex.config
    def cfg():
        a = 10
        b = 3 * a
        c = "foo"

    @ex.named_config
    def variant1():
        """A variant"""
        a = 100
        c = "bar"

    @ex.main
    def main():
        pass

    return ex


def test_spec_named_config(named_configs_demo):
    assert without_seed(named_configs_demo.run().config) == {"a": 10, "b": 30, "c": "foo"}
    r = named_configs_demo.run(named_configs=["variant1"])
    assert without_seed(r.config) == {"a": 100, "b": 300, "c": "bar"}


def test_spec_regular_updates_win_over_named_configs(named_configs_demo):
    r = named_configs_demo.run(named_configs=["variant1"], config_updates={"a": 23})
    assert without_seed(r.config) == {"a": 23, "b": 69, "c": "bar"}


def test_named_configs_apply_in_order(named_configs_demo):
    named_configs_demo.add_named_config("variant2", {"c": "baz"})
    named_configs_demo.add_named_config("variant3", c="qux", a=1)
    r = named_configs_demo.run(named_configs=["variant1", "variant2"])
    assert r.config["c"] == "baz" and r.config["a"] == 100
    r = named_configs_demo.run(named_configs=["variant2", "variant1", "variant3"])
    assert r.config["c"] == "qux" and r.config["a"] == 1 and r.config["b"] == 3


def test_named_config_scope_sees_fixed_updates(named_configs_demo):
    @named_configs_demo.named_config
    def derived(a):
        c = "c%d" % a

    r = named_configs_demo.run(named_configs=["derived"], config_updates={"a": 5})
    assert r.config["c"] == "c5"


def test_config_file_as_named_config(named_configs_demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_variant.json").write_text(json.dumps({"a": 7}))
    r = named_configs_demo.run(named_configs=["my_variant.json"])
    assert r.config["a"] == 7 and r.config["b"] == 21


def test_file_beats_same_named_named_config(named_configs_demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    named_configs_demo.add_named_config("variant2.json", {"a": 1})
    (tmp_path / "variant2.json").write_text(json.dumps({"a": 2}))
    assert named_configs_demo.run(named_configs=["variant2.json"]).config["a"] == 2


def test_unknown_named_config_lists_available(named_configs_demo):
    with pytest.raises(NamedConfigNotFoundError) as info:
        named_configs_demo.run(named_configs=["varaint1"])
    assert "varaint1" in str(info.value) and "variant1" in str(info.value)


def test_missing_named_config_file_is_named(named_configs_demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="nope.json"):
        named_configs_demo.run(named_configs=["nope.json"])


@pytest.mark.parametrize(
    "updates, fragment",
    [({"a=b": 1}, '"a=b"'), ({"$a": 1}, '"$a"'), ({"py/object": 1}, '"py/object"')],
)
def test_bad_keys_are_refused(named_configs_demo, updates, fragment):
    with pytest.raises(InvalidConfigError, match=fragment.replace("$", r"\$")):
        named_configs_demo.run(config_updates=updates)


def test_key_rules_follow_settings():
    from sacred import SETTINGS

    ex = Experiment("keys_demo")
    ex.add_config({"a": 1})

    @ex.main
    def main(_config):
        return sorted(_config)

    SETTINGS.CONFIG.ENFORCE_KEYS_NO_EQUALS = False
    ex.add_config({"x=y": 2})
    assert "x=y" in ex.run().result
    SETTINGS.CONFIG.ENFORCE_VALID_PYTHON_IDENTIFIER_KEYS = True
    with pytest.raises(InvalidConfigError, match="identifier"):
        ex.run()


def test_exception_in_scope_propagates(named_configs_demo):
    @named_configs_demo.config
    def broken():
        x = 1 / 0

    with pytest.raises(ZeroDivisionError):
        named_configs_demo.run()


# --- ingredients ----------------------------------------------------------


def make_dataset_experiment():
    data_ingredient = Ingredient("dataset")

    @data_ingredient.config
    def cfg():
        filename = "my_dataset.npy"
        normalize = True

    @data_ingredient.capture
    def load_data(filename, normalize):
        return filename, normalize

    @data_ingredient.command
    def stats(filename):
        return "stats of " + filename

    ex = Experiment("my_experiment", ingredients=[data_ingredient])

    @ex.main
    def run():
        return load_data()

    return ex, data_ingredient


def test_ingredient_config_lives_under_its_path():
    ex, _ = make_dataset_experiment()
    r = ex.run()
    assert r.config["dataset"] == {"filename": "my_dataset.npy", "normalize": True}
    assert r.result == ("my_dataset.npy", True)
    r = ex.run(config_updates={"dataset.filename": "other.npy", "dataset.normalize": False})
    assert r.result == ("other.npy", False)


def test_ingredient_command_by_dotted_name():
    ex, _ = make_dataset_experiment()
    assert "dataset.stats" in dict(ex.gather_commands())
    assert ex.run("dataset.stats").result == "stats of my_dataset.npy"


def test_experiment_overrides_ingredient_default():
    ex, data_ingredient = make_dataset_experiment()

    @data_ingredient.config
    def update_cfg():
        filename = "special_dataset.npy"  # < updated

    assert ex.run().result == ("special_dataset.npy", True)


def test_nested_ingredients_at_top_level_unless_explicitly_nested():
    paths = Ingredient("paths")
    paths.add_config(base="/data")
    explicit = Ingredient("dataset.path")
    explicit.add_config(root="/root")
    dataset = Ingredient("dataset", ingredients=[paths, explicit])
    dataset.add_config(filename="f")

    @dataset.capture
    def get_path(path):
        return path["root"]

    ex = Experiment("nesting", ingredients=[dataset])

    @ex.config
    def cfg(dataset):
        abs_filename = "/abs/" + dataset["filename"]

    @ex.capture
    def uses_dataset(dataset):
        return dataset["path"]["root"]

    @ex.main
    def main():
        return get_path(), uses_dataset()

    r = ex.run()
    assert r.config["paths"] == {"base": "/data"}
    assert r.config["dataset"] == {"filename": "f", "path": {"root": "/root"}}
    assert r.config["abs_filename"] == "/abs/f"
    assert r.result == ("/root", "/root")


def test_circular_ingredients_raise():
    a = Ingredient("a")
    b = Ingredient("b", ingredients=[a])
    a.ingredients.append(b)
    ex = Experiment("circle", ingredients=[a])

    @ex.main
    def main():
        pass

    with pytest.raises(CircularDependencyError):
        ex.run()
    with pytest.raises(CircularDependencyError):
        list(ex.traverse_ingredients())


def test_config_hooks_run_in_documented_order():
    calls = []
    ing = Ingredient("ing")
    ing.add_config(x=1)

    @ing.config_hook
    def ing_hook(config, command_name, logger):
        calls.append(("ing", sorted(config)))
        return {"from_hook": True}

    ex = Experiment("hooks", ingredients=[ing])

    @ex.config
    def cfg(ing):
        seen = ing.get("from_hook", False)

    @ex.config_hook
    def hook(config, command_name, logger):
        calls.append(("ex", command_name, isinstance(logger, logging.Logger)))
        config.update({"hook": True})
        return config

    @ex.main
    def main(hook, seen):
        return hook, seen

    r = ex.run()
    assert calls == [("ing", ["ing"]), ("ex", "main", True)]
    assert r.result == (True, True)
    assert r.config["ing"] == {"x": 1, "from_hook": True}


def test_ingredient_config_hook_updates_its_own_config_and_user_updates_win():
    # as in 0.8.7: an ingredient's hook sees the whole config, its dict is applied
    # under the ingredient's path, and the run's updates stay fixed over it
    data = Ingredient("dataset")
    data.add_config(size=10)

    @data.config_hook
    def data_hook(config, command_name, logger):
        return {"hooked": config["dataset"]["size"] * 2, "size": 11}

    ex = Experiment("hooks", ingredients=[data])

    @ex.config
    def cfg(dataset):
        a = dataset["size"]

    @ex.config_hook
    def ex_hook(config, command_name, logger):
        return {"a": 5}

    @ex.main
    def main():
        pass

    config = without_seed(ex.run().config)
    assert config == {"dataset": {"size": 11, "hooked": 20}, "a": 5}
    config = without_seed(ex.run(config_updates={"dataset.size": 3, "a": 2}).config)
    assert config == {"dataset": {"size": 3, "hooked": 6}, "a": 2}


def test_named_configs_apply_in_the_given_order_across_ingredients():
    data = Ingredient("dataset")

    @data.config
    def dcfg():
        size = 10
        double = size * 2

    @data.named_config
    def big():
        size = 1000

    @data.named_config
    def derived(size):
        size = size + 1

    @data.config_hook
    def hook(config, command_name, logger):
        return {"seen_by_hook": config["dataset"]["size"]}

    ex = Experiment("order", ingredients=[data])
    ex.add_config(a=1)

    @ex.named_config
    def small():
        dataset = {"size": 5}

    @ex.main
    def main():
        pass

    def dataset_config(*named, **updates):
        return ex.run(named_configs=list(named), config_updates=updates).config["dataset"]

    # the experiment's named config fixes the ingredient's entry before it is configured
    assert dataset_config("small") == {"size": 5, "double": 10, "seen_by_hook": 5}
    assert dataset_config("small", "dataset.big")["size"] == 1000
    assert dataset_config("dataset.big", "small")["size"] == 5
    assert dataset_config("small", "dataset.derived")["size"] == 6
    assert dataset_config("small", **{"dataset.size": 7})["size"] == 7
    run = ex.run(named_configs=["small"])
    assert "dataset.size" in run.config_modifications.modified
    assert not run.config_modifications.added


def test_config_hook_must_take_three_arguments():
    ex = Experiment("hooks")
    with pytest.raises(ValueError, match="exactly 3 arguments"):

        @ex.config_hook
        def hook(config):
            return {}


def test_resolve_config_without_running(named_configs_demo):
    summary = named_configs_demo.resolve_config(named_configs=["variant1"], config_updates={"a": 2})
    assert summary["b"] == 6 and summary["c"] == "bar" and "a" in summary.modified
    with pytest.raises(ConfigAddedError):
        named_configs_demo.resolve_config(config_updates={"zzz": 1})
    assert "zzz" in named_configs_demo.resolve_config(
        config_updates={"zzz": 1}, check_unused=False
    )


def test_new_key_inside_used_dict_is_added_and_force_skips_the_error():
    ex = Experiment("hello_config")

    @ex.config
    def cfg():
        d = {"foo": 1, "bar": 2}

    @ex.main
    def main(d):
        return dict(d)

    r = ex.run(config_updates={"d.baz": 3, "d.foo": True})
    assert r.config_modifications.added == {"d.baz"}
    assert r.config_modifications.typechanged == {"d.foo": (int, bool)}
    assert r.result == {"foo": True, "bar": 2, "baz": 3}
    with pytest.raises(ConfigAddedError) as info:
        ex.run(config_updates={"dd": 1})
    assert "Did you mean 'd'" in str(info.value) and "_run" not in str(info.value)
    assert ex.run(config_updates={"dd": 1}, options={"--force": True}).status == "COMPLETED"


def test_unused_update_lists_only_config_keys_not_function_arguments():
    """A function argument outside the config (``X=None``) is neither suggested nor listed."""
    ex = Experiment("suggest")

    @ex.config
    def cfg():
        learning_rate = 0.1
        steps = 3

    @ex.main
    def main(steps, learning_rate, X=None):  # noqa: N803 - the name a user would write
        return steps

    with pytest.raises(ConfigAddedError) as info:
        ex.run(config_updates={"learnig_rate": 0.2})
    message = str(info.value)
    assert "Did you mean 'learning_rate'" in message
    assert "Possible config keys are: learning_rate, seed, steps" in message
    assert info.value.suggestions == {"learnig_rate": ["learning_rate"]}

"""Behaviours of the configuration process that the spec's examples rely on (as in 0.8.7)."""

from __future__ import annotations

import logging

import pytest

from sacred import Experiment, Ingredient
from sacred.config.config_scope import ConfigScope

HERE = {"__file__": __file__}
SEEN: dict = {}  # config scopes run with the module globals, not closures


def records(caplog) -> list[tuple[str, str]]:
    return [(r.name, r.getMessage()) for r in caplog.records if r.levelno == logging.WARNING]


def test_config_scope_takes_log_and_gets_the_ingredients_logger(caplog):
    dataset = Ingredient("dataset", _caller_globals=HERE)
    SEEN.clear()

    @dataset.config
    def dataset_cfg(_log):
        _log.warning("configuring the dataset")
        size = 3

    ex = Experiment("log_in_scope", ingredients=[dataset], interactive=True)

    @ex.config
    def cfg(_log):
        SEEN["experiment"] = _log.name
        a = 1

    @ex.named_config
    def bigger(_log):
        SEEN["named"] = _log.name
        a = 2

    @ex.main
    def main(a, _config):
        return a, _config["dataset"]

    with caplog.at_level(logging.WARNING):
        run = ex.run(named_configs=["bigger"])
    assert run.result == (2, {"size": 3})
    assert ("dataset", "configuring the dataset") in records(caplog)
    assert SEEN == {"experiment": "root", "named": "root"}
    assert "_log" not in run.config


def test_config_scope_with_log_evaluated_on_its_own():
    def cfg(_log):
        name = _log.name

    assert dict(ConfigScope(cfg)()) == {"name": "root"}


def test_other_special_values_stay_refused_in_config_scopes():
    ex = Experiment("special", interactive=True)

    @ex.config
    def cfg(_run):
        a = 1

    ex.main(lambda: None)
    with pytest.raises(Exception, match="_run"):
        ex.run()


def test_ingredient_function_receives_sub_ingredient_configs_by_name():
    paths = Ingredient("dataset.paths", _caller_globals=HERE)

    @paths.config
    def paths_cfg():
        root = "/data"

    settings = Ingredient("settings", _caller_globals=HERE)

    @settings.config
    def settings_cfg():
        verbose = True

    data = Ingredient("dataset", ingredients=[paths, settings], _caller_globals=HERE)

    @data.config
    def data_cfg(paths):
        basepath = paths["root"] + "/x"

    @data.capture
    def foo(basepath, paths, settings):
        return basepath, dict(paths), dict(settings)

    @data.capture(prefix="paths")
    def bar(root):
        return root

    ex = Experiment("subs", ingredients=[data], interactive=True)

    @ex.main
    def main():
        return foo(), bar()

    run = ex.run()
    assert run.result == (("/data/x", {"root": "/data"}, {"verbose": True}), "/data")
    # the stored config keeps every ingredient at its own path
    assert run.config["settings"] == {"verbose": True}
    assert "settings" not in run.config["dataset"]


def test_deeper_sub_ingredients_appear_at_their_full_path():
    grand = Ingredient("grand", _caller_globals=HERE)

    @grand.config
    def grand_cfg():
        g = 1

    mid = Ingredient("mid", ingredients=[grand], _caller_globals=HERE)

    @mid.config
    def mid_cfg():
        m = 1

    data = Ingredient("dataset", ingredients=[mid], _caller_globals=HERE)

    @data.config
    def data_cfg():
        x = 1

    @data.capture
    def everything(_config):
        return dict(_config)

    ex = Experiment("deep", ingredients=[data], interactive=True)
    ex.main(lambda: everything())
    assert ex.run().result == {"x": 1, "mid": {"m": 1}, "grand": {"g": 1}}


def test_warnings_name_the_ingredient_logger_and_its_local_key(caplog):
    paths = Ingredient("dataset.paths", _caller_globals=HERE)

    @paths.config
    def paths_cfg():
        base = "x"

    @paths.capture
    def use_paths(base, extra):
        pass

    dataset = Ingredient("dataset", ingredients=[paths], _caller_globals=HERE)

    @dataset.config
    def dataset_cfg():
        normalize = True

    ex = Experiment("warnings", ingredients=[dataset], interactive=True)

    @ex.config
    def cfg():
        a = 1

    @ex.capture
    def uses_new(newkey):
        pass

    ex.main(lambda: None)
    updates = {
        "dataset": {"normalize": 2, "paths": {"base": 4, "extra": 1}},
        "a": True,
        "newkey": 3,
    }
    with caplog.at_level(logging.WARNING):
        ex.run(config_updates=updates)
    # same lines, same order as Sacred 0.8.7 prints them
    assert records(caplog)[:5] == [
        ("dataset.paths", 'Added new config entry: "extra"'),
        ("dataset.paths", 'Changed type of config entry "base" from str to int'),
        ("dataset", 'Changed type of config entry "normalize" from bool to int'),
        ("root", 'Added new config entry: "newkey"'),
        ("root", 'Changed type of config entry "a" from int to bool'),
    ]

"""Captured functions: injection, priority, prefix, special values, errors."""

import copy
import logging
import pickle

import pytest

from sacred import SETTINGS, Experiment
from sacred.config.custom_containers import ReadOnlyDict, ReadOnlyList
from sacred.utils import MissingConfigError


def make_experiment():
    ex = Experiment("my_experiment")

    @ex.config
    def my_config():
        foo = 42
        bar = "baz"
        dataset = {"filename": "foo.txt", "path": "/tmp/", "inner": {"deep": 1}}
        numbers = [1, [2, 3]]

    return ex


def test_spec_priority_explicit_then_config_then_default():
    ex = make_experiment()
    calls = []

    @ex.capture
    def some_function(a, foo, bar=10):
        calls.append((a, foo, bar))

    @ex.main
    def my_main():
        some_function(1, 2, 3)
        some_function(1)
        some_function(1, bar=12)
        with pytest.raises(MissingConfigError, match="'a'"):
            some_function()

    ex.run()
    assert calls == [(1, 2, 3), (1, 42, "baz"), (1, 42, 12)]


def test_missing_value_error_names_function_and_argument():
    ex = make_experiment()

    @ex.capture
    def needs(unknown_value):
        return unknown_value

    @ex.main
    def main():
        needs()

    with pytest.raises(MissingConfigError) as info:
        ex.run()
    assert isinstance(info.value, TypeError)
    assert "needs()" in str(info.value) and "'unknown_value'" in str(info.value)


def test_unexpected_keyword_and_too_many_positionals():
    ex = make_experiment()

    @ex.capture
    def f(foo):
        return foo

    @ex.main
    def main():
        with pytest.raises(TypeError, match=r"f\(\) got unexpected keyword argument\(s\): 'nope'"):
            f(nope=1)
        with pytest.raises(TypeError, match=r"f\(\) got too many positional arguments"):
            f(1, 2)
        return f()

    assert ex.run().result == 42


def test_prefix_gives_direct_access_to_a_subtree():
    ex = make_experiment()

    @ex.capture(prefix="dataset")
    def print_me(filename, path):
        return filename, path

    @ex.capture(prefix="dataset.inner")
    def deeper(deep):
        return deep

    @ex.main
    def main():
        return print_me(), deeper()

    assert ex.run().result == (("foo.txt", "/tmp/"), 1)


def test_special_values():
    ex = make_experiment()

    @ex.capture
    def special(_config, _seed, _rnd, _log, _run):
        return _config, _seed, _rnd, _log, _run

    @ex.main
    def main():
        return special()

    run = ex.run()
    config, seed, rnd, log, run_obj = run.result
    assert config["foo"] == 42 and config["seed"] == run.config["seed"]
    assert isinstance(seed, int)
    assert hasattr(rnd, "integers") or hasattr(rnd, "randint")
    assert isinstance(log, logging.Logger) and log.name.endswith("special")
    assert run_obj is run


def test_config_is_read_only_inside_captured_functions():
    ex = make_experiment()

    @ex.main
    def main(dataset, numbers, _config):
        assert isinstance(dataset, ReadOnlyDict) and isinstance(numbers, ReadOnlyList)
        with pytest.raises(TypeError, match="read-only.*dataset.filename"):
            dataset["filename"] = "x"
        with pytest.raises(TypeError, match="read-only"):
            dataset["inner"]["deep"] = 2
        with pytest.raises(TypeError, match="read-only"):
            numbers.append(3)
        with pytest.raises(TypeError, match="read-only"):
            numbers[1].append(3)
        with pytest.raises(TypeError, match="read-only"):
            _config.update(foo=1)
        # still pickles and deep-copies (multiprocessing, Ray)
        assert pickle.loads(pickle.dumps(_config)) == _config
        assert copy.deepcopy(dataset) == dataset
        assert copy.copy(numbers) == numbers
        mutable = dict(dataset)
        mutable["filename"] = "ok"
        return mutable["filename"]

    assert ex.run().result == "ok"


def test_read_only_can_be_turned_off():
    SETTINGS.CONFIG.READ_ONLY_CONFIG = False
    ex = make_experiment()

    @ex.main
    def main(dataset):
        dataset["filename"] = "changed"
        return dataset["filename"]

    run = ex.run()
    assert run.result == "changed"
    assert run.config["dataset"]["filename"] == "foo.txt"


def test_captured_function_called_outside_a_run_uses_explicit_args():
    ex = make_experiment()

    @ex.capture
    def f(x, foo=3):
        return x, foo

    assert f(1) == (1, 3)
    with pytest.raises(MissingConfigError):
        f()


def test_debug_log_says_started_and_finished_after_elapsed_time(caplog):
    ex = Experiment("timed")

    @ex.capture
    def work():
        return 1

    @ex.main
    def main():
        return work()

    with caplog.at_level(logging.DEBUG):
        ex.run()
    messages = [r.getMessage() for r in caplog.records if r.name.endswith("work")]
    # the lines 0.8.7 writes at DEBUG level, e.g. "Finished after 0:00:00."
    assert messages == ["Started", "Finished after 0:00:00."]


def test_missing_prefix_gives_defaults_and_signature_errors_are_sacred_type_errors():
    from sacred.utils import SignatureError

    ex = make_experiment()

    @ex.capture(prefix="not_there")
    def pre_missing(x=7):
        return x

    @ex.capture
    def f(foo):
        return foo

    @ex.main
    def main():
        with pytest.raises(SignatureError):
            f(nope=1)
        return pre_missing()

    assert ex.run().result == 7
    assert issubclass(SignatureError, TypeError)


def test_invalid_config_key_is_a_key_error():
    ex = make_experiment()
    ex.main(lambda: None)
    with pytest.raises(KeyError, match=r'"a=b"'):
        ex.run(config_updates={"dataset": {"a=b": 1}})

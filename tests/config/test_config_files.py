"""Hostile config files: YAML alias bombs, self-references, pickles, unwritable targets."""

from __future__ import annotations

import logging
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sacred.config.config_files import (
    MAX_YAML_NODES,
    load_config_file,
    load_yaml_text,
    save_config_file,
)
from sacred.settings import SETTINGS
from sacred.utils import ConfigError

# 357 bytes that expand to 9**9 (387 million) strings: took 109 s and 2.7 GB before.
ALIAS_BOMB = "\n".join(
    [f'a: &a [{", ".join(["lol"] * 9)}]']
    + [f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
)


@pytest.mark.timeout(60)
def test_a_yaml_alias_bomb_is_refused_before_it_is_built(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB)
    with pytest.raises(ConfigError, match=r"bomb\.yaml.*expands to more than 1,000,000 values"):
        load_config_file(path)


def test_a_yaml_file_that_contains_itself_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("a: &x\n  b: *x\n")
    with pytest.raises(ConfigError, match=r"loop\.yaml.*line 1.*contains itself"):
        load_config_file(path)


def test_shared_yaml_aliases_below_the_limit_still_load(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b [1, 2]\ncopy: *b\nnested: {k: *b}\n")
    assert load_config_file(path) == {"base": [1, 2], "copy": [1, 2], "nested": {"k": [1, 2]}}


def test_the_expansion_limit_counts_aliases_as_copies():
    per_copy = 11  # the list node and its 10 scalars
    copies = MAX_YAML_NODES // per_copy + 1
    text = "a: &a [0,1,2,3,4,5,6,7,8,9]\nb: [" + ", ".join(["*a"] * copies) + "]\n"
    with pytest.raises(ConfigError, match="expands to more than"):
        load_yaml_text(text, "many.yaml")


@settings(max_examples=60, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=15,
))
def test_plain_yaml_round_trips_through_the_checked_loader(value):
    import yaml

    assert load_yaml_text(yaml.safe_dump(value)) == value


def test_loading_a_pickle_warns_every_time_and_names_the_file(tmp_path, caplog):
    path = tmp_path / "cfg.pickle"
    path.write_bytes(pickle.dumps({"x": 5}))
    with caplog.at_level(logging.WARNING, logger="sacred.config.config_files"):
        assert load_config_file(path) == {"x": 5}
        assert load_config_file(path) == {"x": 5}
    warnings = [r.getMessage() for r in caplog.records if "pickle" in r.getMessage()]
    assert len(warnings) == 2 and all(str(path) in w for w in warnings)


def test_pickles_can_be_refused_by_a_setting(tmp_path):
    path = tmp_path / "cfg.pickle"
    marker = tmp_path / "ran"
    path.write_bytes(pickle.dumps(_Planted(str(marker))))
    SETTINGS.CONFIG.ALLOW_PICKLE_FILES = False
    try:
        with pytest.raises(ConfigError, match=r"Refusing to load the pickle config file .*cfg\.pickle"):
            load_config_file(path)
    finally:
        SETTINGS.CONFIG.ALLOW_PICKLE_FILES = True
    assert not marker.exists()


class _Planted:
    """Unpickling this creates a file: the code a planted pickle would run."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_saving_under_a_file_names_the_file_instead_of_a_traceback(tmp_path):
    (tmp_path / "afile").write_text("")
    with pytest.raises(ConfigError, match=r'Cannot save config file .*"\S*afile" is a file, not a directory'):
        save_config_file({"x": 1}, tmp_path / "afile" / "x.json")
    with pytest.raises(ConfigError, match=r"directory .*missing.* does not exist"):
        save_config_file({"x": 1}, tmp_path / "missing" / "x.json")

"""Config key checks (sacred.config.normalize.assert_is_valid_key) under every setting."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred.config.normalize import JSONPICKLE_RESERVED, assert_is_valid_key
from sacred.settings import SETTINGS
from sacred.utils import InvalidConfigError

FLAGS = (
    "ENFORCE_KEYS_MONGO_COMPATIBLE",
    "ENFORCE_KEYS_JSONPICKLE_COMPATIBLE",
    "ENFORCE_VALID_PYTHON_IDENTIFIER_KEYS",
    "ENFORCE_STRING_KEYS",
    "ENFORCE_KEYS_NO_EQUALS",
)


@pytest.fixture
def all_checks_on():
    saved = {flag: SETTINGS.CONFIG[flag] for flag in FLAGS}
    for flag in FLAGS:
        SETTINGS.CONFIG[flag] = True
    yield
    for flag, value in saved.items():
        SETTINGS.CONFIG[flag] = value


@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True))
def test_python_identifiers_pass_with_every_check_on(key):
    saved = {flag: SETTINGS.CONFIG[flag] for flag in FLAGS}
    try:
        for flag in FLAGS:
            SETTINGS.CONFIG[flag] = True
        assert_is_valid_key(key)
    finally:
        for flag, value in saved.items():
            SETTINGS.CONFIG[flag] = value


@pytest.mark.parametrize("key", ["a.b", "$a", "a=b", "1a", "é", "a-b", 3,
                                 *sorted(JSONPICKLE_RESERVED)[:3]])
def test_keys_breaking_a_rule_are_refused_when_every_check_is_on(all_checks_on, key):
    with pytest.raises(InvalidConfigError):
        assert_is_valid_key(key)


def test_each_rule_refuses_only_when_its_setting_is_on():
    rules = {"ENFORCE_KEYS_MONGO_COMPATIBLE": "a.b", "ENFORCE_KEYS_JSONPICKLE_COMPATIBLE": "py/object",
             "ENFORCE_VALID_PYTHON_IDENTIFIER_KEYS": "é", "ENFORCE_STRING_KEYS": 3,
             "ENFORCE_KEYS_NO_EQUALS": "a=b"}
    saved = {flag: SETTINGS.CONFIG[flag] for flag in FLAGS}
    try:
        for flag, key in rules.items():
            for on in (False, True):
                for other in FLAGS:
                    SETTINGS.CONFIG[other] = False
                SETTINGS.CONFIG[flag] = on
                if on:
                    with pytest.raises(InvalidConfigError, match=flag):
                        assert_is_valid_key(key)
                else:
                    assert_is_valid_key(key)
    finally:
        for flag, value in saved.items():
            SETTINGS.CONFIG[flag] = value


def test_flag_combinations_never_refuse_a_plain_identifier():
    saved = {flag: SETTINGS.CONFIG[flag] for flag in FLAGS}
    try:
        for values in itertools.product((False, True), repeat=len(FLAGS)):
            for flag, value in zip(FLAGS, values, strict=True):
                SETTINGS.CONFIG[flag] = value
            assert_is_valid_key("learning_rate")
    finally:
        for flag, value in saved.items():
            SETTINGS.CONFIG[flag] = value

"""SETTINGS: dict and attribute access, documented keys and defaults, unknown keys raise."""

import pickle

import pytest

from sacred import SETTINGS
from sacred.settings import SettingError


def test_documented_defaults():
    assert SETTINGS.CAPTURE_MODE == "fd"
    assert SETTINGS.DEFAULT_BEAT_INTERVAL == 10.0
    assert dict(SETTINGS.CONFIG) == {
        "ENFORCE_KEYS_MONGO_COMPATIBLE": True,
        "ENFORCE_KEYS_JSONPICKLE_COMPATIBLE": True,
        "ENFORCE_VALID_PYTHON_IDENTIFIER_KEYS": False,
        "ENFORCE_STRING_KEYS": False,
        "ENFORCE_KEYS_NO_EQUALS": True,
        "READ_ONLY_CONFIG": True,
        "IGNORED_COMMENTS": ["^pylint:", "^noinspection"],
        "NUMPY_RANDOM_LEGACY_API": False,
        "ALLOW_PICKLE_FILES": True,
    }
    assert dict(SETTINGS.HOST_INFO) == {
        "INCLUDE_GPU_INFO": True,
        "INCLUDE_CPU_INFO": True,
        "CAPTURED_ENV": [],
    }
    assert SETTINGS.COMMAND_LINE.STRICT_PARSING is False


def test_dict_and_attribute_access_are_equivalent():
    SETTINGS["HOST_INFO"]["INCLUDE_GPU_INFO"] = False
    assert SETTINGS.HOST_INFO.INCLUDE_GPU_INFO is False
    SETTINGS.HOST_INFO.INCLUDE_GPU_INFO = True
    assert SETTINGS["HOST_INFO"]["INCLUDE_GPU_INFO"] is True


def test_unknown_keys_raise_naming_the_key():
    with pytest.raises(SettingError, match="SETTINGS.HOST_INFO.INCLUDE_GPU"):
        SETTINGS.HOST_INFO.INCLUDE_GPU = False
    with pytest.raises(KeyError, match="CAPTURE_MOD"):
        SETTINGS["CAPTURE_MOD"] = "sys"
    with pytest.raises(AttributeError):
        _ = SETTINGS.NOPE
    with pytest.raises(SettingError):
        SETTINGS.CONFIG = 3


def test_settings_pickle():
    assert pickle.loads(pickle.dumps(SETTINGS)) == SETTINGS


def test_setting_error_is_a_sacred_error_and_a_key_error():
    from sacred.utils import SacredError

    with pytest.raises(SettingError) as info:
        SETTINGS.CONFIG.NOPE = 1
    assert isinstance(info.value, SacredError) and isinstance(info.value, KeyError)
    assert "NOPE" in str(info.value)

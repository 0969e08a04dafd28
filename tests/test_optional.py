"""sacred.optional: 0.8.7's optional-import helpers."""

from __future__ import annotations

import json
import os

import numpy
import pytest

import sacred.optional as opt


def test_optional_import_imports_all_or_nothing():
    assert opt.optional_import("json") == (True, json)
    assert opt.optional_import("json", "os") == (True, json)
    assert opt.optional_import("os.path") == (True, os.path)
    assert opt.optional_import("sacred_no_such_module") == (False, None)
    assert opt.optional_import("json", "sacred_no_such_module") == (False, None)
    with pytest.raises(TypeError):
        opt.optional_import()


def test_modules_exist_without_importing():
    assert opt.modules_exist("json", "os")
    assert not opt.modules_exist("json", "sacred_no_such_module")


def test_has_flags_and_lazy_modules():
    assert opt.has_numpy is True and opt.np is numpy
    assert opt.has_sqlalchemy is True and opt.has_tinydb is True
    assert opt.has_tensorflow is opt.modules_exist("tensorflow")
    assert opt.libc is not None and opt.libc.getpid() == os.getpid()
    with pytest.raises(AttributeError):
        opt.no_such_name  # noqa: B018


def test_get_tensorflow_raises_import_error_when_missing():
    if opt.has_tensorflow:
        pytest.skip("tensorflow is installed")
    with pytest.raises(ImportError):
        opt.get_tensorflow()

"""C library functions through ctypes: loaded once, None where missing."""

from __future__ import annotations

import os
import sys

import pytest

from sacred._libc import libc_function


@pytest.mark.skipif(sys.platform == "win32", reason="no C library by that name on Windows")
def test_a_libc_function_is_loaded_once_with_its_types():
    getpid = libc_function("getpid", ())
    assert getpid is not None and getpid() == os.getpid()
    assert libc_function("getpid", ()) is getpid


def test_a_function_the_library_lacks_is_none():
    assert libc_function("no_such_function_in_any_libc", ("c_int",)) is None

"""sacred.stdout_capturing: 0.8.7's capture API over sacred.capture."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sacred import SETTINGS
from sacred.stdout_capturing import get_stdcapturer


def test_modes_and_default():
    assert get_stdcapturer("no")[0] == "no"
    assert get_stdcapturer()[0] == SETTINGS.CAPTURE_MODE
    with pytest.raises(KeyError, match="Available options are \\['fd', 'no', 'sys'\\]"):
        get_stdcapturer("bad")


def test_sys_mode_gets_new_output_and_final_text():
    _, capturer = get_stdcapturer("sys")
    with capturer() as out:
        print("a")
        first = out.get()
        print("b")
        second = out.get()
    assert (first, second) == ("a\n", "b\n")
    assert out.final == "a\nb\n"


def test_no_mode_captures_nothing():
    _, capturer = get_stdcapturer("no")
    with capturer() as out:
        print("x")
    assert out.get() == "" and out.final == ""


def test_fd_mode_sees_child_processes():
    code = (
        "import os, subprocess, sys\n"
        "from sacred.stdout_capturing import get_stdcapturer\n"
        "_, capturer = get_stdcapturer('fd')\n"
        "with capturer() as out:\n"
        "    print('py', flush=True)\n"
        "    subprocess.run(['echo', 'shell'], check=True)\n"
        "sys.stderr.write(repr(out.final))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stderr == repr("py\nshell\n")
    assert result.stdout == "py\nshell\n"  # still shown on the terminal
    assert os.name == "posix"


def test_capture_mode_names_and_functions():
    from sacred.stdout_capturing import CAPTURE_MODES, no_tee, tee_output_fd, tee_output_python

    assert set(CAPTURE_MODES) == {"no", "sys", "fd"}
    assert get_stdcapturer("no")[1] is no_tee
    assert get_stdcapturer("sys")[1] is tee_output_python
    assert get_stdcapturer("fd")[1] is tee_output_fd
    assert tee_output_python.__name__ == "tee_output_python"

"""What a long-lived worker restores between runs."""

from __future__ import annotations

import os
import sys
import threading

from sacred_runner.launch.isolation import StateSnapshot, kept_module


def test_user_modules_environment_settings_and_cwd_are_restored(tmp_path, monkeypatch):
    from sacred.settings import SETTINGS

    (tmp_path / "user_mod_for_isolation.py").write_text("STATE = []\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before_capture = SETTINGS.CAPTURE_MODE
    before_cwd = os.getcwd()
    (tmp_path / "elsewhere").mkdir()
    snapshot = StateSnapshot()
    import json  # noqa: F401 - stdlib stays loaded

    import user_mod_for_isolation

    user_mod_for_isolation.STATE.append(1)
    os.environ["SACRED_ISOLATION_TEST"] = "1"
    SETTINGS.CAPTURE_MODE = "no" if before_capture != "no" else "sys"
    os.chdir(tmp_path / "elsewhere")
    sys.path.insert(0, "/nonexistent")
    assert snapshot.restore() is True
    assert "user_mod_for_isolation" not in sys.modules
    assert "SACRED_ISOLATION_TEST" not in os.environ
    assert SETTINGS.CAPTURE_MODE == before_capture
    assert os.getcwd() == before_cwd and "/nonexistent" not in sys.path
    assert kept_module(sys.modules["json"]) and kept_module(sys.modules["sacred"])


def test_a_thread_left_running_asks_for_a_fresh_process():
    stop = threading.Event()
    snapshot = StateSnapshot()
    thread = threading.Thread(target=stop.wait, args=(10,))
    thread.start()
    try:
        assert snapshot.restore() is False
    finally:
        stop.set()
        thread.join()
    assert StateSnapshot().restore() is True

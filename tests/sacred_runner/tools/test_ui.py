"""`sacred ui` on the command line: loopback by default, a token beyond it, clear errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sacred_runner.main import main
from tests.sacred_runner.ui.conftest import REPO, UiServer


def _run_main(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return int(code), captured.out, captured.err


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_help_lists_ui():
    out = subprocess.run([sys.executable, "-m", "sacred_runner", "--help"], capture_output=True,
                         text=True, cwd=REPO, timeout=60).stdout
    assert "  ui " in out and "read-only web view" in out


def test_a_non_loopback_host_needs_an_explicit_flag(capsys, fixture_store):
    code, _out, err = _run_main(["ui", "--store", fixture_store["path"], "--host", "0.0.0.0"], capsys)
    assert code == 4
    assert err.startswith("ERROR: --host 0.0.0.0: not a loopback address") and "--allow-remote" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, expected", [
    (["--store", "/no/such/folder"], "--store /no/such/folder: no store at"),
    (["--store", "STORE", "--port", "70000"], "--port 70000: must be between 0 and 65535"),
    (["--store", "STORE", "--port", "x"], "argument --port: invalid int value"),
    (["--store", "STORE", "--poll", "0"], "--poll 0.0: must be a positive number"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_user_mistakes_are_one_error_line(capsys, fixture_store, argv, expected):
    argv = [fixture_store["path"] if a == "STORE" else a for a in argv]
    code, _out, err = _run_main(["ui", *argv], capsys)
    assert code == 4 and expected in err and err.startswith("ERROR: ")
    assert "Traceback" not in err


def test_without_a_store_the_current_folder_is_tried(capsys, tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("a folder that is no store")
    monkeypatch.chdir(tmp_path)
    code, _out, err = _run_main(["ui"], capsys)
    assert code == 4 and "no --store given, and none found here" in err


def test_a_port_in_use_is_a_clear_error(capsys, fixture_store):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        code, _out, err = _run_main(["ui", "--store", fixture_store["path"], "--port", str(port)], capsys)
        assert code == 4 and f"--port {port}: already in use" in err
    finally:
        taken.close()


def test_serves_on_loopback_and_prints_the_url(fixture_store):
    server = UiServer([fixture_store["path"], fixture_store["path"]])
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert any("store 0: FileStorage" in line for line in server.lines)
        status, body = _get(server.url + "/")
        assert status == 200 and body.count(b'href="/s/') >= 2
        status, body = _get(server.url + "/s/1/run/1")
        assert status == 200 and b"train" in body
    finally:
        server.stop()
    assert server.process.returncode is not None


def test_beyond_loopback_it_warns_and_requires_the_token(fixture_store):
    server = UiServer([fixture_store["path"]], extra=["--host", "0.0.0.0", "--allow-remote"])
    try:
        text = "".join(server.lines)
        assert "WARNING: sacred ui listens on 0.0.0.0" in text
        printed = next(line for line in server.lines if "serving on" in line).split("serving on ", 1)[1].split()[0]
        token = printed.split("?token=", 1)[1]
        port = server.url.rsplit(":", 1)[1]
        local = f"http://127.0.0.1:{port}"
        assert _get(local + "/s/0/")[0] == 403
        assert _get(local + "/s/0/?token=nope")[0] == 403
        status, body = _get(f"{local}/s/0/?token={token}")
        assert status == 200 and b"runs-table" in body
    finally:
        server.stop()


def test_the_ui_module_is_not_imported_by_import_sacred():
    code = "import sacred, sys; print(any(m.startswith(('starlette', 'uvicorn', 'sacred_runner.ui')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(REPO), timeout=60)
    assert out.stdout.strip() == "False"

"""cout.txt: the output's tail appended in pieces, whole or not at all, whatever the characters."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sacred.observers import file_storage
from sacred.observers.file_storage import LocalBackend
from sacred.observers.run_files._layout import utf8_bytes

REPO = str(Path(__file__).resolve().parents[2])


@given(
    text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
    start=st.integers(min_value=0, max_value=70),
    piece=st.integers(min_value=1, max_value=9),
)
def test_appended_pieces_are_the_utf8_of_the_tail(tmp_path_factory, text, start, piece):
    path = tmp_path_factory.mktemp("append") / "cout.txt"
    path.write_bytes(b"before\n")
    backend = LocalBackend()
    old_piece, file_storage.TEXT_PIECE = file_storage.TEXT_PIECE, piece
    try:
        backend.append_text(str(path), text, start)
    finally:
        file_storage.TEXT_PIECE = old_piece
    expected = text[start:].encode("utf-8")
    assert path.read_bytes() == b"before\n" + expected
    assert backend.bytes_written["cout.txt"] == len(expected)


def test_a_failed_append_is_cut_back_so_the_next_beat_does_not_duplicate(tmp_path):
    """A real write failure: the file size limit (RLIMIT_FSIZE) is hit in the third piece
    (and by a whole record appended as bytes)."""
    script = tmp_path / "append.py"
    script.write_text(textwrap.dedent(f"""
        import resource, signal, sys
        sys.path.insert(0, {REPO!r})
        from sacred.observers import file_storage
        from sacred.observers.file_storage import LocalBackend

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of the signal
        path = sys.argv[1]
        with open(path, "w") as f:
            f.write("a" * 1000)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2500, 2500))
        file_storage.TEXT_PIECE = 600
        backend = LocalBackend()
        try:
            backend.append_text(path, "b" * 3000)
        except OSError as err:
            print("failed", err.errno, backend.bytes_written["cout.txt"])
        backend.append_text(path, "c" * 500)  # fits again once cut back
        print("then", backend.bytes_written["cout.txt"])
        try:  # one journal record too large: cut back too, so the next one starts a line
            backend.append_bytes(path, b"d" * 2000)
        except OSError as err:
            print("record failed", err.errno)
    """))
    target = tmp_path / "cout.txt"
    out = subprocess.run([sys.executable, str(script), str(target)], capture_output=True,
                         text=True, timeout=60, check=True).stdout.split("\n")
    assert out[0].startswith("failed 27 0"), out  # EFBIG; nothing counted as written
    assert out[1] == "then 500"
    assert out[2] == "record failed 27"
    assert target.read_text() == "a" * 1000 + "c" * 500


def test_utf8_bytes_keeps_what_surrogates_stand_for():
    assert utf8_bytes("plain é") == "plain é".encode()
    # surrogateescape'd bytes (undecodable input passed through) come back as those bytes
    assert utf8_bytes("a\udc80\udcffb") == b"a\x80\xffb"
    # any other lone surrogate: its escape, and the rest of the text is kept
    assert utf8_bytes("x\ud800y") == b"x\\ud800y"


def test_output_holding_escaped_bytes_reaches_cout_txt(tmp_path):
    """``PYTHONIOENCODING=utf-8:surrogateescape``: printing undecodable bytes works, and
    cout.txt gets the bytes the terminal got (the strict encoding lost the whole file)."""
    script = tmp_path / "exp.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {REPO!r})
        from sacred import Experiment
        from sacred.observers import FileStorageObserver

        ex = Experiment("escaped")
        ex.observers.append(FileStorageObserver(sys.argv[1]))

        @ex.main
        def main():
            print("name:", b"caf\\xe9.txt".decode("utf-8", "surrogateescape"))

        ex.run(options={{"--capture": "sys"}})
    """))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:surrogateescape"}
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "runs")], env=env,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"name: caf\xe9.txt\n" in done.stdout
    assert b"name: caf\xe9.txt\n" in (tmp_path / "runs" / "1" / "cout.txt").read_bytes()

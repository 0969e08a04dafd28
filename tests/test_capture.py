"""Output capture in the modes no / sys / fd (sacred.capture)."""

from __future__ import annotations

import contextlib
import ctypes
import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
import traceback
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sacred.capture import CAPTURE_MODES, CapturedOutput, capture_output

REPO_ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def python_streams_on_fds():
    """Point sys.stdout/sys.stderr at descriptors 1 and 2, as in a plain program.

    pytest's own capture replaces them (again at the start of each test phase)
    with objects that bypass fd 1 and 2, which would hide prints from fd mode.
    """
    saved = sys.stdout, sys.stderr
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved


@contextlib.contextmanager
def stderr_joined_to_stdout():
    """Point descriptor 2 where descriptor 1 points (``2>&1``) for the duration."""
    saved = os.dup(2)
    os.dup2(1, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def read_all_after_exit(mode: str, body) -> str:
    with capture_output(mode) as captured:
        body()
    return captured.read_new()


# ------------------------------------------------------------------- the API


def test_capture_modes_are_the_documented_ones():
    assert CAPTURE_MODES == ("no", "sys", "fd")


@pytest.mark.parametrize("bad_mode", ["fdd", "", "SYS", "none", None, 1])
def test_an_unknown_mode_is_rejected_naming_it_and_the_allowed_modes(bad_mode):
    with pytest.raises(ValueError) as info:
        capture_output(bad_mode)
    message = str(info.value)
    assert repr(bad_mode) in message
    assert "'no', 'sys', 'fd'" in message


def test_a_negative_drain_timeout_is_rejected():
    with pytest.raises(ValueError, match="drain_timeout must be a number >= 0, got -1"):
        capture_output("fd", drain_timeout=-1)


@pytest.mark.parametrize("mode", CAPTURE_MODES)
def test_a_capture_can_only_be_started_once_and_closed_twice(mode):
    with python_streams_on_fds():
        captured = capture_output(mode)
        assert isinstance(captured, CapturedOutput)
        assert captured.mode == mode
        with captured:
            with pytest.raises(RuntimeError, match="already started"):
                captured.start()
        assert captured.closed
        captured.close()
        assert captured.read_new() == ""


# ----------------------------------------------------------------- mode "no"


def test_no_mode_captures_nothing_and_leaves_the_streams_alone():
    with python_streams_on_fds():
        stdout_before, stderr_before = sys.stdout, sys.stderr
        with capture_output("no") as captured:
            assert sys.stdout is stdout_before and sys.stderr is stderr_before
            print("not captured", flush=True)
            os.write(1, b"not captured either\n")
            assert captured.read_new() == ""
        assert captured.read_new() == ""


# ---------------------------------------------------------------- mode "sys"


def test_sys_mode_tees_stdout_and_stderr_in_write_order(monkeypatch):
    fake_out, fake_err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", fake_out)
    monkeypatch.setattr(sys, "stderr", fake_err)
    with capture_output("sys") as captured:
        print("one")
        print("two", file=sys.stderr)
        sys.stdout.write("three\n")
        sys.stdout.writelines(["four\n", "five\n"])
    assert captured.read_new() == "one\ntwo\nthree\nfour\nfive\n"
    assert fake_out.getvalue() == "one\nthree\nfour\nfive\n"
    assert fake_err.getvalue() == "two\n"
    assert sys.stdout is fake_out and sys.stderr is fake_err


def test_sys_mode_read_new_returns_each_piece_once(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    with capture_output("sys") as captured:
        print("a")
        assert captured.read_new() == "a\n"
        assert captured.read_new() == ""
        print("b")
        assert captured.read_new() == "b\n"
        print("c")
    assert captured.read_new() == "c\n"
    assert captured.read_new() == ""


@pytest.mark.parametrize("mode", ["sys", "fd"])
def test_read_new_pieces_are_the_new_text_unjoined(mode, monkeypatch):
    """The run joins these with its output so far: one copy of a beat's new text, not two."""
    monkeypatch.setattr(sys, "stdout", io.StringIO())

    def write(text: str) -> None:  # fd mode captures the descriptor, sys mode the stream
        sys.stdout.write(text) if mode == "sys" else os.write(1, text.encode())

    with capture_output(mode) as captured:
        write("a\n")
        write("bc\n")
        first = captured.read_new_pieces()
        assert isinstance(first, list) and all(isinstance(piece, str) for piece in first)
        assert "".join(first) == "a\nbc\n"
        assert captured.read_new_pieces() == []
        write("d\n")
    assert "".join(captured.read_new_pieces()) == "d\n"
    assert captured.read_new() == ""


def test_sys_mode_restores_the_streams_when_the_body_raises(monkeypatch):
    fake_out, fake_err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", fake_out)
    monkeypatch.setattr(sys, "stderr", fake_err)
    with pytest.raises(KeyError):
        with capture_output("sys") as captured:
            print("before the error")
            raise KeyError("boom")
    assert sys.stdout is fake_out and sys.stderr is fake_err
    assert captured.read_new() == "before the error\n"


def test_sys_mode_captures_tracebacks_logging_and_buffer_writes(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    log = logging.getLogger("test_capture.sys_mode")
    with capture_output("sys") as captured:
        handler = logging.StreamHandler()  # binds sys.stderr as it is now
        log.addHandler(handler)
        try:
            log.warning("logged %d", 42)
        finally:
            log.removeHandler(handler)
        try:
            raise ValueError("shown in the traceback")
        except ValueError:
            traceback.print_exc()
        sys.stdout.buffer.write("bytes é\n".encode())
        sys.stdout.buffer.write(b"\xc3")  # first half of an "é"
        sys.stdout.buffer.write(b"\xa9\n")
    text = captured.read_new()
    assert "logged 42\n" in text
    assert "ValueError: shown in the traceback" in text
    assert text.endswith("bytes é\né\n")


def test_sys_mode_answers_stream_questions_from_the_original(monkeypatch):
    original = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    monkeypatch.setattr(sys, "stdout", original)
    with capture_output("sys"):
        assert sys.stdout is not original
        assert sys.stdout.encoding == "latin-1"
        assert sys.stdout.isatty() is False
        assert sys.stdout.writable()
        with pytest.raises(TypeError, match="must be str, not bytes"):
            sys.stdout.write(b"bytes")


def test_sys_mode_with_threads_loses_nothing(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    per_thread = 2000

    def chatter(name: str) -> None:
        # one write per line: print() writes text and newline separately, so other threads
        # may legitimately land between them (as on a real terminal); capture must lose nothing
        for i in range(per_thread):
            sys.stdout.write(f"{name} {i}\n")

    with capture_output("sys") as captured:
        threads = [threading.Thread(target=chatter, args=(f"t{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        pieces = []
        while any(t.is_alive() for t in threads) and len(pieces) < 100_000:
            pieces.append(captured.read_new())
        for thread in threads:
            thread.join(30)
    pieces.append(captured.read_new())
    lines = "".join(pieces).splitlines()
    for n in range(4):
        assert [line for line in lines if line.startswith(f"t{n} ")] == [
            f"t{n} {i}" for i in range(per_thread)
        ]


def test_nested_sys_captures_both_see_the_inner_output(monkeypatch):
    fake_out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", fake_out)
    with capture_output("sys") as outer:
        print("outer only")
        with capture_output("sys") as inner:
            print("both")
        print("outer again")
    assert inner.read_new() == "both\n"
    assert outer.read_new() == "outer only\nboth\nouter again\n"
    assert fake_out.getvalue() == "outer only\nboth\nouter again\n"


# ----------------------------------------------------------------- mode "fd"


def test_fd_mode_captures_python_c_raw_and_child_process_output():
    with stderr_joined_to_stdout(), python_streams_on_fds():
        libc = ctypes.CDLL(None)

        def body() -> None:
            print("python print")
            sys.stdout.flush()
            os.write(1, b"raw stdout\n")
            os.write(2, b"raw stderr\n")
            libc.printf(b"c printf %d\n", ctypes.c_int(7))
            libc.fflush(None)
            subprocess.run(["echo", "child process"], check=True)
            subprocess.run(["sh", "-c", "echo child stderr >&2"], check=True)
            print("last", file=sys.stderr)

        text = read_all_after_exit("fd", body)
        assert text == (
            "python print\nraw stdout\nraw stderr\nc printf 7\nchild process\nchild stderr\nlast\n"
        )


def test_fd_mode_keeps_the_write_order_of_stdout_and_stderr_led_to_one_place():
    with stderr_joined_to_stdout(), python_streams_on_fds():

        def body() -> None:
            for i in range(50):
                os.write(1 if i % 2 else 2, f"{i};".encode())

        assert read_all_after_exit("fd", body) == "".join(f"{i};" for i in range(50))


SPLIT_STREAMS_PROGRAM = textwrap.dedent(
    """
    import json, os, sys
    from sacred.capture import capture_output

    with capture_output("fd") as captured:
        for i in range(200):
            print(f"out {i}", flush=True)
            print(f"err {i}", file=sys.stderr, flush=True)
            if i % 50 == 0:
                os.write(1, b"raw out\\n")
                os.write(2, b"raw err\\n")
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(captured.read_new(), f)
    """
)


def _run_split_streams_program(tmp_path: Path, stderr_to_stdout: bool,
                               unbuffered: bool = False) -> tuple[str, str, str]:
    """Run the program with stdout and stderr in files; return (stdout, stderr, captured)."""
    script = tmp_path / "split.py"
    script.write_text(SPLIT_STREAMS_PROGRAM, encoding="utf-8")
    result_path = tmp_path / "captured.json"
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:  # print then writes its text and its newline in two writes
        env["PYTHONUNBUFFERED"] = "1"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.run(
            [sys.executable, str(script), str(result_path)],
            stdout=out,
            stderr=subprocess.STDOUT if stderr_to_stdout else err,
            env=env,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 0, err_path.read_text()
    captured = json.loads(result_path.read_text(encoding="utf-8"))
    return out_path.read_text(), err_path.read_text(), captured


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_fd_mode_keeps_stdout_and_stderr_apart_when_they_lead_to_different_places(tmp_path, unbuffered):
    # `python exp.py > out.txt 2> err.txt`: each stream still reaches its own file
    # (sacred 0.8.7 keeps them apart too), and the capture holds both, each in order,
    # every line whole (no stderr text inside a stdout line).
    out, err, captured = _run_split_streams_program(tmp_path, stderr_to_stdout=False,
                                                    unbuffered=unbuffered)
    expected_out = [f"out {i}" for i in range(200)]
    expected_err = [f"err {i}" for i in range(200)]
    assert [line for line in out.splitlines() if line != "raw out"] == expected_out
    assert [line for line in err.splitlines() if line != "raw err"] == expected_err
    assert out.count("raw out") == 4 and "err" not in out
    assert err.count("raw err") == 4 and "out" not in err
    lines = captured.splitlines()
    assert [line for line in lines if line.startswith("out ")] == expected_out
    assert [line for line in lines if line.startswith("err ")] == expected_err
    assert sorted(lines) == sorted(out.splitlines() + err.splitlines())


def test_fd_mode_with_split_streams_hands_over_an_unfinished_line_when_asked():
    # stdout and stderr lead to different places under pytest's capture: two pipes
    with python_streams_on_fds(), capture_output("fd") as captured:
        os.write(1, b"progress 50%")
        os.write(2, b"a warning\n")
        assert captured.read_new() == "a warning\nprogress 50%"  # asked for: nothing held back
        os.write(1, b" done\n")
        os.write(1, b"tail without newline")
    assert captured.read_new() == " done\ntail without newline"


def test_fd_mode_keeps_the_exact_order_when_stderr_is_joined_to_stdout(tmp_path):
    # `python exp.py > log.txt 2>&1`: one destination, one pipe, the exact write order.
    out, err, captured = _run_split_streams_program(tmp_path, stderr_to_stdout=True)
    assert err == ""
    assert captured == out
    assert out.splitlines()[:4] == ["out 0", "err 0", "raw out", "raw err"]


EXPERIMENT_LOGGING_TO_STDERR = textwrap.dedent(
    """
    from sacred import Experiment

    ex = Experiment("streams")

    @ex.automain
    def main():
        print("the result is 42")
    """
)


def test_a_run_with_fd_capture_logs_to_stderr_and_prints_to_stdout(tmp_path):
    # An observed run captures in fd mode; its log lines must still go to stderr,
    # so `python exp.py > results.txt` keeps the log out of results.txt.
    script = tmp_path / "streams_exp.py"
    script.write_text(EXPERIMENT_LOGGING_TO_STDERR, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run(
        [sys.executable, str(script), "-F", str(tmp_path / "runs"), "--capture=fd"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "the result is 42\n"
    assert "INFO - streams - Completed after" in proc.stderr
    assert "the result is 42" not in proc.stderr
    cout = (tmp_path / "runs" / "1" / "cout.txt").read_text()
    assert "the result is 42\n" in cout and "Started run with ID" in cout


STALLED_STDOUT_EXPERIMENT = """
import sys, time
from sacred import Experiment
from sacred.observers import FileStorageObserver

ex = Experiment("stalled")
ex.observers.append(FileStorageObserver(sys.argv[1]))


@ex.main
def main(_run):
    print("started", flush=True)
    print(("x" * 99 + "\\n") * 2_000, end="", flush=True)  # more than the reader's pipe holds
    for step in range(3_000):  # 30 s at most; the test stops it long before
        _run.log_scalar("loss", step)
        time.sleep(0.01)


ex.run(options={"--beat_interval": 0.05, "--capture": "fd"})
"""


def test_heartbeats_go_on_while_the_original_stdout_is_a_pipe_nobody_reads(tmp_path):
    """The reader thread's echo blocks on the full pipe; metrics must still be delivered.

    (The heartbeat used to wait for the capture's lock behind that echo: no
    beat, no metric point and no liveness until the pipe was read again.)
    """
    from sacred.observers import FileStorageObserver
    from sacred.observers.run_files._layout import read_metrics

    script = tmp_path / "stalled.py"
    script.write_text(STALLED_STDOUT_EXPERIMENT, encoding="utf-8")
    runs = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, str(script), str(runs)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    try:
        while proc.stdout.readline().strip() not in (b"started", b""):
            pass
        # from here on nobody reads: the 200 kB line fills the pipe and the echo blocks
        deadline = time.monotonic() + 60
        steps: list = []
        while time.monotonic() < deadline and len(steps) < 20:
            metrics = runs / "1" / "metrics.json"
            journal = runs / "1" / ".metrics.journal"
            if metrics.exists() or journal.exists():
                stored = read_metrics(FileStorageObserver(runs).backend, str(runs / "1"))
                steps = stored.get("loss", {}).get("steps", [])
            time.sleep(0.1)
        assert proc.poll() is None, "the run ended instead of waiting for its stdout"
        assert len(steps) >= 20, f"only {len(steps)} points delivered while stdout was stalled"
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()


def test_fd_mode_read_new_sees_what_was_printed_before_the_call():
    with python_streams_on_fds():
        with capture_output("fd") as captured:
            print("buffered in python")  # not flushed by us
            assert captured.read_new() == "buffered in python\n"
            ctypes.CDLL(None).printf(b"buffered in C\n")
            assert captured.read_new() == "buffered in C\n"
            assert captured.read_new() == ""
            print("at exit")
        assert captured.read_new() == "at exit\n"
        assert captured.read_new() == ""


def test_fd_mode_restores_descriptors_and_streams_when_the_body_raises():
    with python_streams_on_fds():
        stat_before = [os.fstat(fd) for fd in (1, 2)]
        stdout_before = sys.stdout
        with pytest.raises(ZeroDivisionError):
            with capture_output("fd") as captured:
                os.write(1, b"before\n")
                1 / 0  # noqa: B018
        stat_after = [os.fstat(fd) for fd in (1, 2)]
        assert [(s.st_dev, s.st_ino) for s in stat_after] == [
            (s.st_dev, s.st_ino) for s in stat_before
        ]
        assert sys.stdout is stdout_before
        assert captured.read_new() == "before\n"


def test_fd_mode_decodes_characters_split_across_writes():
    with python_streams_on_fds():
        encoded = "é€😀".encode()
        with capture_output("fd") as captured:
            pieces = []
            for i in range(len(encoded)):
                os.write(1, encoded[i : i + 1])
                pieces.append(captured.read_new())
        pieces.append(captured.read_new())
        assert "".join(pieces) == "é€😀"


def test_fd_mode_replaces_invalid_utf8():
    with python_streams_on_fds():

        def body() -> None:
            os.write(1, b"ok \xff\xfe end\n")
            os.write(1, b"cut \xe2\x82")  # truncated at the very end

        assert read_all_after_exit("fd", body) == "ok \ufffd\ufffd end\ncut \ufffd"


@settings(max_examples=40, deadline=None)
@given(
    text=st.text(max_size=200),
    cuts=st.lists(st.integers(min_value=0, max_value=1000), max_size=8),
    read_between=st.booleans(),
)
def test_fd_mode_returns_any_text_written_in_any_byte_chunks(text, cuts, read_between):
    with python_streams_on_fds():
        data = text.encode()
        bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
        with capture_output("fd") as captured:
            pieces = []
            for start, end in zip(bounds, bounds[1:], strict=False):
                os.write(1, data[start:end])
                if read_between:
                    pieces.append(captured.read_new())
        pieces.append(captured.read_new())
        assert "".join(pieces) == text


def test_fd_mode_with_a_concurrent_reader_loses_nothing():
    with python_streams_on_fds():
        batches, per_batch = 20, 1_000
        collected: list[str] = []
        seen = threading.Condition()
        stop = threading.Event()

        with capture_output("fd") as captured:

            def heartbeat() -> None:
                for _ in range(1_000_000):
                    if stop.is_set():
                        return
                    piece = captured.read_new()
                    with seen:
                        collected.append(piece)
                        seen.notify_all()
                    time.sleep(0.0005)

            beat = threading.Thread(target=heartbeat)
            beat.start()
            try:
                for b in range(batches):
                    for i in range(per_batch):
                        print(f"line {b * per_batch + i}")
                    sys.stdout.flush()
                    last = f"line {b * per_batch + per_batch - 1}\n"
                    # let the reader take this batch before writing the next one
                    with seen:
                        seen.wait_for(lambda last=last: "".join(collected).endswith(last), timeout=30)
            finally:
                stop.set()
                beat.join(30)
        collected.append(captured.read_new())
        lines = batches * per_batch
        assert "".join(collected).splitlines() == [f"line {i}" for i in range(lines)]
        assert len([piece for piece in collected if piece]) >= batches


def test_nested_fd_captures_both_see_the_inner_output():
    with stderr_joined_to_stdout(), python_streams_on_fds():
        with capture_output("fd") as outer:
            os.write(1, b"outer only\n")
            with capture_output("fd") as inner:
                os.write(2, b"both\n")
                print("both, printed")
            os.write(1, b"outer again\n")
        assert inner.read_new() == "both\nboth, printed\n"
        assert outer.read_new() == "outer only\nboth\nboth, printed\nouter again\n"


def test_fd_mode_gives_up_on_a_child_that_keeps_the_pipe_open(caplog):
    with python_streams_on_fds():
        caplog.set_level(logging.DEBUG, logger="sacred.capture")
        child = None
        try:
            with capture_output("fd", drain_timeout=0.3) as captured:
                child = subprocess.Popen(["sh", "-c", "echo early; exec sleep 60"])
                for _ in range(400):  # wait (bounded) until the child wrote its line
                    if "early" in captured.read_new():
                        break
                    time.sleep(0.01)
                else:
                    pytest.fail("the child's output never arrived")
                print("after the child started")
            assert child.poll() is None  # it really still holds the pipe
        finally:
            if child is not None:
                child.kill()
                child.wait(10)
        assert captured.read_new() == "after the child started\n"
        assert any("a child process probably still holds" in r.getMessage() for r in caplog.records)


def test_fd_mode_captures_output_of_a_child_that_ends_after_the_body():
    with python_streams_on_fds():
        with capture_output("fd", drain_timeout=20) as captured:
            subprocess.Popen(["sh", "-c", "sleep 0.2; echo late child"])
        assert captured.read_new() == "late child\n"


# ------------------------------------------------------- nothing left behind


def readers_of_earlier_captures_done() -> None:
    """Wait (bounded) until every capture reader thread is parked: an earlier test's
    reader still polling closes its read ends when it stops, inside a later snapshot."""
    from sacred.capture import _reader_threads

    readers = _reader_threads()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        alive = sum(t.name == "sacred-capture-fd" for t in threading.enumerate())
        if len(readers._idle) >= alive:
            return
        time.sleep(0.01)


def threads_end_up_within(threads_before: set) -> bool:
    """True once no thread is alive that was not before (a reader thread waits ~1 s for reuse)."""
    deadline = time.monotonic() + 30
    while not set(threading.enumerate()) <= threads_before and time.monotonic() < deadline:
        time.sleep(0.05)
    return set(threading.enumerate()) <= threads_before


def test_consecutive_fd_captures_reuse_one_reader_thread():
    from sacred.capture import _reader_threads

    readers = _reader_threads()
    deadline = time.monotonic() + 30
    while any(t.name == "sacred-capture-fd" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)  # readers of earlier tests end after a second without work
    with python_streams_on_fds():
        idents = []
        for i in range(3):
            with capture_output("fd") as captured:
                os.write(1, b"%d\n" % i)
                idents.append({t.ident for t in threading.enumerate() if t.name == "sacred-capture-fd"})
            assert captured.read_new() == f"{i}\n"
            deadline = time.monotonic() + 30
            while not readers._idle and time.monotonic() < deadline:  # its reader is waiting
                time.sleep(0.01)
        assert len(idents[0]) == 1 and idents[1] == idents[0] and idents[2] == idents[0]


@pytest.mark.parametrize("mode", CAPTURE_MODES)
def test_no_thread_or_descriptor_is_left_behind(mode):
    readers_of_earlier_captures_done()
    with python_streams_on_fds():
        fds_before = open_fds()
        threads_before = set(threading.enumerate())
        for _ in range(3):
            with capture_output(mode) as captured:
                print("x")
                os.write(1, b"y\n")
                subprocess.run(["true"], check=True)
                captured.read_new()
            captured.read_new()
        assert threads_end_up_within(threads_before)
        assert open_fds() == fds_before  # a read end still polled is closed by its reader


def test_short_fd_captures_in_a_row_never_wait_for_a_reader_thread(caplog):
    """A closed capture's read end is not closed under its reader thread's poll.

    Closed there, its number went at once to the next capture's pipe (its
    write end, even); the poll held that write end, so the next pipe reached
    end of file only when the poll timed out: one close in ~25 waited 200 ms in a loop of short runs.
    """
    caplog.set_level(logging.DEBUG, logger="sacred.capture")
    with python_streams_on_fds():
        for i in range(1000):  # about 1 s; before the fix, about 3 closes in 1000 waited
            with capture_output("fd") as captured:
                os.write(1, b"%d\n" % i)
                os.write(2, b"e%d\n" % i)
            assert sorted(captured.read_new().split()) == sorted([str(i), f"e{i}"])
    waits = [r.getMessage() for r in caplog.records if "still open at close" in r.getMessage()]
    assert len(waits) == 0


def test_a_short_fd_capture_is_read_by_its_close_not_by_the_reader_thread(monkeypatch):
    """The reader thread's first look at the pipe waits a moment; a capture closed
    before that is drained by the close, so a short run's reader thread never
    takes the GIL from it (a loop of short runs: 26 -> 15 context switches a run)."""
    from sacred import capture

    reads_by_reader = []
    original = capture._FdCapture._read_available

    def counting(self, max_reads):
        if threading.current_thread() is not threading.main_thread():
            reads_by_reader.append(1)
        return original(self, max_reads)

    monkeypatch.setattr(capture._FdCapture, "_read_available", counting)
    with python_streams_on_fds(), stderr_joined_to_stdout():  # one pipe
        for i in range(50):
            with capture_output("fd") as captured:
                os.write(1, b"%d\n" % i)
                time.sleep(0.001)  # a run of a millisecond: its reader thread used to read it
            assert captured.read_new() == f"{i}\n"
    assert len(reads_by_reader) <= 10  # 0 here; a busy machine may delay a close past the moment


def test_with_two_pipes_the_reader_keeps_the_order_across_them_from_the_start(monkeypatch):
    """With stdout and stderr led apart, a short run's stderr log line written before its
    print comes first in the capture: the reader reads at once instead of leaving both
    pipes to the close, which drains one and then the other."""
    from sacred import capture

    monkeypatch.setattr(capture, "_FIRST_READ_DELAY", 30.0)  # were it applied, the close would read
    with python_streams_on_fds():
        assert not os.path.samestat(os.fstat(1), os.fstat(2))  # pytest leads them apart
        with capture_output("fd") as captured:
            os.write(2, b"log line\n")
            deadline = time.monotonic() + 10
            while not captured._pieces and time.monotonic() < deadline:  # the reader took it
                time.sleep(0.005)
            os.write(1, b"print\n")
        assert captured.read_new() == "log line\nprint\n"


def test_nothing_is_left_behind_after_giving_up_on_a_child():
    readers_of_earlier_captures_done()
    with python_streams_on_fds():
        fds_before = open_fds()
        threads_before = set(threading.enumerate())
        child = None
        try:
            with capture_output("fd", drain_timeout=0.1):
                child = subprocess.Popen(["sleep", "60"])
        finally:
            if child is not None:
                child.kill()
                child.wait(10)
        assert threads_end_up_within(threads_before)
        assert open_fds() == fds_before  # the read ends it still polled are closed by the reader


# ------------------------------------------- whole programs, 100,000 lines

PROGRAM = textwrap.dedent(
    """
    import json, os, sys, threading, time
    from sacred.capture import capture_output

    mode, count, result_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    fds_before = len(os.listdir("/proc/self/fd"))
    threads_before = len(threading.enumerate())
    pieces = []
    with capture_output(mode) as captured:
        for i in range(count):
            print(f"line {i}")
            if i % 25000 == 0:
                pieces.append(captured.read_new())
    pieces.append(captured.read_new())
    # the reader thread waits a moment for a next capture, then ends
    deadline = time.monotonic() + 30
    while len(threading.enumerate()) > threads_before and time.monotonic() < deadline:
        time.sleep(0.05)
    result = {
        "text": "".join(pieces),
        "fds_left": len(os.listdir("/proc/self/fd")) - fds_before,
        "threads_left": len(threading.enumerate()) - threads_before,
    }
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(result, f)
    """
)


@pytest.mark.parametrize("unbuffered", [False, True], ids=["block-buffered", "unbuffered"])
@pytest.mark.parametrize("mode", ["sys", "fd"])
def test_a_program_printing_100000_lines_has_all_of_them_captured_in_order(
    mode, unbuffered, tmp_path
):
    script = tmp_path / "program.py"
    script.write_text(PROGRAM, encoding="utf-8")
    result_path = tmp_path / "result.json"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONIOENCODING": "utf-8"}
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    count = 100_000
    proc = subprocess.run(
        [sys.executable, str(script), mode, str(count), str(result_path)],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    expected = "".join(f"line {i}\n" for i in range(count))
    result = json.loads(result_path.read_text(encoding="utf-8"))
    assert result["text"] == expected
    assert proc.stdout.decode() == expected  # still shown on the terminal
    assert result["fds_left"] == 0
    assert result["threads_left"] == 0


C_STDIO_PROGRAM = textwrap.dedent(
    """
    import ctypes, json, sys
    from sacred.capture import capture_output

    libc = ctypes.CDLL(None)
    with capture_output("fd") as captured:
        libc.printf(b"in C, before read_new\\n")
        first = captured.read_new()
        libc.printf(b"in C, before exit\\n")
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump([first, captured.read_new()], f)
    """
)


def test_fd_mode_flushes_output_buffered_by_c_stdio(tmp_path):
    script = tmp_path / "c_program.py"
    script.write_text(C_STDIO_PROGRAM, encoding="utf-8")
    result_path = tmp_path / "result.json"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("PYTHONUNBUFFERED", None)  # it would make C stdio unbuffered too
    proc = subprocess.run(
        [sys.executable, str(script), str(result_path)],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    first, rest = json.loads(result_path.read_text(encoding="utf-8"))
    assert first == "in C, before read_new\n"
    assert rest == "in C, before exit\n"


CLOSED_STDOUT_PROGRAM = textwrap.dedent(
    """
    import json, os, sys
    from sacred.capture import capture_output

    with capture_output("fd") as captured:
        os.write(1, b"to the closed stdout\\n")
        os.write(2, b"to stderr\\n")
    try:
        os.fstat(1)
        stdout_state = "open"
    except OSError:
        stdout_state = "closed"
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump([captured.read_new(), stdout_state], f)
    """
)


def test_fd_mode_works_when_the_program_started_with_stdout_closed(tmp_path):
    script = tmp_path / "closed_stdout.py"
    script.write_text(CLOSED_STDOUT_PROGRAM, encoding="utf-8")
    result_path = tmp_path / "result.json"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = f'exec "{sys.executable}" "{script}" "{result_path}" >&-'
    proc = subprocess.run(
        ["sh", "-c", command], capture_output=True, env=env, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    text, stdout_state = json.loads(result_path.read_text(encoding="utf-8"))
    assert text == "to the closed stdout\nto stderr\n"
    assert stdout_state == "closed"  # restored as it was


BROKEN_TERMINAL_PROGRAM = textwrap.dedent(
    """
    import json, os, sys
    from sacred.capture import capture_output

    with capture_output("fd") as captured:
        for i in range(20000):
            os.write(1, f"line {i}\\n".encode())
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(captured.read_new(), f)
    """
)


def test_fd_mode_keeps_capturing_when_the_original_stdout_goes_away(tmp_path):
    script = tmp_path / "broken_terminal.py"
    script.write_text(BROKEN_TERMINAL_PROGRAM, encoding="utf-8")
    result_path = tmp_path / "result.json"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(script), str(result_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        assert child.stdout.readline() == b"line 0\n"
        child.stdout.close()  # like `program | head -1`
        assert child.wait(60) == 0
    finally:
        child.kill()
        child.wait(10)
    text = json.loads(result_path.read_text(encoding="utf-8"))
    assert text.splitlines() == [f"line {i}" for i in range(20000)]

"""TelegramObserver against a real local HTTP server standing in for the Bot API.

The observer talks to ``{api_base}/bot{token}/sendMessage``; here ``api_base``
is the loopback recorder (tests/fixtures/http_recorder.py). Proxy tests send
through the recorder as an HTTP proxy and through a small SOCKS5 server
written below, towards a host name that is never resolved or contacted.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import struct
import sys
import threading
import time
from datetime import datetime, timedelta

import pytest
import yaml

from sacred.observers import TelegramObserver

TOKEN = "123456:SECRET-TOKEN-abcdef"
T0 = datetime(2024, 5, 1, 12, 0, 0)
EX_INFO = {"name": "tg_exp", "base_dir": "/tmp", "sources": [], "dependencies": []}
OK = {"ok": True, "result": {"message_id": 1}}


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch):
    """Loopback must be reached directly unless a test sets a proxy itself."""
    for var in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def api(http_recorder):
    http_recorder.answer(200, OK)
    return http_recorder


def start(obs):
    obs.started_event(
        ex_info=EX_INFO,
        command="main",
        host_info={"hostname": "box"},
        start_time=T0,
        config={"seed": 1},
        meta_info={},
        _id=1,
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_all_events_reach_the_bot_api_with_the_documented_notification_levels(api):
    obs = TelegramObserver(TOKEN, chat_id=4242, api_base=api.url)
    start(obs)
    obs.completed_event(stop_time=T0 + timedelta(seconds=65), result=42)
    obs.interrupted_event(interrupt_time=T0 + timedelta(seconds=5), status="INTERRUPTED")
    obs.failed_event(
        fail_time=T0 + timedelta(seconds=5), fail_trace=["Traceback...\n", "ValueError: boom\n"]
    )
    reqs = api.wait_for(4)
    assert {r.path for r in reqs} == {f"/bot{TOKEN}/sendMessage"}
    assert {r.method for r in reqs} == {"POST"}
    bodies = [r.json() for r in reqs]
    assert bodies == [
        {
            "chat_id": 4242,
            "parse_mode": "Markdown",
            "disable_notification": True,
            "text": "♻ *tg_exp* started at _2024-05-01 12:00:00_ on host `box`",
        },
        {
            "chat_id": 4242,
            "parse_mode": "Markdown",
            "disable_notification": False,
            "text": "✅ *tg_exp* completed after _1 minute, 5 seconds_ with result=`42`",
        },
        {
            "chat_id": 4242,
            "parse_mode": "Markdown",
            "disable_notification": False,
            "text": "⚠ *tg_exp* interrupted after _5 seconds_",
        },
        {
            "chat_id": 4242,
            "parse_mode": "Markdown",
            "disable_notification": False,
            "text": "❌ *tg_exp* failed after _5 seconds_ with `ValueError: boom`\n\n"
            "Backtrace:\n```Traceback...\nValueError: boom\n```",
        },
    ]


def test_silent_completion_only_silences_completion(api):
    obs = TelegramObserver(TOKEN, chat_id=1, silent_completion=True, api_base=api.url)
    start(obs)
    obs.completed_event(stop_time=T0, result=None)
    obs.failed_event(fail_time=T0, fail_trace=["E\n"])
    silent = [r.json()["disable_notification"] for r in api.wait_for(3)]
    assert silent == [True, True, False]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_from_config_with_texts_and_null(tmp_path, api, suffix):
    config = {
        "token": TOKEN,
        "chat_id": "@my_channel",
        "silent_completion": True,
        "api_base": api.url,
        "started_text": None,
        "completed_text": "{ex_info[name]} done: {result}",
    }
    path = tmp_path / f"telegram{suffix}"
    path.write_text(json.dumps(config) if suffix == ".json" else yaml.safe_dump(config))
    obs = TelegramObserver.from_config(str(path))
    assert obs.silent_completion is True and obs.chat_id == "@my_channel"
    start(obs)  # started_text null: nothing
    obs.completed_event(stop_time=T0, result=7)
    (req,) = api.wait_for(1)
    time.sleep(0.05)
    assert len(api.requests) == 1
    assert req.json()["text"] == "tg_exp done: 7"
    assert req.json()["chat_id"] == "@my_channel"


def test_from_config_errors_name_the_keys(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"token": TOKEN}))
    with pytest.raises(ValueError, match=r"lacks the key\(s\) chat_id"):
        TelegramObserver.from_config(path)
    path.write_text(json.dumps({"token": TOKEN, "chat_id": 1, "proxy": "x"}))
    with pytest.raises(ValueError, match=r"unknown key\(s\) proxy.*proxy_url"):
        TelegramObserver.from_config(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bot": "", "chat_id": 1}, "bot token must be"),
        ({"bot": "12 34", "chat_id": 1}, "bot token must be"),
        ({"bot": 12345, "chat_id": 1}, "bot must be a bot token string"),
        ({"bot": TOKEN, "chat_id": 1.5}, "chat_id must be"),
        ({"bot": TOKEN, "chat_id": 1, "silent_completion": "yes"}, "silent_completion must be"),
        ({"bot": TOKEN, "chat_id": 1, "proxy_url": "ftp://p:1"}, "proxy_url must look like"),
        ({"bot": TOKEN, "chat_id": 1, "username": "u"}, "give proxy_url too"),
        ({"bot": TOKEN, "chat_id": 1, "api_base": "api.telegram.org"}, "api_base must be"),
    ],
)
def test_bad_arguments_get_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        TelegramObserver(**kwargs)
    assert "SECRET-TOKEN" not in str(info.value)


@pytest.mark.parametrize(
    "failure", ["http-500", "api-refuses", "closed-port", "timeout", "not-json"]
)
def test_failures_only_warn_and_never_leak_the_token(http_recorder, caplog, failure):
    api_base = http_recorder.url
    timeout = 5.0
    if failure == "http-500":
        http_recorder.answer(500, {"ok": False, "description": f"boom for /bot{TOKEN}/"})
    elif failure == "api-refuses":
        http_recorder.answer(
            403,
            {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            },
        )
    elif failure == "closed-port":
        api_base = f"http://127.0.0.1:{closed_port()}"
    elif failure == "timeout":
        http_recorder.delay = 3.0
        timeout = 0.3
    else:
        http_recorder.answer(200, "<html>proxy page</html>")
    obs = TelegramObserver(TOKEN, chat_id=1, api_base=api_base, timeout=timeout)
    began = time.monotonic()
    with caplog.at_level(logging.DEBUG):
        start(obs)
        obs.failed_event(fail_time=T0, fail_trace=["E\n"])
    assert time.monotonic() - began < 6  # two short timeouts at most
    assert caplog.text.count("TelegramObserver could not send the") == 2
    assert "SECRET-TOKEN" not in caplog.text
    assert "SECRET-TOKEN" not in repr(obs) + repr(obs.run)
    if failure == "api-refuses":
        assert "bot was blocked by the user" in caplog.text


def test_unparsable_markdown_is_resent_as_plain_text(api):
    api.answer(
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: can't parse entities: Can't find end of the entity",
        },
    )
    obs = TelegramObserver(
        TOKEN, chat_id=1, api_base=api.url, started_text=None, completed_text="*{result}"
    )
    start(obs)
    obs.completed_event(stop_time=T0, result="a_b")
    reqs = api.wait_for(2)
    assert "parse_mode" in reqs[0].json()
    assert "parse_mode" not in reqs[1].json()
    assert reqs[1].json()["text"] == "*a_b"


def test_explicit_http_proxy_with_credentials(http_recorder):
    http_recorder.answer(200, OK)
    obs = TelegramObserver(
        TOKEN,
        chat_id=1,
        api_base="http://api.telegram.invalid",
        proxy_url=http_recorder.url + "/",
        username="alice",
        password="p@ss:word",
        started_text="hello",
    )
    assert "p@ss" not in repr(obs)
    start(obs)
    (req,) = http_recorder.wait_for(1)
    assert req.path == f"http://api.telegram.invalid/bot{TOKEN}/sendMessage"
    expected = base64.b64encode(b"alice:p@ss:word").decode()
    assert req.headers["Proxy-Authorization"] == f"Basic {expected}"
    assert req.json()["text"] == "hello"


def test_proxy_from_environment_is_honoured(http_recorder, monkeypatch):
    http_recorder.answer(200, OK)
    monkeypatch.setenv("http_proxy", http_recorder.url)
    obs = TelegramObserver(
        TOKEN, chat_id=1, api_base="http://api.telegram.invalid", started_text="env"
    )
    start(obs)
    (req,) = http_recorder.wait_for(1)
    assert req.path.startswith("http://api.telegram.invalid/bot")


def test_failing_proxy_password_never_logged(caplog):
    obs = TelegramObserver(
        TOKEN,
        chat_id=1,
        proxy_url=f"http://127.0.0.1:{closed_port()}",
        username="bob",
        password="hunter2-secret",
    )
    with caplog.at_level(logging.DEBUG):
        start(obs)
    assert "could not send" in caplog.text
    assert "hunter2-secret" not in caplog.text and "SECRET-TOKEN" not in caplog.text


class Socks5Server:
    """A minimal SOCKS5 server (CONNECT, optional username/password) on loopback.

    It only relays to ``127.0.0.1:target_port`` whatever host name the client
    asks for, and remembers the requested host, port and credentials.
    """

    def __init__(self, target_port: int, credentials: tuple[bytes, bytes] | None):
        self.target_port = target_port
        self.credentials = credentials
        self.seen: list[tuple] = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    @staticmethod
    def _recv(sock, n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _handle(self, client):
        client.settimeout(5)
        with client:
            _, nmethods = self._recv(client, 2)
            methods = self._recv(client, nmethods)
            user = pw = None
            if self.credentials:
                if 2 not in methods:
                    client.sendall(b"\x05\xff")
                    return
                client.sendall(b"\x05\x02")
                self._recv(client, 1)
                user = self._recv(client, self._recv(client, 1)[0])
                pw = self._recv(client, self._recv(client, 1)[0])
                ok = (user, pw) == self.credentials
                client.sendall(b"\x01\x00" if ok else b"\x01\x01")
                if not ok:
                    return
            else:
                client.sendall(b"\x05\x00")
            _, cmd, _, atyp = self._recv(client, 4)
            if atyp == 3:
                host = self._recv(client, self._recv(client, 1)[0]).decode()
            else:
                host = socket.inet_ntoa(self._recv(client, 4)) if atyp == 1 else "v6"
            (port,) = struct.unpack("!H", self._recv(client, 2))
            self.seen.append((host, port, user, pw))
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            client.sendall(
                b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", 0)
            )
            with upstream:
                self._relay(client, upstream)

    @staticmethod
    def _relay(a, b):
        def pump(src, dst):
            try:
                while chunk := src.recv(65536):
                    dst.sendall(chunk)
            except OSError:
                pass
            finally:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        other = threading.Thread(target=pump, args=(b, a), daemon=True)
        other.start()
        pump(a, b)
        other.join(timeout=5)

    def stop(self):
        self.stopped.set()
        self.listener.close()
        self.thread.join(timeout=5)


@pytest.mark.parametrize("credentials", [None, (b"carol", b"s0cks-secret")])
def test_socks5_proxy(http_recorder, credentials, caplog):
    http_recorder.answer(200, OK)
    socks = Socks5Server(http_recorder.port, credentials)
    try:
        kwargs = {}
        if credentials:
            kwargs = {"username": credentials[0].decode(), "password": credentials[1].decode()}
        obs = TelegramObserver(
            TOKEN,
            chat_id=1,
            api_base="http://api.telegram.invalid:8081",
            proxy_url=f"socks5://127.0.0.1:{socks.port}",
            started_text="via socks",
            **kwargs,
        )
        with caplog.at_level(logging.WARNING):
            start(obs)
        (req,) = http_recorder.wait_for(1)
        assert req.json()["text"] == "via socks"
        assert req.path == f"/bot{TOKEN}/sendMessage"
        assert socks.seen == [("api.telegram.invalid", 8081) + (credentials or (None, None))]
        assert caplog.text == ""
    finally:
        socks.stop()


def test_socks5_wrong_password_only_warns(http_recorder, caplog):
    socks = Socks5Server(http_recorder.port, (b"carol", b"right"))
    try:
        obs = TelegramObserver(
            TOKEN,
            chat_id=1,
            api_base="http://api.telegram.invalid",
            proxy_url=f"socks5://127.0.0.1:{socks.port}",
            username="carol",
            password="wrong-secret",
        )
        with caplog.at_level(logging.WARNING):
            start(obs)
        assert "rejected the username/password" in caplog.text
        assert "wrong-secret" not in caplog.text
        assert http_recorder.requests == []
    finally:
        socks.stop()


def test_a_bot_object_is_used_as_is():
    class FakeBot:  # stands in for python-telegram-bot's Bot (not installed)
        def __init__(self):
            self.calls = []

        def send_message(self, **kwargs):
            self.calls.append(kwargs)

    bot = FakeBot()
    obs = TelegramObserver(bot, chat_id=9)
    start(obs)
    obs.interrupted_event(interrupt_time=T0, status="INTERRUPTED")
    assert [(c["chat_id"], c["disable_notification"], c["parse_mode"]) for c in bot.calls] == [
        (9, True, "Markdown"),
        (9, False, "Markdown"),
    ]


def test_telegram_end_to_end_through_an_experiment(api):
    experiment = pytest.importorskip("sacred.experiment")
    ex = experiment.Experiment("tg_e2e")

    @ex.main
    def main():
        raise RuntimeError("nope")

    ex.observers.append(TelegramObserver(TOKEN, chat_id=3, api_base=api.url))
    with pytest.raises(RuntimeError):
        ex.run()
    reqs = api.wait_for(2)
    assert [r.json()["disable_notification"] for r in reqs] == [True, False]
    assert "tg_e2e" in reqs[1].json()["text"] and "RuntimeError: nope" in reqs[1].json()["text"]


def test_socks5_proxy_without_pysocks_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "socks", None)  # import socks -> ImportError
    with pytest.raises(ImportError, match=r"PySocks.*pip install sacred\[socks\]"):
        TelegramObserver(TOKEN, chat_id=1, proxy_url="socks5://127.0.0.1:1080")

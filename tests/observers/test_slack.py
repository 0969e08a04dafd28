"""SlackObserver against a real local HTTP server (tests/fixtures/http_recorder.py)."""

from __future__ import annotations

import json
import logging
import pickle
import re
import socket
import time
from datetime import datetime, timedelta

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from sacred.observers.slack import SlackObserver, format_elapsed_time
from sacred.utils import SacredError

T0 = datetime(2024, 5, 1, 12, 0, 0)
EX_INFO = {"name": "my_exp", "base_dir": "/tmp", "sources": [], "dependencies": []}
SECRET_PATH = "/services/T00000000/B00000000/SECRETSECRETSECRET"


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch):
    """Loopback must be reached directly even if the machine sets proxies."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


def webhook(recorder) -> str:
    return recorder.url + SECRET_PATH


def start(obs, ex_info=EX_INFO):
    obs.started_event(
        ex_info=ex_info,
        command="main",
        host_info={"hostname": "box"},
        start_time=T0,
        config={"a": 1, "seed": 3},
        meta_info={},
        _id=7,
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_defaults_match_sacred_087():
    obs = SlackObserver("https://hooks.slack.com/services/x")
    assert obs.bot_name == "sacred-bot"
    assert obs.icon == ":angel:"
    assert obs.priority == 10
    assert obs.completed_text == (
        ":white_check_mark: *{experiment[name]}* completed after _{elapsed_time}_ "
        "with result=`{result}`"
    )
    assert (
        obs.interrupted_text == ":warning: *{experiment[name]}* interrupted after _{elapsed_time}_"
    )
    assert (
        obs.failed_text == ":x: *{experiment[name]}* failed after _{elapsed_time}_ with `{error}`"
    )


def test_completed_posts_json_to_the_webhook(http_recorder):
    obs = SlackObserver(webhook(http_recorder), bot_name="my-bot", icon=":imp:")
    start(obs)
    assert http_recorder.requests == []  # nothing on start
    obs.completed_event(stop_time=T0 + timedelta(seconds=65), result=42)
    (req,) = http_recorder.wait_for(1)
    assert req.method == "POST"
    assert req.path == SECRET_PATH
    assert req.headers["Content-Type"] == "application/json"
    assert req.json() == {
        "username": "my-bot",
        "icon_emoji": ":imp:",
        "text": ":white_check_mark: *my_exp* completed after _1 minute, 5 seconds_ with result=`42`",
    }


def test_failed_and_interrupted_use_their_templates(http_recorder):
    obs = SlackObserver(webhook(http_recorder))
    start(obs)
    obs.failed_event(
        fail_time=T0 + timedelta(seconds=2),
        fail_trace=["Traceback (most recent call last):\n", "ValueError: boom\n"],
    )
    obs.interrupted_event(interrupt_time=T0 + timedelta(hours=1), status="INTERRUPTED")
    texts = [r.json()["text"] for r in http_recorder.wait_for(2)]
    assert texts == [
        ":x: *my_exp* failed after _2 seconds_ with `ValueError: boom`",
        ":warning: *my_exp* interrupted after _1 hour_",
    ]


def test_custom_templates_see_ex_info_result_error_and_more(http_recorder):
    obs = SlackObserver(
        webhook(http_recorder),
        completed_text="YAY! {ex_info[name]} completed with result=`{result}` in {elapsed_time} "
        "(cmd {command}, id {_id}, a={config[a]}, host {host_info[hostname]}, "
        "{start_time:%H:%M} to {stop_time:%H:%M})",
        failed_text="Oh noes! {ex_info[name]} failed saying `{error}`; {fail_trace[0]}",
        interrupted_text="{experiment[name]} {status} at {interrupt_time:%Y}",
    )
    start(obs)
    obs.completed_event(stop_time=T0 + timedelta(minutes=2), result={"acc": 0.5})
    obs.failed_event(fail_time=T0, fail_trace=["first\n", "KeyError: 'x'\n"])
    obs.interrupted_event(interrupt_time=T0, status="TIMEOUT")
    texts = [r.json()["text"] for r in http_recorder.wait_for(3)]
    assert texts == [
        "YAY! my_exp completed with result=`{'acc': 0.5}` in 2 minutes "
        "(cmd main, id 7, a=1, host box, 12:00 to 12:02)",
        "Oh noes! my_exp failed saying `KeyError: 'x'`; first\n",
        "my_exp TIMEOUT at 2024",
    ]


def test_none_text_sends_nothing_for_that_event(http_recorder):
    obs = SlackObserver(webhook(http_recorder), interrupted_text=None)
    start(obs)
    obs.interrupted_event(interrupt_time=T0, status="INTERRUPTED")
    obs.completed_event(stop_time=T0, result=1)
    reqs = http_recorder.wait_for(1)
    time.sleep(0.05)
    assert len(http_recorder.requests) == 1
    assert "completed" in reqs[0].json()["text"]


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".pickle"])
def test_from_config_reads_json_yaml_and_pickle(tmp_path, http_recorder, suffix):
    config = {
        "webhook_url": webhook(http_recorder),
        "icon": ":imp:",
        "bot_name": "my-sacred-bot",
        "completed_text": "YAY! {ex_info[name]} completed with result=`{result}`",
        "interrupted_text": None,
        "failed_text": "Oh noes! {ex_info[name]} failed saying `{error}`",
    }
    path = tmp_path / f"slack{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(config))
    elif suffix == ".yaml":
        path.write_text(yaml.safe_dump(config))
    else:
        path.write_bytes(pickle.dumps(config))
    obs = SlackObserver.from_config(str(path))
    assert (obs.bot_name, obs.icon, obs.interrupted_text) == ("my-sacred-bot", ":imp:", None)
    start(obs)
    obs.interrupted_event(interrupt_time=T0, status="INTERRUPTED")  # null: nothing sent
    obs.completed_event(stop_time=T0, result=3)
    obs.failed_event(fail_time=T0, fail_trace=["E: x\n"])
    reqs = http_recorder.wait_for(2)
    assert [r.json()["text"] for r in reqs] == [
        "YAY! my_exp completed with result=`3`",
        "Oh noes! my_exp failed saying `E: x`",
    ]
    assert reqs[0].json()["username"] == "my-sacred-bot"


def test_from_config_names_missing_and_unknown_keys(tmp_path):
    missing = tmp_path / "a.json"
    missing.write_text(json.dumps({"icon": ":x:"}))
    with pytest.raises(ValueError, match=r"lacks the key\(s\) webhook_url.*accepted keys"):
        SlackObserver.from_config(missing)
    unknown = tmp_path / "b.json"
    unknown.write_text(json.dumps({"webhook_url": "https://h/x", "colour": "red"}))
    with pytest.raises(ValueError, match=r"unknown key\(s\) colour.*accepted keys: webhook_url"):
        SlackObserver.from_config(unknown)
    broken = tmp_path / "c.json"
    broken.write_text("{")
    with pytest.raises(SacredError, match="c.json"):
        SlackObserver.from_config(broken)


def test_bad_webhook_url_is_refused_without_echoing_it():
    with pytest.raises(ValueError, match="http:// or https://") as info:
        SlackObserver("ftp://secret-host/SECRETPART")
    assert "SECRETPART" not in str(info.value)
    with pytest.raises(ValueError, match="non-empty"):
        SlackObserver("")


def test_broken_template_warns_and_falls_back_to_default(http_recorder, caplog):
    # the spec's own example lacks a closing brace
    obs = SlackObserver(
        webhook(http_recorder), completed_text="YAY! {ex_info[name] completed with `{result}`"
    )
    start(obs)
    with caplog.at_level(logging.WARNING):
        obs.completed_event(stop_time=T0, result=1)
    (req,) = http_recorder.wait_for(1)
    assert req.json()["text"].startswith(":white_check_mark: *my_exp* completed")
    assert "completed_text" in caplog.text and "default message" in caplog.text


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda rec: rec.answer(500, "no_service " + SECRET_PATH), id="http-500"),
        pytest.param(lambda rec: rec.answer(404, "invalid_token"), id="http-404"),
    ],
)
def test_http_errors_only_warn_and_never_leak_the_url(http_recorder, caplog, answer):
    answer(http_recorder)
    obs = SlackObserver(webhook(http_recorder))
    start(obs)
    with caplog.at_level(logging.DEBUG):
        obs.completed_event(stop_time=T0, result=1)  # must not raise
    assert "could not send the completed notification" in caplog.text
    assert re.search(r"HTTP (500|404)", caplog.text)
    assert SECRET_PATH not in caplog.text
    assert "SECRETSECRETSECRET" not in caplog.text
    assert "SECRETSECRETSECRET" not in repr(obs) + repr(obs.run)


def test_unreachable_endpoint_only_warns(caplog):
    url = f"http://127.0.0.1:{closed_port()}{SECRET_PATH}"
    obs = SlackObserver(url)
    start(obs)
    with caplog.at_level(logging.WARNING):
        obs.failed_event(fail_time=T0, fail_trace=["E\n"])
    assert "cannot reach the endpoint" in caplog.text
    assert "SECRETSECRETSECRET" not in caplog.text


def test_slow_endpoint_times_out_quickly(http_recorder, caplog):
    http_recorder.delay = 3.0
    obs = SlackObserver(webhook(http_recorder), timeout=0.3)
    start(obs)
    began = time.monotonic()
    with caplog.at_level(logging.WARNING):
        obs.completed_event(stop_time=T0, result=1)
    assert time.monotonic() - began < 2.5  # gave up long before the server answered
    assert "could not send" in caplog.text
    assert "SECRETSECRETSECRET" not in caplog.text


def test_invalid_timeout_and_text_types_are_refused():
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        SlackObserver("https://h/x", timeout=0)
    with pytest.raises(ValueError, match="completed_text must be a format string or None"):
        SlackObserver("https://h/x", completed_text=5)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.5, "less than a second"),
        (1, "1 second"),
        (1.5, "1 second"),
        (2, "2 seconds"),
        (60, "1 minute"),
        (61, "1 minute, 1 second"),
        (3600, "1 hour"),
        (3661, "1 hour, 1 minute, 1 second"),
        (86399, "23 hours, 59 minutes, 59 seconds"),
        (90000, "1 day, 1 hour"),
        (10**6, "11 days, 13 hours, 46 minutes, 40 seconds"),
    ],
)
def test_elapsed_time_reads_like_sacred_087(seconds, text):
    assert format_elapsed_time(seconds) == text


@given(st.integers(min_value=1, max_value=10**9))
def test_elapsed_time_adds_up(seconds):
    sizes = {"day": 86400, "hour": 3600, "minute": 60, "second": 1}
    total = 0
    for part in format_elapsed_time(seconds).split(", "):
        count, unit = part.split(" ")
        assert (int(count) == 1) == (not unit.endswith("s"))
        total += int(count) * sizes[unit.rstrip("s")]
    assert total == seconds


def test_slack_end_to_end_through_an_experiment(http_recorder, caplog):
    experiment = pytest.importorskip("sacred.experiment")
    ex = experiment.Experiment("slack_e2e")

    @ex.main
    def main():
        return 5

    http_recorder.answer(500, "down")
    ex.observers.append(
        SlackObserver(webhook(http_recorder), completed_text="{ex_info[name]}={result}")
    )
    with caplog.at_level(logging.WARNING):
        run = ex.run()  # the failing endpoint does not fail the run
    assert run.status == "COMPLETED"
    (req,) = http_recorder.wait_for(1)
    assert req.json()["text"] == "slack_e2e=5"
    assert "SECRETSECRETSECRET" not in caplog.text


def test_from_config_warns_about_a_pickle_and_can_refuse_it(tmp_path, caplog):
    from sacred.settings import SETTINGS
    from sacred.utils import ConfigError

    path = tmp_path / "slack.pickle"
    path.write_bytes(pickle.dumps({"webhook_url": "https://hooks.example/T/B/x"}))
    with caplog.at_level(logging.WARNING):
        SlackObserver.from_config(str(path))
    assert f'Loading the pickle config file "{path}"' in caplog.text
    SETTINGS.CONFIG.ALLOW_PICKLE_FILES = False
    try:
        with pytest.raises(ConfigError, match="Refusing to load the pickle config file"):
            SlackObserver.from_config(str(path))
    finally:
        SETTINGS.CONFIG.ALLOW_PICKLE_FILES = True

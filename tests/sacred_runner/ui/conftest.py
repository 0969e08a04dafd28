"""Fixtures of the web view's tests: a store written by real runs, a real `sacred ui` server, Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.fixtures.processes import stop_process

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory):
    """A FileStorage store written by real experiments; ``{"path": ..., role: run id}``.

    Written in a child process, as a user's script would, so the runs capture
    their real stdout (pytest's capture is not in the way).
    """
    root = tmp_path_factory.mktemp("ui-store")
    code = ("import json, sys; from pathlib import Path; "
            "from tests.sacred_runner.ui.stores import build_store; "
            "print(json.dumps(build_store(Path(sys.argv[1]))))")
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True,
                          cwd=REPO, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


class UiServer:
    """A `sacred ui` process on a free loopback port, stopped by its PID."""

    def __init__(self, stores: list[str], extra: list[str] = ()) -> None:
        args = [sys.executable, "-m", "sacred_runner", "ui", "--port", "0", "--poll", "0.5"]
        for store in stores:
            args += ["--store", store]
        self.process = subprocess.Popen([*args, *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, cwd=REPO, stdin=subprocess.DEVNULL)
        self.lines: list[str] = []
        self.url = self._wait_for_url(timeout=60)

    def _wait_for_url(self, timeout: float) -> str:
        found: list[str] = []

        def read() -> None:
            for line in self.process.stdout:
                self.lines.append(line)
                if "serving on " in line and not found:
                    found.append(line.split("serving on ", 1)[1].split()[0])

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not found and self.process.poll() is None:
            time.sleep(0.05)
        if not found:
            self.stop()
            raise RuntimeError("sacred ui did not start: " + "".join(self.lines))
        return found[0].split("?")[0].rstrip("/")

    def stop(self) -> None:
        """Stop the server process (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            stop_process(self.process)


@pytest.fixture(scope="module")
def ui_server(fixture_store):
    """`sacred ui --store <fixture store>` running; its base URL in ``.url``."""
    server = UiServer([fixture_store["path"]])
    yield server
    server.stop()


def browser_missing() -> str | None:
    """Why no browser test can run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            return f"{path} is not installed (Debian packages chromium and chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium driven by Selenium through the installed chromedriver (never downloaded)."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager never downloads anything
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)

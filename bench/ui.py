"""Benchmark of the web view (`sacred ui`), measured in a real browser (headless Chromium).

    python bench/ui.py [--runs 10000,100000] [--points 1000000] [--repeats 3] [--workdir DIR]

Builds FileStorage stores: one real run (FileStorageObserver) cloned in the
on-disk layout into stores of 10,000 and 100,000 runs (varied config, result,
status and final metrics), and one real run that logs a metric of 1,000,000
points. For each, starts `sacred ui` on a free loopback port and measures with
Selenium + Chromium, from navigation start:

* runs table: first contentful paint of ``/s/0/`` (the table is rendered by the
  server, so the first paint shows the rows), after the reader built its index;
* run page: the moment the 1M-point chart has drawn its (LTTB-downsampled)
  points, on the first visit after the server started (series not cached) and
  on later visits (cached).

Targets (issue 17): table of 10,000 runs <= 1 s, of 100,000 runs <= 2 s, run
page with a 1M-point metric <= 1.5 s. sacred 0.8.7 has no web view, so there is
no side-by-side ratio here; figures are absolute, on this machine. Speed never
makes this script fail; exit 2 only when it cannot run (no browser).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results" / "ui.json"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
TARGETS = {"table_10000": 1.0, "table_100000": 2.0, "run_page_1000000": 1.5}
# Installed before each navigation: records when a chart (or the table) has rendered.
PROBE = """
window.__rendered = {};
new MutationObserver(function () {
  document.querySelectorAll('figure.chart[data-loaded]').forEach(function (f) {
    if (!(f.dataset.metric in window.__rendered)) { window.__rendered[f.dataset.metric] = performance.now(); }
  });
}).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['data-loaded']});
"""


def template_run(workdir: Path) -> Path:
    """One real run stored by FileStorageObserver (the clone source)."""
    code = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
from sacred import Experiment
from sacred.observers import FileStorageObserver
ex = Experiment("bench_train", base_dir={str(workdir)!r})
ex.observers.append(FileStorageObserver({str(workdir / 'template')!r}))
@ex.config
def config():
    lr = 0.1
    depth = 4
    optimizer = {{"name": "adam", "beta": 0.9}}
@ex.main
def main(_run, lr):
    for step in range(20):
        _run.log_scalar("loss", lr / (step + 1), step)
    return lr
ex.run()
"""
    _run_script(workdir / "template_experiment.py", code, workdir, timeout=300)
    return workdir / "template" / "1"


def _run_script(path: Path, code: str, workdir: Path, timeout: float) -> None:
    """Run ``code`` as the experiment file ``path`` (as a user would), failing loudly."""
    path.write_text(code)
    done = subprocess.run([sys.executable, str(path)], cwd=workdir, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{path.name} failed:\n{done.stderr[-3000:]}")


def clone_store(template: Path, target: Path, count: int) -> None:
    """A FileStorage store of ``count`` runs, written directly in the layout from ``template``."""
    run = json.loads((template / "run.json").read_text())
    config = json.loads((template / "config.json").read_text())
    shutil.copytree(template.parent / "_sources", target / "_sources")
    rng = random.Random(count)
    start = dt.datetime(2026, 1, 1)
    for number in range(1, count + 1):
        folder = target / str(number)
        folder.mkdir(parents=True)
        began = start + dt.timedelta(minutes=number)
        lr = round(rng.uniform(0.001, 0.5), 4)
        status = rng.choice(["COMPLETED"] * 8 + ["FAILED", "INTERRUPTED"])
        loss = lr / rng.uniform(1, 20)
        run.update(status=status, start_time=began.isoformat(), heartbeat=(began + dt.timedelta(seconds=30)).isoformat(),
                   stop_time=(began + dt.timedelta(seconds=31)).isoformat(), result=loss,
                   artifacts=[])
        config.update(lr=lr, depth=rng.randint(1, 8), seed=number)
        (folder / "run.json").write_text(json.dumps(run))
        (folder / "config.json").write_text(json.dumps(config))
        (folder / "metrics.json").write_text(json.dumps(
            {"loss": {"steps": [0, 1], "values": [lr, loss], "timestamps": [run["start_time"], run["stop_time"]]}}))
        (folder / "cout.txt").write_text(f"run {number}\n")
        (folder / "info.json").write_text("{}")


def million_point_store(workdir: Path, points: int) -> Path:
    """A store with one real run that logged ``points`` values of metric ``signal``."""
    store = workdir / f"points_{points}"
    code = f"""
import math, sys
sys.path.insert(0, {str(REPO)!r})
from sacred import Experiment
from sacred.observers import FileStorageObserver
ex = Experiment("bench_points", base_dir={str(workdir)!r})
ex.observers.append(FileStorageObserver({str(store)!r}))
@ex.main
def main(_run):
    for step in range({points}):
        _run.log_scalar("signal", math.sin(step / 5000.0) + step * 1e-6, step)
ex.run()
"""
    _run_script(workdir / "points_experiment.py", code, workdir, timeout=900)
    return store


class Server:
    """`sacred ui` on a free loopback port."""

    def __init__(self, store: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sacred_runner", "ui", "--store", str(store), "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
        found: list[str] = []

        def read() -> None:
            for line in self.process.stdout:
                if "serving on " in line:
                    found.append(line.split("serving on ", 1)[1].split()[0].rstrip("/"))

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + 120
        while not found and time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.05)
        if not found:
            self.stop()
            raise RuntimeError("sacred ui did not start")
        self.url = found[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def browser(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager never downloads anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(300)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    return driver


def table_paint(driver, url: str) -> float:
    """Seconds from navigation start to the first contentful paint of the runs table."""
    driver.get("about:blank")
    driver.get(url)
    rows = driver.execute_script("return document.querySelectorAll('#runs-body tr.run-row').length")
    if rows == 0:
        raise RuntimeError(f"{url}: the table shows no runs")
    paint = driver.execute_script(
        "var p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null;")
    if paint is None:
        paint = driver.execute_script("return performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
    return paint / 1000


def chart_render(driver, url: str, metric: str, timeout: float = 300) -> float:
    """Seconds from navigation start until ``metric``'s chart has drawn its points."""
    driver.get("about:blank")
    driver.get(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = driver.execute_script(f"return window.__rendered && window.__rendered[{metric!r}]")
        if done:
            points = driver.execute_script(
                f"return +document.querySelector('figure[data-metric={metric}] .plot').dataset.points")
            if not points:
                raise RuntimeError(f"{url}: the chart of {metric} drew no points")
            return done / 1000
        time.sleep(0.02)
    raise RuntimeError(f"{url}: the chart of {metric} did not render within {timeout} s")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", default="10000,100000", help="store sizes, comma-separated")
    parser.add_argument("--points", type=int, default=1_000_000, help="points of the run page's metric")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where to build the stores (kept and reused; default: a temporary folder)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        print(f"cannot run: {CHROMIUM} and {CHROMEDRIVER} are needed (Debian chromium, chromium-driver)")
        return 2
    sizes = [int(s) for s in args.runs.split(",") if s.strip()]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="sacred-ui-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    template = workdir / "template" / "1"
    if not template.exists():
        template_run(workdir)
    profile = workdir / "chromium-profile"
    shutil.rmtree(profile, ignore_errors=True)
    driver = browser(profile)
    try:
        for size in sizes:
            store = workdir / f"runs_{size}"
            if not store.exists():
                began = time.monotonic()
                clone_store(template, store, size)
                print(f"built a store of {size:,} runs in {time.monotonic() - began:.1f} s", flush=True)
            server = Server(store)
            try:
                began = time.monotonic()
                cold = table_paint(driver, server.url + "/s/0/")
                cold_wall = time.monotonic() - began
                samples = [table_paint(driver, server.url + "/s/0/") for _ in range(args.repeats)]
            finally:
                server.stop()
            results[f"table_{size}"] = {"first_visit_s": cold, "first_visit_wall_s": cold_wall,
                                        "samples_s": samples, "median_s": statistics.median(samples)}
        store = workdir / f"points_{args.points}"
        if not store.exists():
            began = time.monotonic()
            million_point_store(workdir, args.points)
            print(f"logged {args.points:,} points in a real run in {time.monotonic() - began:.1f} s", flush=True)
        server = Server(store)
        try:
            cold = chart_render(driver, server.url + "/s/0/run/1", "signal")
            samples = [chart_render(driver, server.url + "/s/0/run/1", "signal") for _ in range(args.repeats)]
        finally:
            server.stop()
        results[f"run_page_{args.points}"] = {"first_visit_s": cold, "samples_s": samples,
                                              "median_s": statistics.median(samples)}
    finally:
        driver.quit()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{'measure':<22} {'first visit':>12} {'median later':>13}  target")
    for name, figures in results.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else (
            f"<= {target:.1f} s: " + ("MET" if figures["first_visit_s"] <= target else "MISSED"))
        print(f"{name:<22} {figures['first_visit_s']:>11.3f}s {figures['median_s']:>12.3f}s  {verdict}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"when": dt.datetime.now(dt.UTC).isoformat(), "results": results,
                                   "targets_s": TARGETS, "repeats": args.repeats}, indent=2))
    print(f"\nwritten to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

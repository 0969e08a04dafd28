"""The web view in a real browser: headless Chromium driven by Selenium, against `sacred ui`.

Skipped (with the reason) only where Chromium, chromedriver or selenium is missing.
Every page visited is saved as a screenshot in the test's tmp folder.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from tests.sacred_runner.ui.conftest import UiServer
from tests.sacred_runner.ui.stores import (
    LONG_POINTS,
    LOSS_POINTS,
    XSS,
    XSS_FILE,
    XSS_KEY,
    XSS_METRIC,
)

WAIT = 30


def wait_for(driver, script: str, timeout: float = WAIT):
    """The value of JS expression ``script`` once it is truthy (polled; fails after ``timeout`` s)."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: d.execute_script(f"return ({script});"))


def shot(driver, tmp_path, name: str) -> None:
    """Save a screenshot of the whole page as ``<tmp_path>/<name>.png``."""
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, min(max(800, height + 40), 4000))
    driver.save_screenshot(str(tmp_path / f"{name}.png"))
    driver.set_window_size(1280, 1000)


def not_pwned(driver) -> None:
    assert driver.execute_script("return window.__pwned === undefined")
    assert driver.execute_script("return document.querySelectorAll('img[src=x], script:not([src]):not([type=\"application/json\"])').length") == 0


def test_the_table_lists_every_run_and_a_click_opens_one(browser, ui_server, fixture_store, tmp_path):
    browser.get(ui_server.url + "/")
    wait_for(browser, "document.querySelectorAll('#runs-body tr.run-row').length")
    ids = browser.execute_script(
        "return Array.from(document.querySelectorAll('#runs-body tr.run-row')).map(r => r.dataset.run)")
    assert sorted(ids, key=int) == [str(i) for i in range(1, 9)]
    wait_for(browser, "document.getElementById('run-count').textContent.includes('of 8')")  # counted after
    assert browser.find_element("id", "page-of").text == "page 1 / 1"
    shot(browser, tmp_path, "runs")

    browser.find_element("css selector", f"tr[data-run='{fixture_store['first']}'] a.run-link").click()
    wait_for(browser, "location.pathname.endsWith('/run/1')")
    assert browser.find_element("id", "run-title").text == "train"
    assert browser.find_element("id", "run-status").text == "COMPLETED"


def test_the_pager_walks_through_pages_and_learns_the_total_after_the_rows(browser, ui_server, tmp_path):
    browser.get(ui_server.url + "/s/0/?size=25&sort=id&desc=0")
    assert browser.find_element("id", "page-of").text.startswith("page 1 / ")
    browser.get(ui_server.url + "/s/0/?size=3&sort=id&desc=0")  # 3 is no page size: 50 are shown
    assert browser.execute_script("return document.querySelectorAll('#runs-body tr.run-row').length") == 8
    browser.get(ui_server.url + "/s/0/?sort=id&desc=0&page=7")  # past the end: the last page instead
    wait_for(browser, "document.getElementById('run-count').textContent.includes('of 8')")
    assert browser.find_element("id", "page-of").text == "page 1 / 1"


def test_many_pages_get_their_last_link_once_counted(browser, fixture_store, tmp_path):
    import shutil
    from pathlib import Path

    store = tmp_path / "many"
    store.mkdir()
    source = Path(fixture_store["path"]) / fixture_store["sweep0"]
    for number in range(1, 61):  # 60 runs, copies of one stored run in the FileStorage layout
        shutil.copytree(source, store / str(number))
    server = UiServer([str(store)])
    try:
        browser.get(server.url + "/s/0/?size=25")
        assert browser.execute_script("return document.querySelectorAll('#runs-body tr.run-row').length") == 25
        wait_for(browser, "document.getElementById('page-last')")
        assert browser.find_element("id", "run-count").text == "1–25 of 60"
        assert browser.find_element("id", "page-of").text == "page 1 / 3"
        browser.find_element("id", "page-last").click()
        wait_for(browser, "location.search.includes('page=3')")
        rows = browser.execute_script(
            "return Array.from(document.querySelectorAll('#runs-body tr.run-row')).map(r => r.dataset.run)")
        assert rows == [str(n) for n in range(10, 0, -1)]  # newest first: page 3 holds runs 10..1
        shot(browser, tmp_path, "last-page")
    finally:
        server.stop()


def test_filtering_and_sorting_happen_in_the_table(browser, ui_server, tmp_path):
    browser.get(ui_server.url + "/s/0/?where=config.lr+%3E+0.15&sort=metric:loss&desc=0")
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#runs-body tr.run-row')).map(r => r.dataset.run)")
    assert rows == ["5", "6"]  # the sweep runs with lr 0.2 and 0.3, by final loss ascending
    browser.get(ui_server.url + "/s/0/?status=FAILED")
    assert browser.execute_script("return document.querySelectorAll('#runs-body tr.run-row').length") == 1
    browser.get(ui_server.url + "/s/0/?where=config.lr+%3E")
    assert "config.lr >" in browser.find_element("id", "filter-error").text
    shot(browser, tmp_path, "filter-error")


def test_a_run_chart_has_every_point_or_the_downsampled_count(browser, ui_server, tmp_path):
    browser.get(ui_server.url + "/s/0/run/1")
    wait_for(browser, "document.querySelectorAll('figure.chart[data-loaded]').length === 3")
    points = browser.execute_script(
        "var o = {}; document.querySelectorAll('figure.chart').forEach(f => "
        "o[f.dataset.metric] = +f.querySelector('.plot').dataset.points); return o;")
    assert points == {"loss": LOSS_POINTS, "accuracy": 50, "long": 2000}
    shot(browser, tmp_path, "run")

    # Drag across the long chart: the zoomed range is fetched again, at full resolution.
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = browser.find_element("css selector", "figure[data-metric=long] canvas")
    width = canvas.size["width"]
    ActionChains(browser).move_to_element_with_offset(canvas, -width // 2 + 200, 0).click_and_hold() \
        .move_by_offset(120, 0).release().perform()
    wait_for(browser, "document.querySelector('figure[data-metric=long]').dataset.loaded === '2'")
    zoom = browser.execute_script("return document.querySelector('figure[data-metric=long] .plot').dataset.zoom")
    start, end = (float(v) for v in zoom.split(","))
    expected = sum(1 for step in range(LONG_POINTS) if start <= step <= end)
    assert 0 < expected < 2000
    drawn = browser.execute_script("return +document.querySelector('figure[data-metric=long] .plot').dataset.points")
    assert drawn == expected
    shot(browser, tmp_path, "run-zoomed")

    browser.find_element("css selector", "figure[data-metric=long] .reset-zoom").click()
    wait_for(browser, "document.querySelector('figure[data-metric=long]').dataset.loaded === '3'")
    assert browser.execute_script(
        "return +document.querySelector('figure[data-metric=long] .plot').dataset.points") == 2000


def test_hovering_shows_values_and_log_scale_redraws(browser, ui_server):
    from selenium.webdriver.common.action_chains import ActionChains

    browser.get(ui_server.url + "/s/0/run/1")
    wait_for(browser, "document.querySelectorAll('figure.chart[data-loaded]').length === 3")
    canvas = browser.find_element("css selector", "figure[data-metric=loss] canvas")
    ActionChains(browser).move_to_element(canvas).perform()
    tip = wait_for(browser, "(t => !t.hidden && t.textContent)(document.querySelector('figure[data-metric=loss] .plot-tip'))")
    assert "step" in tip and "→" in tip
    browser.find_element("css selector", "figure[data-metric=loss] .log-toggle").click()
    assert browser.execute_script("return document.querySelector('figure[data-metric=loss] .plot').dataset.log") == "1"


def test_run_page_shows_config_marks_artifacts_and_the_fail_trace(browser, ui_server, tmp_path):
    browser.get(ui_server.url + "/s/0/run/2")
    modified = browser.execute_script(
        "return Array.from(document.querySelectorAll('#config-table tr.modified td.key')).map(t => t.textContent)")
    assert sorted(modified) == ["depth", "lr"]
    browser.find_element("link text", "view").click()  # the first previewable file
    browser.get(ui_server.url + "/s/0/run/2/view?kind=artifact&name=notes.txt")
    assert "lr was 0.01" in browser.find_element("id", "file-text").text
    shot(browser, tmp_path, "artifact-text")
    browser.get(ui_server.url + "/s/0/run/2/view?kind=artifact&name=plot.png")
    wait_for(browser, "document.getElementById('file-image').complete")
    assert browser.execute_script("return document.getElementById('file-image').naturalWidth") == 4
    shot(browser, tmp_path, "artifact-image")
    browser.get(ui_server.url + "/s/0/run/3")
    assert "boom in the experiment" in browser.find_element("css selector", "#fail-trace pre").text
    shot(browser, tmp_path, "failed-run")


def test_compare_overlays_two_runs(browser, ui_server, tmp_path):
    browser.get(ui_server.url + "/s/0/")
    for run_id in ("1", "2"):
        browser.find_element("css selector", f"tr[data-run='{run_id}'] input[name=id]").click()
    browser.find_element("id", "compare-button").click()
    wait_for(browser, "document.querySelector('#compare-chart[data-loaded]')")
    assert browser.find_element("css selector", "#compare-chart .plot").get_attribute("data-series-points") == "50,50"
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "metric-select")).select_by_value("loss")  # submits the form
    wait_for(browser, "location.search.includes('metric=loss') && document.querySelector('#compare-chart[data-loaded]')")
    plot = browser.find_element("css selector", "#compare-chart .plot")
    assert plot.get_attribute("data-series") == "2"
    assert plot.get_attribute("data-series-points") == f"{LOSS_POINTS},{LOSS_POINTS}"
    differ = browser.execute_script(
        "return Array.from(document.querySelectorAll('#config-diff tr.differs td.key')).map(t => t.textContent)")
    assert {"depth", "lr"} <= set(differ)
    shot(browser, tmp_path, "compare")


def test_sweep_page_plots_the_objective_against_each_parameter(browser, ui_server, tmp_path):
    browser.get(ui_server.url + "/s/0/sweep/sw1")
    counts = browser.execute_script(
        "var o = {}; document.querySelectorAll('figure.scatter').forEach(f => "
        "o[f.dataset.param] = +f.querySelector('.plot').dataset.points); return o;")
    assert counts == {"lr": 4, "width": 4}
    assert browser.execute_script("return document.querySelectorAll('#sweep-table tbody tr').length") == 4
    shot(browser, tmp_path, "sweep")


def test_values_from_a_run_are_shown_as_text_never_run(browser, ui_server, fixture_store, tmp_path):
    run_id = fixture_store["hostile"]
    browser.get(ui_server.url + "/s/0/")
    not_pwned(browser)
    assert XSS in browser.find_element("css selector", f"tr[data-run='{run_id}'] td.experiment").text
    browser.get(ui_server.url + f"/s/0/run/{run_id}")
    wait_for(browser, "document.querySelector('figure.chart[data-loaded]')")
    not_pwned(browser)
    assert browser.find_element("id", "run-title").text == XSS
    assert XSS in browser.find_element("id", "run-output").get_attribute("textContent")
    assert XSS in browser.find_element("id", "run-comment").text
    keys = browser.execute_script(
        "return Array.from(document.querySelectorAll('#config-table td.key')).map(t => t.textContent)")
    assert XSS_KEY in keys
    assert XSS in browser.find_element("id", "config-table").text
    assert XSS_FILE in browser.find_element("id", "artifacts-table").text
    assert browser.find_element("css selector", "figure.chart .metric-name").text == XSS_METRIC
    assert XSS in browser.find_element("id", "info").get_attribute("textContent")
    shot(browser, tmp_path, "hostile-run")
    browser.get(ui_server.url + f"/s/0/run/{run_id}/view?kind=artifact&name=" + XSS_FILE)
    not_pwned(browser)
    assert browser.find_element("id", "file-name").text == XSS_FILE
    assert browser.find_element("id", "file-text").text == XSS


LIVE_EXPERIMENT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from sacred import Experiment
    from sacred.observers import FileStorageObserver

    store, stop = sys.argv[1], Path(sys.argv[2])
    ex = Experiment("live")
    ex.observers.append(FileStorageObserver(store))

    @ex.main
    def main(_run):
        deadline = time.monotonic() + 90
        step = 0
        while not stop.exists() and time.monotonic() < deadline:
            print(f"line {step}", flush=True)
            _run.log_scalar("progress", step, step)
            step += 1
            time.sleep(0.1)

    ex.run(options={"--beat_interval": 0.2})
""")


def test_a_live_run_output_grows_while_it_runs(browser, tmp_path):
    store = tmp_path / "live-store"
    script = tmp_path / "live.py"
    script.write_text(LIVE_EXPERIMENT)
    stop = tmp_path / "stop"
    runner = subprocess.Popen([sys.executable, str(script), str(store), str(stop)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    server = None
    try:
        deadline = time.monotonic() + 60
        while not (store / "1" / "cout.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        server = UiServer([str(store)])
        browser.get(server.url + "/s/0/")
        assert browser.find_element("id", "runs-table").get_attribute("data-live") == "1"
        wait_for(browser, "+document.getElementById('runs-table').dataset.refreshed >= 1")
        shot(browser, tmp_path, "live-table")
        browser.get(server.url + "/s/0/run/1")
        assert browser.find_element("id", "run-status").text == "RUNNING"
        first = len(browser.find_element("id", "run-output").text)
        grown = wait_for(browser, f"document.getElementById('run-output').textContent.length > {first} + 20 "
                                  "&& document.getElementById('run-output').textContent.length")
        assert grown > first
        assert not browser.find_element("id", "output-live").get_attribute("hidden")
        shot(browser, tmp_path, "live-run")
        stop.touch()
        runner.wait(timeout=60)
        wait_for(browser, "document.getElementById('run-status').textContent === 'COMPLETED'")
        assert "the run ended" in browser.find_element("id", "output-live").text
    finally:
        stop.touch()
        if runner.poll() is None:
            runner.kill()
            runner.wait(timeout=10)
        if server is not None:
            server.stop()

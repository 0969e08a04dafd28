"""The user trial's UI defects in real Chromium: a huge integer metric is drawn (it was an HTTP 500),
a torn metrics.json says BROKEN on the run page, a sweep id prefix opens its sweep."""

from __future__ import annotations

from tests.sacred_runner.tools.trial_runs import run_experiment
from tests.sacred_runner.ui.conftest import UiServer
from tests.sacred_runner.ui.test_browser import shot, wait_for


def test_trial_pages_in_a_browser(browser, tmp_path) -> None:
    store = tmp_path / "runs"
    huge = run_experiment(store, lambda run: [run.log_scalar("big", v, i) for i, v in enumerate([1, 10**400, 3])])
    torn = run_experiment(store, lambda run: run.log_scalar("loss", 1.0))
    (store / torn / "metrics.json").write_text('{"loss": {"steps": [0,1')
    for index in range(2):
        meta = {"sweep": {"id": "5d375efa3ab5", "index": index, "count": 2, "point": {"x": index}}}
        run_experiment(store, lambda run: None, {"x": index}, meta=meta)
    server = UiServer([str(store)])
    try:
        browser.get(f"{server.url}/s/0/run/{huge}")
        wait_for(browser, "document.querySelector('figure.chart[data-loaded]')")
        assert browser.execute_script("return +document.querySelector('figure[data-metric=big] .plot').dataset.points") == 2
        shot(browser, tmp_path, "huge")
        browser.get(f"{server.url}/s/0/run/{torn}")
        text = wait_for(browser, "document.getElementById('metrics-error') && "
                                 "document.getElementById('metrics-error').textContent")
        assert text.startswith("BROKEN: metrics.json is not valid JSON (")
        browser.get(f"{server.url}/s/0/sweep/5d37")
        wait_for(browser, "document.body.textContent.includes('5d375efa3ab5')")
        shot(browser, tmp_path, "sweep")
    finally:
        server.stop()

"""The web view's HTTP surface (Starlette test client over a store written by real runs):
escaping, read-only routes, files that cannot leave the store, the token and Host checks."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import warnings
from pathlib import Path

import pytest

pytest.importorskip("starlette")
with warnings.catch_warnings():  # starlette suggests httpx2 for its test client; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

from sacred.runs import open_store  # noqa: E402
from sacred_runner.ui.app import create_app  # noqa: E402
from sacred_runner.ui.guard import TOKEN_COOKIE  # noqa: E402
from tests.sacred_runner.ui.stores import LONG_POINTS, XSS_FILE, XSS_KEY, XSS_METRIC  # noqa: E402

HOST = {"testserver"}


@pytest.fixture(scope="module")
def client(fixture_store):
    app = create_app([open_store(fixture_store["path"])], allowed_hosts=HOST)
    with TestClient(app) as test_client:
        yield test_client


def _pages(ids: dict) -> list[str]:
    hostile = ids["hostile"]
    return [
        "/s/0/", "/s/0/?cols=1&col=config.payload&col=metric:" + XSS_METRIC, f"/s/0/run/{hostile}",
        f"/s/0/run/{hostile}/view?kind=artifact&name={XSS_FILE}", f"/s/0/compare?id=1&id={hostile}",
        f"/s/0/compare?id={hostile}&metric={XSS_METRIC}", "/s/0/sweep/sw1",
    ]


def test_every_page_shows_run_values_escaped(client, fixture_store):
    for url in _pages(fixture_store):
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.text
        assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html or "sweep" in url, url
        assert "<script>window.__pwned" not in html, url
        assert "<img src=x" not in html, url
        assert "<i>m" not in html, url
    run_page = client.get(f"/s/0/run/{fixture_store['hostile']}").text
    for raw in (XSS_KEY, XSS_FILE, XSS_METRIC):
        assert raw.replace("<", "&lt;").replace(">", "&gt;") in run_page


def test_json_in_pages_cannot_close_its_script_tag(client, fixture_store):
    html = client.get(f"/s/0/compare?id={fixture_store['hostile']}&metric={XSS_METRIC}").text
    data = html.split('<script type="application/json" id="page-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and ">" not in data
    assert json.loads(data)["metric"] == XSS_METRIC


def test_table_rows_for_live_refresh_are_escaped_html(client):
    body = client.get("/s/0/rows").json()
    assert body["total"] == 8 and body["live"] is False
    assert "&lt;script&gt;" in body["html"] and "<script>" not in body["html"]


def test_the_table_shows_rows_first_and_counts_on_request(client):
    page = client.get("/s/0/?status=COMPLETED&sort=id&desc=0")
    assert 'data-count-url="/s/0/count?status=COMPLETED' in page.text and "of …" in page.text
    counted = client.get("/s/0/count?status=COMPLETED&size=25").json()
    assert counted == {"total": 7, "pages": 1, "last_url": "/s/0/?status=COMPLETED&sort=id&desc=1&size=25"}
    assert client.get("/s/0/count?where=config.lr+%3E").status_code == 400
    past_the_end = client.get("/s/0/?page=9")
    assert "1–8 of 8" in past_the_end.text and "page 1 / 1" in past_the_end.text


@pytest.mark.parametrize("query, expected", [
    ("experiment=train", {"1", "2"}),
    ("sweep=sw1", {"4", "5", "6", "7"}),
    ("status=FAILED", {"3"}),
    ("where=config.lr+%3E%3D+0.2+and+config.width+%3D%3D+16", {"6"}),
    ("text=baseline", {"1"}),
])
def test_table_filters(client, query, expected):
    rows = client.get(f"/s/0/rows?{query}").json()
    shown = set(re.findall(r'data-run="([^"]+)"', rows["html"]))
    assert shown == expected and rows["total"] == len(expected)


def test_stale_running_runs_show_as_dead_and_filter_as_dead(fixture_store, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(fixture_store["path"], store)
    run_json = store / "2" / "run.json"
    run = json.loads(run_json.read_text())
    run.update(status="RUNNING", heartbeat="2020-01-01T00:00:00", stop_time=None)
    run_json.write_text(json.dumps(run))
    (store / "runs.index.jsonl").unlink(missing_ok=True)
    with TestClient(create_app([open_store(str(store))], allowed_hosts=HOST)) as client:
        rows = client.get("/s/0/rows?status=DEAD").json()
        assert set(re.findall(r'data-run="([^"]+)"', rows["html"])) == {"2"}
        assert '<span class="badge dead">DEAD</span>' in rows["html"]
        page = client.get("/s/0/run/2").text
        assert 'id="run-status">DEAD<' in page and "stored status" in page


def test_pages_forbid_inline_script_and_framing(client):
    page = client.get("/s/0/")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_no_route_accepts_a_changing_method(client, fixture_store, method):
    before = _tree_digest(Path(fixture_store["path"]))
    for url in [*_pages(fixture_store), "/s/0/rows", "/s/0/run/1/metric?name=loss", "/s/0/run/1/output",
                "/s/0/run/1/file?kind=artifact&name=notes.txt", "/"]:
        assert client.request(method, url).status_code == 405, (method, url)
    assert _tree_digest(Path(fixture_store["path"])) == before


def _tree_digest(root: Path) -> str:
    """Digest of every run's files (the reader's own runs index, a cache, is left out)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.parent != root:
            digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


def test_browsing_everything_changes_no_run_file(client, fixture_store):
    before = _tree_digest(Path(fixture_store["path"]))
    for url in [*_pages(fixture_store), "/s/0/rows", "/s/0/run/1/metric?name=long", "/s/0/run/1/output",
                "/s/0/run/1/file?kind=artifact&name=notes.txt", "/s/0/run/3"]:
        assert client.get(url).status_code == 200, url
    assert _tree_digest(Path(fixture_store["path"])) == before


def test_a_chart_gets_every_point_or_lttb_downsampled_ones(client):
    full = client.get("/s/0/run/1/metric?name=long").json()
    assert full["total"] == LONG_POINTS and full["downsampled"] and len(full["steps"]) == 2000
    assert full["steps"][0] == 0 and full["steps"][-1] == LONG_POINTS - 1
    zoomed = client.get("/s/0/run/1/metric?name=long&start=100&end=1099").json()
    assert zoomed["steps"] == list(range(100, 1100)) and not zoomed["downsampled"]
    few = client.get("/s/0/run/1/metric?name=long&points=100").json()
    assert len(few["steps"]) == 100
    assert client.get("/s/0/run/1/metric?name=long&start=abc").status_code == 400
    missing = client.get("/s/0/run/1/metric?name=nope")
    assert missing.status_code == 404 and "accuracy" in missing.json()["error"]


def test_output_tail_from_an_offset(client):
    whole = client.get("/s/0/run/1/output").json()
    assert "training with lr=0.1" in whole["text"] and whole["live"] is False
    rest = client.get(f"/s/0/run/1/output?offset={whole['offset'] - 10}").json()
    assert rest["text"] == whole["text"][-10:]
    assert client.get("/s/0/run/1/output?offset=x").status_code == 400


def test_downloads_are_attachments_and_only_raster_images_show_inline(client):
    text = client.get("/s/0/run/1/file?kind=artifact&name=notes.txt&inline=1")
    assert text.status_code == 200 and text.content == b"lr was 0.1\nsecond line\n"
    assert text.headers["content-disposition"].startswith("attachment")
    assert text.headers["content-type"] == "application/octet-stream"
    assert "sandbox" in text.headers["content-security-policy"]
    image = client.get("/s/0/run/1/file?kind=artifact&name=plot.png&inline=1")
    assert image.headers["content-type"] == "image/png" and image.content.startswith(b"\x89PNG")
    assert image.headers["content-disposition"].startswith("inline")


def test_unknown_things_are_clear_404s(client):
    run = client.get("/s/0/run/99")
    assert run.status_code == 404 and "nearest ids" in run.text
    assert client.get("/s/5/").status_code == 404
    assert client.get("/s/0/run/1/file?kind=artifact&name=nope.txt").status_code == 404
    assert client.get("/s/0/run/1/file?kind=config&name=x").status_code == 400
    assert client.get("/s/0/sweep/none-such").status_code == 404
    assert client.get("/s/0/compare").status_code == 400


def test_a_filter_that_does_not_parse_is_shown_not_raised(client):
    page = client.get("/s/0/?where=config.lr+%3E")
    assert page.status_code == 200 and 'id="filter-error"' in page.text


@pytest.fixture
def tampered_store(fixture_store, tmp_path):
    """A copy of the fixture store whose run 1 lists artifacts that leave the store."""
    store = tmp_path / "store"
    shutil.copytree(fixture_store["path"], store, symlinks=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    os.symlink(secret, store / "1" / "link.txt")
    run_json = store / "1" / "run.json"
    run = json.loads(run_json.read_text())
    run["artifacts"] = [*run.get("artifacts", []), "../../secret.txt", str(secret), "link.txt",
                        "../2/notes.txt"]
    run_json.write_text(json.dumps(run))
    return store


@pytest.mark.parametrize("name", ["../../secret.txt", "SECRET", "link.txt", "../2/notes.txt",
                                  "../run.json", "/etc/passwd", "..%2F..%2Fsecret.txt"])
@pytest.mark.parametrize("endpoint", ["file", "view"])
def test_files_cannot_leave_the_store(tampered_store, tmp_path, name, endpoint):
    name = str(tmp_path / "secret.txt") if name == "SECRET" else name
    app = create_app([open_store(str(tampered_store))], allowed_hosts=HOST)
    with TestClient(app) as client:
        answer = client.get(f"/s/0/run/1/{endpoint}", params={"kind": "artifact", "name": name})
        assert answer.status_code == 404, answer.text
        assert b"TOP-SECRET-CONTENT" not in answer.content
        assert b"lr was 0.01" not in answer.content
        for kind in ("source", "resource"):
            assert client.get(f"/s/0/run/1/{endpoint}", params={"kind": kind, "name": name}).status_code == 404


def test_a_token_is_required_when_set(fixture_store):
    app = create_app([open_store(fixture_store["path"])], token="s3cret", allowed_hosts=None)
    with TestClient(app) as client:
        assert client.get("/s/0/").status_code == 403
        assert client.get("/s/0/?token=wrong").status_code == 403
        first = client.get("/s/0/?token=s3cret")
        assert first.status_code == 200 and TOKEN_COOKIE in first.headers["set-cookie"]
        assert "HttpOnly" in first.headers["set-cookie"]
        assert client.get("/s/0/run/1").status_code == 200  # the cookie carries it now
    with TestClient(app) as fresh:
        assert fresh.get("/static/style.css").status_code == 403


def test_a_foreign_host_header_is_refused_on_loopback(fixture_store):
    app = create_app([open_store(fixture_store["path"])], allowed_hosts={"127.0.0.1", "localhost"})
    with TestClient(app, base_url="http://127.0.0.1:5151") as client:
        assert client.get("/s/0/").status_code == 200
        assert client.get("/s/0/", headers={"host": "evil.example:5151"}).status_code == 421
        assert client.get("/s/0/", headers={"host": "localhost:5151"}).status_code == 200


def test_several_stores_are_listed_with_their_counts(fixture_store, tmp_path):
    app = create_app([open_store(fixture_store["path"]), open_store(fixture_store["path"])], allowed_hosts=HOST)
    with TestClient(app) as client:
        home = client.get("/")
        assert home.status_code == 200 and home.text.count('href="/s/') >= 2
        assert client.get("/s/1/run/2").status_code == 200


def test_every_store_kind_is_shown(any_store):
    """The web view serves whatever the run reader opens: FileStorage, embedded, TinyDB, SQL, MongoDB."""
    store = open_store(any_store.spec)
    try:
        runs = store.query(sort="id")
        assert len(runs) == len(any_store.played)
        first = next(str(r.id) for r in runs if r.config.get("lr") == 0.01)
        second = next(str(r.id) for r in runs if r.config.get("depth") == 3)
        failed = next(str(r.id) for r in runs if r.status == "FAILED")
        with TestClient(create_app([store], allowed_hosts=HOST)) as client:
            table = client.get("/s/0/")
            assert table.status_code == 200
            for run in runs:
                assert f'data-run="{run.id}"' in table.text
            page = client.get(f"/s/0/run/{first}")
            assert page.status_code == 200 and "training with lr=0.01" in page.text
            assert "diverged" in client.get(f"/s/0/run/{failed}").text
            assert client.get(f"/s/0/run/{first}/file?kind=artifact&name=weights.txt").content == b"weights 0.01"
            if any_store.has_metrics:
                loss = client.get(f"/s/0/run/{first}/metric?name=loss").json()
                assert loss["steps"] == [0, 1, 2, 3, 4]
                assert loss["values"] == pytest.approx([0.01 / (s + 1) for s in range(5)])
            compare = client.get(f"/s/0/compare?id={first}&id={second}")
            assert compare.status_code == 200 and 'class="differs"' in compare.text
            if any_store.has_meta:
                assert client.get("/s/0/sweep/sw1").status_code == 200
    finally:
        store.close()


def _long_series_store(root: Path, values: list) -> Path:
    from sacred.observers.run_files._layout import dump_json

    folder = root / "store" / "1"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"status": "COMPLETED", "experiment": {"name": "long"},
                                                 "start_time": "2024-01-01T00:00:00"}))
    (folder / "config.json").write_text("{}")
    (folder / "metrics.json").write_bytes(dump_json({"signal": {
        "steps": list(range(len(values))), "values": values,
        "timestamps": ["2024-01-01T00:00:00"] * len(values)}}))
    return root / "store"


def test_a_long_series_charts_alike_on_both_parse_paths(tmp_path, monkeypatch):
    import math

    values = [math.sin(i / 300.0) for i in range(120_000)]
    values[70_001], values[70_002] = 9.0, -9.0
    values[5] = float("nan")
    store = _long_series_store(tmp_path, values)
    answers = []
    for disabled in ("", "1"):
        monkeypatch.setenv("SACRED_NO_ORJSON", disabled)
        with TestClient(create_app([open_store(str(store))], allowed_hosts=HOST)) as client:
            assert "signal" in client.get("/s/0/run/1").text
            whole = client.get("/s/0/run/1/metric?name=signal").json()
            zoomed = client.get("/s/0/run/1/metric?name=signal&start=69000&end=70999").json()
            answers.append((whole, zoomed))
    assert answers[0] == answers[1]
    whole, zoomed = answers[0]
    assert whole["total"] == 119_999 and whole["dropped"] == 1 and len(whole["steps"]) <= 2000
    assert whole["steps"][0] == 0 and whole["steps"][-1] == 119_999
    assert 9.0 in whole["values"] and -9.0 in whole["values"]
    assert zoomed["steps"] == list(range(69_000, 71_000)) and zoomed["values"] == values[69_000:71_000]


def test_a_damaged_metric_list_is_a_clear_error_and_the_page_still_shows(tmp_path):
    store = _long_series_store(tmp_path, [0.5, 0.25])
    metrics = store / "1" / "metrics.json"
    metrics.write_bytes(metrics.read_bytes().replace(b"0.5,\n      0.25", b"0.5,,0.25"))
    with TestClient(create_app([open_store(str(store))], allowed_hosts=HOST)) as client:
        assert client.get("/s/0/run/1").status_code == 200
        answer = client.get("/s/0/run/1/metric?name=signal")
        assert answer.status_code == 422
        assert "metric 'signal' of run 1 cannot be read: a stored metric list is not valid JSON" in answer.text

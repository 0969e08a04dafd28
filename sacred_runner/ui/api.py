"""JSON and file endpoints the pages call: table rows, chart data, output tail, stored files."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from sacred_runner.ui.context import LIVE_STATUSES, context_of
from sacred_runner.ui.guard import RAW_FILE_POLICY
from sacred_runner.ui.pages import IMAGE_TYPES, content_type_of, find_stored, load_run
from sacred_runner.ui.series import DEFAULT_POINTS, series_key, series_loader
from sacred_runner.ui.table import TableQuery, count_pages, load_page

__all__ = ["count", "metric", "output", "rows", "stored_file"]

CHUNK = 256 * 1024


def rows(request: Request) -> Response:
    """The runs table's body for the current query, as HTML rendered (and escaped) by the server."""
    context = context_of(request)
    sid = request.path_params["sid"]
    store = context.store(sid)
    page = load_page(store, TableQuery.from_params(request.query_params))
    html = context.templates.get_template("rows.html").render(sid=sid, table=page)
    return JSONResponse({"html": html, "total": page.total, "pages": page.pages, "live": page.live,
                         "error": page.error, "last_url": f"/s/{sid}/" + page.query.url(page=page.pages),
                         "first": page.first, "shown": len(page.runs)})


def count(request: Request) -> Response:
    """How many runs match the table's filters, its page count, and the last page's URL."""
    from sacred.runs import FilterError

    context = context_of(request)
    sid = request.path_params["sid"]
    store = context.store(sid)
    query = TableQuery.from_params(request.query_params)
    try:
        total, pages = count_pages(store, query)
    except (FilterError, ValueError) as error:
        raise HTTPException(400, str(error)) from None
    return JSONResponse({"total": total, "pages": pages, "last_url": f"/s/{sid}/" + query.url(page=pages)})


def _float_param(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise HTTPException(400, f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise HTTPException(400, f"{name} must be a finite number, got {raw!r}")
    return value


def metric(request: Request) -> Response:
    """One metric's points for a chart: all of them in ``[start, end]``, or ``points`` chosen by LTTB."""
    from sacred_runner.ui.series import chart_data

    context = context_of(request)
    sid, _store, record = load_run(request)
    name = request.query_params.get("name", "")
    start, end = _float_param(request, "start"), _float_param(request, "end")
    points = _float_param(request, "points") or DEFAULT_POINTS

    live = record.status in LIVE_STATUSES
    try:
        series = context.series.get(series_key(sid, record, name), series_loader(record, name),
                                    cacheable=not live)
    except KeyError as error:
        broken = record.metrics_error()
        if broken:
            raise HTTPException(422, f"metric {name!r} of run {record.id} cannot be read: {broken}") from None
        raise HTTPException(404, str(error.args[0]) if error.args else "no such metric") from None
    except ValueError as error:  # a stored list that no longer parses
        raise HTTPException(422, f"metric {name!r} of run {record.id} cannot be read: {error}") from None
    data = chart_data(series, start, end, int(points))
    data["live"] = live
    return JSONResponse(data)


def output(request: Request) -> Response:
    """The captured output after character ``offset``, the new offset and the run's status."""
    _sid, _store, record = load_run(request)
    try:
        offset = max(0, int(request.query_params.get("offset") or 0))
    except ValueError:
        raise HTTPException(400, "offset must be a whole number") from None
    text = record.captured_out() or ""
    reset = offset > len(text)
    return JSONResponse({"text": text[-200_000:] if reset else text[offset:], "offset": len(text),
                         "reset": reset, "status": record.status,
                         "live": record.status in LIVE_STATUSES})


def stored_file(request: Request) -> Response:
    """An artifact, source or resource: a download, or (raster images only) shown inline."""
    _sid, _store, record = load_run(request)
    kind = request.query_params.get("kind", "artifact")
    name = request.query_params.get("name", "")
    stored = find_stored(record, kind, name)
    try:
        stream = stored.open()
    except (OSError, ValueError) as error:
        raise HTTPException(404, f"cannot read {kind} {name!r}: {error}") from None
    content_type = content_type_of(name)
    inline = request.query_params.get("inline") == "1" and content_type in IMAGE_TYPES
    filename = name.replace("\\", "/").rsplit("/", 1)[-1] or "file"
    disposition = "inline" if inline else "attachment"
    headers = {
        "content-disposition": f"{disposition}; filename*=UTF-8''{quote(filename, safe='')}",
        "content-security-policy": RAW_FILE_POLICY,
    }

    def chunks() -> Any:
        with stream:
            while True:
                data = stream.read(CHUNK)
                if not data:
                    return
                yield data

    return StreamingResponse(chunks(), media_type=content_type if inline else "application/octet-stream",
                             headers=headers)

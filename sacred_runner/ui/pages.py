"""The HTML pages of the web view: stores, runs table, run, file view, compare, sweep."""

from __future__ import annotations

import mimetypes
import numbers
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sacred_runner.ui.context import FINAL_STATUSES, context_of
from sacred_runner.ui.guard import find_file
from sacred_runner.ui.series import series_key, series_loader
from sacred_runner.ui.table import PAGE_SIZES, TableQuery, load_page
from sacred_runner.ui.values import config_differences, flatten, format_value, modified_keys

__all__ = ["EXCEPTION_HANDLERS", "compare_page", "file_view", "home", "load_run", "run_page",
           "runs_table", "sweep_page"]

TEXT_PREVIEW_BYTES = 512 * 1024
OUTPUT_TAIL_CHARS = 200_000
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})
FILE_KINDS = ("artifact", "source", "resource")
MAX_COMPARED = 12
PREFETCHED_METRICS = 4


def home(request: Request) -> Response:
    """One store: its runs table. Several: the list of stores with their run counts."""
    context = context_of(request)
    if len(context.stores) == 1:
        return RedirectResponse("/s/0/", status_code=302)
    counts = []
    for store in context.stores:
        try:
            counts.append(store.count())
        except Exception as error:  # a broken store is shown as such, the others still work
            counts.append(f"unreadable: {error}")
    return context.render("stores.html", counts=counts)


def runs_table(request: Request) -> Response:
    """The runs table of one store: filters, chosen columns, sorting, paging."""
    context = context_of(request)
    sid = request.path_params["sid"]
    store = context.store(sid)
    query = TableQuery.from_params(request.query_params)
    page = load_page(store, query, count=False)
    return context.render("runs.html", sid=sid, store=store, table=page, page_sizes=PAGE_SIZES,
                          poll_seconds=context.poll_seconds)


def load_run(request: Request, run_id: str | None = None) -> tuple[int, Any, Any]:
    """(store number, store, record) of the run in the path; 404 naming the nearest ids."""
    from sacred.runs import RunNotFound

    context = context_of(request)
    sid = request.path_params["sid"]
    store = context.store(sid)
    wanted = run_id if run_id is not None else request.path_params["run_id"]
    try:
        return sid, store, context.record(sid, str(wanted).strip())
    except RunNotFound as error:
        raise HTTPException(404, str(error)) from None


def _git(experiment_info: dict) -> list[dict]:
    repos = experiment_info.get("repositories") or []
    return [repo for repo in repos if isinstance(repo, dict)]


def _files(loader: Any) -> tuple[list[Any], str | None]:
    try:
        return list(loader()), None
    except Exception as error:  # an unreadable file list does not hide the rest of the run
        return [], f"could not list: {error}"


def run_page(request: Request) -> Response:
    """Everything about one run: config, metrics, output, info, host, git, files, fail trace."""
    context = context_of(request)
    sid, store, record = load_run(request)
    config = flatten(record.config or {})
    marks = modified_keys(record.config_modifications, record.meta)
    output = record.captured_out() or ""
    tail = output[-OUTPUT_TAIL_CHARS:]
    artifacts, artifacts_error = _files(record.artifacts)
    sources, sources_error = _files(record.sources)
    resources, resources_error = _files(record.resources)
    metric_names = _metric_names(record)
    # checked where the names came from the file anyway; a file torn after the run ended is reported
    # by its charts (the metric route) so that a finished run's page still does not wait for it
    metrics_error = record.metrics_error() if not metric_names or record.status not in FINAL_STATUSES else None
    if record.status in FINAL_STATUSES:  # the charts will ask for these: start loading them now
        for name in metric_names[:PREFETCHED_METRICS]:
            context.series.prefetch(series_key(sid, record, name), series_loader(record, name))
    page_data = {
        "sid": sid, "run": str(record.id), "status": record.status, "metrics": metric_names,
        "output_length": len(output), "poll_seconds": context.poll_seconds,
    }
    return context.render(
        "run.html", sid=sid, store=store, run=record, config=config, marks=marks,
        output_tail=tail, output_cut=len(output) - len(tail), metric_names=metric_names,
        metrics_error=metrics_error,
        artifacts=artifacts, artifacts_error=artifacts_error, sources=sources,
        sources_error=sources_error, resources=resources, resources_error=resources_error,
        git=_git(record.experiment_info or {}), page_data=page_data,
        previewable=_previewable,
    )


def _metric_names(record: Any) -> list[str]:
    """The run's metric names; for a finished run from its summary, without parsing the metrics file.

    The page then shows at once, and the charts load their points on their own.
    """
    if record.status in FINAL_STATUSES and record.final_metrics:
        return sorted(record.final_metrics)
    return record.metric_names()


def content_type_of(name: str) -> str:
    """The media type a file name suggests (application/octet-stream when unknown)."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _previewable(name: str) -> bool:
    kind = content_type_of(name)
    return kind in IMAGE_TYPES or not kind.startswith(("image/", "audio/", "video/"))


def find_stored(record: Any, kind: str, name: str) -> Any:
    """The artifact/source/resource ``name`` of ``record``: exactly a name the reader listed, or 404."""
    if kind not in FILE_KINDS:
        raise HTTPException(400, f"kind must be one of {', '.join(FILE_KINDS)}, got {kind!r}")
    lister = {"artifact": record.artifacts, "source": record.sources, "resource": record.resources}[kind]
    stored = find_file(lister(), name)
    if stored is None:
        raise HTTPException(404, f"run {record.id} has no {kind} called {name!r}")
    return stored


def file_view(request: Request) -> Response:
    """An artifact, source or resource shown in the page: text (escaped) or an image."""
    context = context_of(request)
    sid, store, record = load_run(request)
    kind = request.query_params.get("kind", "artifact")
    name = request.query_params.get("name", "")
    stored = find_stored(record, kind, name)
    content_type = content_type_of(name)
    text = None
    cut = 0
    if content_type not in IMAGE_TYPES:
        try:
            with stored.open() as stream:
                data = stream.read(TEXT_PREVIEW_BYTES + 1)
        except (OSError, ValueError) as error:
            raise HTTPException(404, f"cannot read {kind} {name!r}: {error}") from None
        cut = max(0, len(data) - TEXT_PREVIEW_BYTES)
        text = data[:TEXT_PREVIEW_BYTES].decode("utf-8", errors="replace")
    return context.render("file.html", sid=sid, store=store, run=record, kind=kind, stored=stored,
                          text=text, cut=cut, is_image=content_type in IMAGE_TYPES)


def _numeric(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def compare_page(request: Request) -> Response:
    """Several runs: one metric's curves overlaid, and their config differences side by side."""
    context = context_of(request)
    sid = request.path_params["sid"]
    store = context.store(sid)
    ids = [i.strip() for value in request.query_params.getlist("id") for i in value.split(",") if i.strip()]
    ids = list(dict.fromkeys(ids))[:MAX_COMPARED]
    if not ids:
        raise HTTPException(400, "choose runs to compare: /s/N/compare?id=1&id=2 (tick them in the runs table)")
    records = [load_run(request, run_id)[2] for run_id in ids]
    names = sorted({name for record in records for name in record.metric_names()})
    metric = request.query_params.get("metric") or (names[0] if names else "")
    differ, same = config_differences([record.config or {} for record in records])
    flats = [flatten(record.config or {}) for record in records]
    page_data = {"sid": sid, "runs": [str(r.id) for r in records], "metric": metric,
                 "labels": [f"{r.id} {r.experiment or ''}".strip() for r in records]}
    return context.render("compare.html", sid=sid, store=store, records=records, metric_names=names,
                          metric=metric, differ=differ, same=same, flats=flats, page_data=page_data)


def _objective_value(run: Any, objective: str) -> Any:
    if objective == "result":
        return run.result
    return (run.final_metrics or {}).get(objective[len("metric:"):])


def sweep_page(request: Request) -> Response:
    """A sweep's runs: the objective (result or a final metric) against each swept parameter."""
    from sacred.runs import FilterError

    context = context_of(request)
    sid = request.path_params["sid"]
    sweep_id = request.path_params["sweep_id"]
    store = context.store(sid)
    try:
        runs = store.query(sweep=sweep_id, sort="id", limit=20_000)
    except (FilterError, ValueError) as error:
        raise HTTPException(400, str(error)) from None
    if not runs:
        raise HTTPException(404, f"no runs of sweep {sweep_id!r} in {store.description}")
    sweep_id = str((runs[0].sweep or {}).get("id", sweep_id))  # the whole id when a prefix was given
    parameters = sorted({key for run in runs for key in ((run.sweep or {}).get("point") or {})})
    metric_names = sorted({name for run in runs for name in (run.final_metrics or {})})
    objectives = (["result"] if any(_numeric(run.result) for run in runs) else []) + \
        [f"metric:{name}" for name in metric_names]
    objective = request.query_params.get("objective") or (objectives[0] if objectives else "result")
    points = []
    for run in runs:
        point = (run.sweep or {}).get("point") or {}
        value = _objective_value(run, objective)
        points.append({"run": str(run.id), "status": run.status,
                       "objective": value if _numeric(value) else None,
                       "params": {key: point.get(key) for key in parameters}})
    page_data = {"sid": sid, "sweep": sweep_id, "objective": objective, "parameters": parameters,
                 "points": points}
    return context.render("sweep.html", sid=sid, store=store, sweep_id=sweep_id, runs=runs,
                          parameters=parameters, objectives=objectives, objective=objective,
                          page_data=page_data, objective_of=_objective_value, format_value=format_value)


async def _http_error(request: Request, error: Exception) -> Response:
    status = getattr(error, "status_code", 500)
    detail = getattr(error, "detail", None) or "error"
    context = context_of(request)
    if request.url.path.endswith(("/rows", "/count", "/metric", "/output")):
        from starlette.responses import JSONResponse

        return JSONResponse({"error": detail}, status_code=status)
    try:
        return context.render("error.html", status_code=status, status=status, message=detail)
    except Exception:  # the error page itself failed: plain text, still escaped by the browser
        return HTMLResponse("error", status_code=status)


EXCEPTION_HANDLERS = {HTTPException: _http_error}

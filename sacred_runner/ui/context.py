"""What every request handler of the web view shares: the stores, the templates, the series cache."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from sacred_runner.ui import values
from sacred_runner.ui.series import SeriesCache

__all__ = ["UiContext", "context_of"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATUSES = ("RUNNING", "COMPLETED", "FAILED", "INTERRUPTED", "TIMEOUT", "QUEUED", "DEAD")
LIVE_STATUSES = frozenset({"RUNNING", "QUEUED"})
FINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "INTERRUPTED", "TIMEOUT"})
RECORD_CACHE_SIZE = 4


class UiContext:
    """The opened stores (addressed by their position), the Jinja2 environment, the series cache."""

    def __init__(self, stores: list[Any], poll_seconds: float = 2.0) -> None:
        self.stores = stores
        self.poll_seconds = poll_seconds
        self.series = SeriesCache()
        self._records: OrderedDict[tuple[int, str], Any] = OrderedDict()
        self._records_lock = threading.Lock()
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=True,  # every value from a run is escaped, always
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters.update(
            value=values.format_value,
            time=values.format_time,
            duration=values.format_duration,
            script_json=lambda value: jinja2.utils.markupsafe.Markup(values.json_for_script(value)),
        )
        self.templates.globals.update(STATUSES=STATUSES, LIVE_STATUSES=LIVE_STATUSES)
        for name in self.templates.list_templates():  # compiled now, not on the first visit
            self.templates.get_template(name)

    def store(self, sid: int) -> Any:
        """Store number ``sid``; 404 when there is none."""
        if not 0 <= sid < len(self.stores):
            raise HTTPException(404, f"no store number {sid}: this server shows {len(self.stores)}")
        return self.stores[sid]

    def record(self, sid: int, run_id: str) -> Any:
        """The record of run ``run_id`` in store ``sid`` (RunNotFound when there is none).

        Records of finished runs never change, so the last few are kept: a run page
        and its charts' requests then parse a large metrics file once, not each time.
        Records of live runs are read afresh.
        """
        key = (sid, run_id)
        with self._records_lock:
            if key in self._records:
                self._records.move_to_end(key)
                return self._records[key]
        record = self.store(sid).get(run_id)
        if record.status in FINAL_STATUSES:
            with self._records_lock:
                self._records[key] = record
                while len(self._records) > RECORD_CACHE_SIZE:
                    self._records.popitem(last=False)
        return record

    def render(self, template: str, status_code: int = 200, **variables: Any) -> HTMLResponse:
        """A page from ``templates/<template>``."""
        variables.setdefault("stores", self.stores)
        html = self.templates.get_template(template).render(**variables)
        return HTMLResponse(html, status_code=status_code)


def context_of(request: Request) -> UiContext:
    """The :class:`UiContext` of the app serving ``request``."""
    return request.app.state.ui

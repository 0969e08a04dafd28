"""The runs table: its query parameters, the store query they make, the rows and columns shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sacred_runner.ui.context import LIVE_STATUSES, STATUSES
from sacred_runner.ui.values import flatten

__all__ = ["PAGE_SIZES", "TableQuery", "TablePage", "load_page"]

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_SIZE = 50
FIXED_SORTS = ("id", "experiment", "status", "start_time", "duration")


@dataclass
class TableQuery:
    """The runs table's state, as carried in its URL."""

    status: list[str] = field(default_factory=list)
    experiment: str = ""
    sweep: str = ""
    where: str = ""
    text: str = ""
    sort: str = "id"
    descending: bool = True
    page: int = 1
    size: int = DEFAULT_SIZE
    columns: list[str] = field(default_factory=list)
    columns_given: bool = False

    @classmethod
    def from_params(cls, params: Any) -> TableQuery:
        """Read the state from a request's query parameters, ignoring values out of range."""
        def text(name: str) -> str:
            return (params.get(name) or "").strip()

        def number(name: str, default: int) -> int:
            try:
                return int(params.get(name) or default)
            except ValueError:
                return default

        size = number("size", DEFAULT_SIZE)
        columns = [c.strip() for value in params.getlist("col") for c in value.split(",") if c.strip()]
        return cls(
            status=[s for s in params.getlist("status") if s in STATUSES],
            experiment=text("experiment"), sweep=text("sweep"), where=text("where"), text=text("text"),
            sort=text("sort") or "id", descending=params.get("desc", "1") != "0",
            page=max(1, number("page", 1)), size=size if size in PAGE_SIZES else DEFAULT_SIZE,
            columns=list(dict.fromkeys(columns)), columns_given="cols" in params or bool(columns),
        )

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``store.query`` / ``store.count``."""
        return {"where": self.where or None, "status": self.status or None,
                "experiment": self.experiment or None, "sweep": self.sweep or None,
                "text": self.text or None}

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """The URL parameters of this state with ``changes`` applied."""
        state = {**self.__dict__, **changes}
        pairs: list[tuple[str, str]] = [("status", s) for s in state["status"]]
        for name in ("experiment", "sweep", "where", "text"):
            if state[name]:
                pairs.append((name, state[name]))
        pairs += [("sort", state["sort"]), ("desc", "1" if state["descending"] else "0")]
        if state["page"] != 1:
            pairs.append(("page", str(state["page"])))
        if state["size"] != DEFAULT_SIZE:
            pairs.append(("size", str(state["size"])))
        if state["columns_given"]:
            pairs.append(("cols", "1"))
            pairs += [("col", c) for c in state["columns"]]
        return pairs

    def url(self, **changes: Any) -> str:
        """``?...`` for this state with ``changes``."""
        return "?" + urlencode(self.params(**changes))

    def sort_url(self, key: str) -> str:
        """The link of a column header: sort by ``key``, flipping the order when it already is."""
        descending = not self.descending if key == self.sort else key in ("start_time", "duration")
        return self.url(sort=key, descending=descending, page=1)


@dataclass
class TablePage:
    """One page of the runs table, ready to render."""

    query: TableQuery
    runs: list[Any]
    total: int | None  # None: not counted yet (the page asks for the count after it shows)
    pages: int | None
    columns: list[str]
    column_choices: list[str]
    error: str | None = None

    @property
    def live(self) -> bool:
        """Whether a run on this page may still change."""
        return any(run.status in LIVE_STATUSES for run in self.runs)

    @property
    def has_next(self) -> bool:
        """Whether a later page exists (known without the count when this page is full)."""
        if self.pages is not None:
            return self.query.page < self.pages
        return len(self.runs) == self.query.size

    @property
    def first(self) -> int:
        """1-based number of the first run shown."""
        return (self.query.page - 1) * self.query.size + 1 if self.runs else 0

    def cell(self, run: Any, column: str) -> Any:
        """The value of ``column`` (``config.x.y`` or ``metric:name``) for ``run``."""
        if column.startswith("metric:"):
            return run.final_metrics.get(column[len("metric:"):])
        if column.startswith("config."):
            return flatten(run.config or {}).get(column[len("config."):])
        return None


def _choices(runs: list[Any]) -> tuple[list[str], list[str]]:
    config_keys: dict[str, None] = {}
    metrics: dict[str, None] = {}
    for run in runs:
        for key in flatten(run.config or {}):
            config_keys[f"config.{key}"] = None
        for name in run.final_metrics or {}:
            metrics[f"metric:{name}"] = None
    return sorted(config_keys), sorted(metrics)


def count_pages(store: Any, query: TableQuery) -> tuple[int, int]:
    """(runs matching the filters, pages of ``query.size``); FilterError as ``store.count`` raises it."""
    total = store.count(**query.filters())
    return total, max(1, -(-total // query.size))


def load_page(store: Any, query: TableQuery, count: bool = True) -> TablePage:
    """Fetch the page ``query`` asks for; a filter that does not parse becomes ``error``.

    With ``count=False`` the total is left to a later request (``/count``), so the
    rows of a big store show as soon as the page's own runs are read; a page past
    the end is still counted, to show the last one instead.
    """
    from sacred.runs import FilterError

    total = pages = None
    try:
        if count:
            total, pages = count_pages(store, query)
            query.page = min(query.page, pages)
        runs = _page_runs(store, query)
        if not runs and query.page > 1 and total is None:
            total, pages = count_pages(store, query)
            query.page = min(query.page, pages)
            runs = _page_runs(store, query)
    except (FilterError, ValueError) as error:
        return TablePage(query, [], 0, 1, query.columns, [], error=str(error))
    config_keys, metrics = _choices(runs)
    columns = query.columns if query.columns_given else metrics[:4]
    choices = list(dict.fromkeys([*metrics, *config_keys, *columns]))
    return TablePage(query, runs, total, pages, columns, choices)


def _page_runs(store: Any, query: TableQuery) -> list[Any]:
    return store.query(**query.filters(), sort=query.sort, descending=query.descending,
                       offset=(query.page - 1) * query.size, limit=query.size)

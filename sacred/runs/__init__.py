"""Read any store of runs: open it, query runs, load a run's record (read-only by design).

>>> from sacred.runs import open_store
>>> store = open_store("runs")                                  # doctest: +SKIP
>>> store.query("config.lr > 0.01 and status == 'COMPLETED'", sort="metric:loss")  # doctest: +SKIP
>>> store.get("3").metric("loss").values                        # doctest: +SKIP

``open_store`` accepts a FileStorage folder, a TinyDB folder, the runner's
embedded default store (a project folder holding ``.sacred/runs``), an SQL URL
(``sqlite:///runs.db``, ``postgresql://...``) or a MongoDB URL
(``mongodb://host:port/db``). The filter language is described in
:mod:`sacred.runs.filters`. Nothing here writes to a store, except that a
FileStorage reader appends missing lines of finished runs to the store's
runs index (a cache; see :mod:`sacred.runs.file_store`).
"""

from sacred.runs.base import RunStore
from sacred.runs.model import (
    FilterError,
    MetricSeries,
    RunNotFound,
    RunRecord,
    RunSummary,
    StoredFile,
    StoreError,
)
from sacred.runs.opening import open_store

__all__ = [
    "open_store",
    "RunStore",
    "RunSummary",
    "RunRecord",
    "MetricSeries",
    "StoredFile",
    "RunNotFound",
    "StoreError",
    "FilterError",
]

"""Sacred 0.8.7's ``sacred.observers.tinydb_hashfs.bases``: file handles and serializers.

``BufferedReaderWrapper``, ``DateTimeSerializer``, ``FileSerializer`` and
``get_db_file_manager`` are the observer's own (re-exported); the numpy and
pandas serializers let a TinyDB opened through ``tinydb-serialization``
store arrays, data frames and series as JSON, as 0.8.7 registered them.
Their ``OBJ_CLASS`` is None when numpy or pandas is not installed.
"""

from __future__ import annotations

import json
from typing import Any

from sacred.observers.tinydb_hashfs._encoding import DateTimeSerializer, FileSerializer
from sacred.observers.tinydb_hashfs._files import BufferedReaderWrapper
from sacred.observers.tinydb_hashfs._store import get_db_file_manager
from sacred.optional import optional_import

__all__ = [
    "BufferedReaderWrapper",
    "DataFrameSerializer",
    "DateTimeSerializer",
    "FileSerializer",
    "NdArraySerializer",
    "SeriesSerializer",
    "get_db_file_manager",
    "ndarray_type",
    "dataframe_type",
    "series_type",
]

_np = optional_import("numpy")[1]
_pd = optional_import("pandas")[1]
ndarray_type = _np.ndarray if _np is not None else None
dataframe_type = _pd.DataFrame if _pd is not None else None
series_type = _pd.Series if _pd is not None else None


class NdArraySerializer:
    """numpy arrays as the JSON text of their nested lists (tag ``TinyArray``)."""

    OBJ_CLASS = ndarray_type

    def encode(self, obj: Any) -> str:
        """``np.array([[1, 2]])`` -> ``'[[1, 2]]'``."""
        return json.dumps(obj.tolist())

    def decode(self, s: str) -> Any:
        """The array back from its JSON text."""
        import numpy

        return numpy.array(json.loads(s))


class DataFrameSerializer:
    """pandas data frames as ``DataFrame.to_json()`` text (tag ``TinyDataFrame``)."""

    OBJ_CLASS = dataframe_type

    def encode(self, obj: Any) -> str:
        """The frame's JSON text."""
        return obj.to_json()

    def decode(self, s: str) -> Any:
        """The frame back from its JSON text."""
        import io

        import pandas

        return pandas.read_json(io.StringIO(s))


class SeriesSerializer:
    """pandas series as ``Series.to_json()`` text (tag ``TinySeries``)."""

    OBJ_CLASS = series_type

    def encode(self, obj: Any) -> str:
        """The series' JSON text."""
        return obj.to_json()

    def decode(self, s: str) -> Any:
        """The series back from its JSON text."""
        import io

        import pandas

        return pandas.read_json(io.StringIO(s), typ="series")

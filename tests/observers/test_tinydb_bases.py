"""sacred.observers.tinydb_hashfs.bases and the 0.8.7 names of the TinyDB package."""

from __future__ import annotations

import datetime
import io

import numpy as np
import pandas as pd
import tinydb
import tinydb_serialization

from sacred.observers.tinydb_hashfs import TinyDbObserver, tiny_db_option
from sacred.observers.tinydb_hashfs.bases import (
    BufferedReaderWrapper,
    DataFrameSerializer,
    DateTimeSerializer,
    NdArraySerializer,
    SeriesSerializer,
    get_db_file_manager,
)


def test_serializers_encode_and_decode():
    arrays = NdArraySerializer()
    assert NdArraySerializer.OBJ_CLASS is np.ndarray
    text = arrays.encode(np.array([[1, 2], [3, 4]]))
    assert text == "[[1, 2], [3, 4]]"
    assert (arrays.decode(text) == np.array([[1, 2], [3, 4]])).all()
    dates = DateTimeSerializer()
    stamp = datetime.datetime(2020, 1, 2, 3, 4, 5, 6)
    assert dates.encode(stamp) == "2020-01-02T03:04:05.000006" and dates.decode(dates.encode(stamp)) == stamp
    frame = pd.DataFrame({"a": [1, 2]})
    assert DataFrameSerializer.OBJ_CLASS is pd.DataFrame
    assert DataFrameSerializer().decode(DataFrameSerializer().encode(frame)).equals(frame)
    series = pd.Series([1.5, 2.5], index=["x", "y"])
    assert SeriesSerializer().decode(SeriesSerializer().encode(series)).equals(series)


def test_array_serializer_in_a_tinydb(tmp_path):
    storage = tinydb_serialization.SerializationMiddleware(tinydb.JSONStorage)
    storage.register_serializer(NdArraySerializer(), "TinyArray")
    with tinydb.TinyDB(str(tmp_path / "db.json"), storage=storage) as db:
        db.insert({"weights": np.array([1.0, 2.0])})
    storage = tinydb_serialization.SerializationMiddleware(tinydb.JSONStorage)
    storage.register_serializer(NdArraySerializer(), "TinyArray")
    with tinydb.TinyDB(str(tmp_path / "db.json"), storage=storage) as db:
        (doc,) = db.all()
    assert isinstance(doc["weights"], np.ndarray) and doc["weights"].tolist() == [1.0, 2.0]


def test_buffered_reader_wrapper_and_db_file_manager(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    wrapper = BufferedReaderWrapper(open(path, "rb"))
    assert isinstance(wrapper, io.BufferedReader) and wrapper.read() == b"abc"
    wrapper.close()
    db, fs = get_db_file_manager(str(tmp_path / "store"))
    assert (tmp_path / "store").is_dir() and fs.root == str(tmp_path / "store" / "hashfs")
    db.close()


def test_087_constructors_and_option(tmp_path):
    assert tiny_db_option.short_flag == "-t" and tiny_db_option.long_flag == "--tiny_db"
    obs = TinyDbObserver.create(str(tmp_path / "runs"))
    assert isinstance(obs, TinyDbObserver) and obs.root == str(tmp_path / "runs")
    db, fs = get_db_file_manager(str(tmp_path / "other"))
    made = TinyDbObserver.create_from(db, fs, root=str(tmp_path / "other"))
    assert made.root == str(tmp_path / "other")
    db.close()

"""force_bson_encodeable and the other 0.8.7 names of sacred.observers.mongo."""

from __future__ import annotations

import datetime

import bson
import numpy as np

from sacred.observers.mongo import force_bson_encodeable, parse_mongo_db_arg


def test_force_bson_encodeable_as_087():
    value = {
        "a": 1,
        "b.c": 2,
        "$x": 3,
        "n": np.float64(1.5),
        "o": object,
        "t": (1, 2),
        "d": datetime.datetime(2020, 1, 1),
        "l": [{"x.y": 1}],
        "bytes": b"ab",
    }
    result = force_bson_encodeable(value)
    # what Sacred 0.8.7 returns for the same value
    assert result == {
        "a": 1,
        "b,c": 2,
        "@x": 3,
        "n": 1.5,
        "o": "<class 'object'>",
        "t": (1, 2),
        "d": datetime.datetime(2020, 1, 1),
        "l": [{"x.y": 1}],
        "bytes": b"ab",
    }
    bson.encode(result)  # storable now
    assert force_bson_encodeable([object, 1]) == [str(object), 1]


def test_parse_mongo_db_arg_as_087():
    assert parse_mongo_db_arg("db") == {"db_name": "db"}
    assert parse_mongo_db_arg("h:1:db.c!3") == {
        "url": "h:1",
        "db_name": "db",
        "collection": "c",
        "priority": 3,
    }

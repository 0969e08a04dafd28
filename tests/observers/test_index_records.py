"""index_records parses the runs index in one call and gives what a line-by-line parse gives."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sacred.observers.run_files._layout import index_line, index_records


def line_by_line(data: bytes) -> list[dict]:
    """The reference: every line parsed on its own, what does not parse or is not a record skipped."""
    records = []
    for raw in data.splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict) and "_id" in record:
            records.append(record)
    return records


values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=8,
)
records = st.fixed_dictionaries(
    {"_id": st.one_of(st.integers(0, 999), st.text(min_size=1, max_size=4)), "status": st.sampled_from(
        ["RUNNING", "COMPLETED", "FAILED"])},
    optional={"config": st.dictionaries(st.text(max_size=4), values, max_size=3), "result": values},
)


@st.composite
def index_files(draw) -> bytes:
    """Index lines as the observer writes them, some torn at any byte, some blank, some foreign."""
    lines = []
    for record in draw(st.lists(records, max_size=8)):
        line = index_line(record)
        kind = draw(st.sampled_from(["whole", "whole", "whole", "torn", "blank", "foreign"]))
        if kind == "torn":
            line = line[:draw(st.integers(0, len(line) - 1))]
        elif kind == "blank":
            lines.append(b"   \n")
        elif kind == "foreign":
            line = draw(st.sampled_from([b"1,2\n", b"[]\n", b'"x"\n', b'{"no_id": 1}\n', b"\xff\xfe\n"]))
        lines.append(line if line.endswith(b"\n") else line + b"\n")
    return b"".join(lines)


@settings(max_examples=400)
@given(index_files())
def test_the_joined_parse_gives_what_each_line_gives(data):
    assert list(index_records(data)) == line_by_line(data)


def test_a_torn_last_line_is_skipped_and_the_rest_kept():
    lines = [index_line({"_id": n, "status": "COMPLETED", "config": {"a": [n, {"b": n}]}}) for n in range(3)]
    torn = lines[2][: lines[2].index(b"}") + 1]  # torn right after an inner closing brace
    data = lines[0] + lines[1] + torn
    assert [r["_id"] for r in index_records(data)] == [0, 1]

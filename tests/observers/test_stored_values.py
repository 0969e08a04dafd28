"""map_leaves / mask_secrets over nested run data."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sacred.observers.stored_values import map_leaves, mask_secrets

nested = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(nested)
def test_identity_conversion_keeps_the_structure(value):
    assert map_leaves(value, lambda leaf: leaf) == value


def test_tuples_become_lists_and_leaves_are_converted():
    assert map_leaves({"a": (1, [2, {"b": 3}])}, lambda x: x * 10) == {"a": [10, [20, {"b": 30}]]}


def test_mask_secrets_masks_urls_at_any_depth_and_leaves_the_rest():
    meta = {
        "command": "run",
        "options": {"--sql": "postgresql://u:secret@h/db", "--beat": 2.0},
        "urls": ("mongodb://a:pw@host/x", None),
    }
    assert mask_secrets(meta) == {
        "command": "run",
        "options": {"--sql": "postgresql://u:***@h/db", "--beat": 2.0},
        "urls": ["mongodb://a:***@host/x", None],
    }
    assert meta["options"]["--sql"] == "postgresql://u:secret@h/db"

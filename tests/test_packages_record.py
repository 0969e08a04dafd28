"""Top-level names read from a RECORD: the folder-skipping reader gives what a line-by-line parse gives."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from sacred import packages


def _reference(lines: list[str]) -> set[str]:
    """The RECORD parse before the skip (every line parsed on its own)."""
    names: set[str] = set()
    for line in lines:
        path = line.split(",", 1)[0].strip().replace("\\", "/")
        if not path or path.startswith((".", "/")):
            continue
        first, slash, _ = path.partition("/")
        if slash:
            if not first.endswith((".dist-info", ".egg-info", ".data")) and first != "__pycache__":
                names.add(first)
        elif first.endswith(".py"):
            names.add(first[: -len(".py")])
        elif first.endswith((".so", ".pyd")):
            names.add(first.split(".", 1)[0])
    return {n for n in names if n.isidentifier()}


parts = st.sampled_from(["numpy", "np", "a.py", "b.so", "x.dist-info", "__pycache__", "", " ", ".",
                         "c,d", "e\\f", "\0", "ü", "g.data", "h.pyd", "pkg", "pkg ", " pkg"])
paths = st.lists(parts, min_size=1, max_size=4).map("/".join)
separators = st.sampled_from(["/", "\\", ",", " "])
lines = st.one_of(
    st.builds(lambda p, tail: p + tail, paths, st.sampled_from([",sha256=x,12\n", "\n", ",,\n", ""])),
    st.builds(lambda a, s, b: a + s + b + ",\n", parts, separators, parts),
    st.text(max_size=12),
)


@settings(max_examples=500)
@given(st.lists(lines, max_size=30))
def test_record_names_match_a_line_by_line_parse(tmp_path_factory, record):
    folder = tmp_path_factory.mktemp("dist") / "demo-1.0.dist-info"
    os.makedirs(folder)
    with open(folder / "RECORD", "w", encoding="utf-8", newline="") as handle:
        handle.write("".join(line if line.endswith("\n") else line + "\n" for line in record))
    with open(folder / "RECORD", encoding="utf-8") as handle:
        written = handle.readlines()
    assert packages._top_level_names(str(folder)) == _reference(written)


def test_lines_under_the_previous_folder_are_skipped(tmp_path, monkeypatch):
    folder = tmp_path / "demo-1.0.dist-info"
    os.makedirs(folder)
    (folder / "RECORD").write_text("".join(f"numpy/m{i}.py,,\n" for i in range(1000)) + "six.py,,\n")
    calls: list = []
    original_open = open

    def opening(path, *args, **kwargs):
        handle = original_open(path, *args, **kwargs)
        if str(path).endswith("RECORD"):
            lines = handle.readlines()
            handle.close()

            class Lines:
                def __enter__(self):
                    return self

                def __exit__(self, *exc):
                    return False

                def readlines(self):
                    return [_Spy(line, calls) for line in lines]

            return Lines()
        return handle

    monkeypatch.setattr("builtins.open", opening)
    assert packages._top_level_names(str(folder)) == {"numpy", "six"}
    assert len(calls) == 2  # the first numpy/ line and six.py: each parsed line is split once


class _Spy(str):
    """A RECORD line that notes when it is parsed (split at its comma)."""

    def __new__(cls, text: str, calls: list) -> _Spy:
        obj = super().__new__(cls, text)
        obj.calls = calls
        return obj

    def split(self, *args, **kwargs):  # noqa: D102
        self.calls.append(str(self))
        return str(self).split(*args, **kwargs)

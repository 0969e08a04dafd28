"""Node ids shortened for the live lines so that runs shown together still read apart.

Sweep points share everything but their parameter values
(``exp.py::ex::fit[steps=1,lr=0.1]`` and ``...[steps=2,lr=0.1]``); cutting
their node ids at the end, as a plain ellipsis would, leaves two identical
lines on an 80-column terminal. :func:`distinct_labels` keeps what tells the
shown ids apart: the parameters (only those whose values differ between the
lines when all of them do not fit), and the end of ids without parameters
when their beginnings are the same.
"""

from __future__ import annotations

import re

__all__ = ["distinct_labels"]

ELLIPSIS = "…"
_PARAM_SPLIT = re.compile(r",(?=[A-Za-z_][\w.]*=)")


def _head(text: str, width: int) -> str:
    """``text`` cut at the end to ``width`` characters, with an ellipsis when cut."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + ELLIPSIS if width > 0 else ""


def _tail(text: str, width: int) -> str:
    """``text`` cut at the beginning to ``width`` characters, with an ellipsis when cut."""
    if len(text) <= width:
        return text
    return ELLIPSIS + text[len(text) - width + 1:] if width > 1 else ELLIPSIS[:width]


def _split(nodeid: str) -> tuple[str, str]:
    """``(base, "[params]")`` of a sweep point's node id; ``(nodeid, "")`` otherwise."""
    start = nodeid.find("[")
    if start > 0 and nodeid.endswith("]"):
        return nodeid[:start], nodeid[start:]
    return nodeid, ""


def _varying(params: str, others: list[str]) -> str:
    """``[k=v,...]`` with only the parameters whose values differ among ``others`` (all the points' params)."""
    tokens = _PARAM_SPLIT.split(params[1:-1])
    seen = [set(_PARAM_SPLIT.split(p[1:-1])) for p in others if p]
    kept = [t for t in tokens if not all(t in s for s in seen)]
    if not kept or len(kept) == len(tokens):
        return params
    return "[" + ELLIPSIS + ",".join(kept) + "]"


def _label(nodeid: str, width: int, all_params: list[str], same_heads: bool) -> str:
    if len(nodeid) <= width:
        return nodeid
    base, params = _split(nodeid)
    if not params:
        return _tail(nodeid, width) if same_heads else _head(nodeid, width)
    for shown in (params, _varying(params, all_params)):
        room = width - len(shown)
        if room >= 4:  # a few characters of the file name, then the parameters
            return _head(base, room) + shown
    return _head(_varying(params, all_params), width)


def distinct_labels(nodeids: list[str], width: int) -> list[str]:
    """Each node id in at most ``width`` characters, keeping what distinguishes it from the others."""
    if all(len(nodeid) <= width for nodeid in nodeids):
        return list(nodeids)
    all_params = [_split(nodeid)[1] for nodeid in nodeids]
    heads = [_head(nodeid, width) for nodeid in nodeids]
    same_heads = len(set(heads)) < len(set(nodeids))
    return [_label(nodeid, width, all_params, same_heads) for nodeid in nodeids]

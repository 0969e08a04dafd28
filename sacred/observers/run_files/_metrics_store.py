"""Metric series of one run, kept as encoded JSON text: each point is encoded once.

``metrics.json`` holds ``{name: {"steps": [...], "timestamps": [...],
"values": [...]}}`` (keys sorted), indented like ``json.dumps(..., indent=2,
sort_keys=True)`` while its compact form is under 1 MiB and compact
(``separators=(",", ":")``) above; timestamps are the naive UTC ``isoformat()``
of ``datetime.fromtimestamp(t, UTC)``. Rewriting that file while the run goes
on, journaling each batch and writing it at the end used to encode every
point three or four times, building a ``datetime`` for each on the way.

:class:`MetricSeries` keeps, per metric, the JSON text of each batch of steps,
timestamps and values (fragments); files are joined from those fragments, so
a point costs one encoding. The bytes are those ``json.dumps`` gives for the
same data (``tests/observers/test_metrics_store.py`` checks this with
hypothesis). Floats are encoded by ``json`` itself; timestamps are formatted
from the float seconds directly (:func:`iso_timestamps`), rounding to the
microsecond exactly as ``datetime.fromtimestamp`` does (half to even).

orjson is not used as an accelerator: its float text differs from Python's
(``1e16`` vs ``1e+16``, ``NaN`` becomes ``null``), so the stored bytes would
change.
"""

from __future__ import annotations

import datetime as _dt
import json
from itertools import groupby, repeat
from operator import mul, sub

from sacred.metrics_logger import CheckedPoints

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MetricSeries", "iso_timestamps", "encode_list", "INDENT_BELOW_BYTES"]

INDENT_BELOW_BYTES = 1 << 20
"""Below this compact size metrics.json is indented like sacred 0.8.7's."""

_UTC = _dt.UTC
# float seconds the fast formatting handles: 1970 up to the end of year 9999
_FIRST_FAST = 0.0
_END_FAST = 253_402_300_800.0


def _iso_slow(stamp: float) -> str:
    return _dt.datetime.fromtimestamp(stamp, _UTC).replace(tzinfo=None).isoformat()


class _SecondPrefix(dict):
    """``{whole second: "YYYY-MM-DDTHH:MM:SS."}``, filled on first use."""

    def __missing__(self, second: int) -> str:
        text = self[second] = _iso_slow(second) + "."
        return text


_PREFIXES = _SecondPrefix()
_PREFIX_CACHE_LIMIT = 100_000


def iso_timestamps(stamps: list[float]) -> str:
    """The JSON text (without brackets) of ``stamps`` as naive UTC ``isoformat`` strings.

    ``'"2025-01-02T03:04:05.000678","2025-01-02T03:04:06"'`` for two float unix
    times: the same text as ``json.dumps([datetime.fromtimestamp(t, UTC)
    .replace(tzinfo=None).isoformat() for t in stamps])`` with ``","`` separators.

    Every step runs in C over the whole list (``map``, ``%`` formatting,
    ``str.replace``): the date-time prefix is formatted once per distinct
    second and only the six microsecond digits per point.
    """
    if not stamps:
        return ""
    first = min(stamps)
    last = max(stamps)
    if not (_FIRST_FAST <= first and last < _END_FAST):  # before 1970, after 9999
        return _iso_each(stamps)
    text = _iso_few_seconds(stamps, first, last)
    if text is not None:
        return text
    try:
        seconds = list(map(int, stamps))
        # as datetime.fromtimestamp computes it: the fraction (exact: t - int(t)) times
        # 1e6, rounded half to even
        micros = tuple(map(_ROUND, map(mul, map(sub, stamps, seconds), repeat(1e6))))
    except (TypeError, ValueError, OverflowError):  # NaN, odd types: datetime decides
        return _iso_each(stamps)
    # a whole second has no fraction in isoformat; 1_000_000 carries into the next
    # second: those few points are formatted by datetime itself
    odd = sorted(_positions(micros, 0) + _positions(micros, 1_000_000))
    odd.append(len(stamps))
    if len(_PREFIXES) > _PREFIX_CACHE_LIMIT:
        _PREFIXES.clear()
    prefixes = _PREFIXES
    parts = []
    start = 0
    next_odd = 0
    for second, group in groupby(seconds):
        end = start + len(list(group))
        while odd[next_odd] < end:
            position = odd[next_odd]
            if position > start:
                parts.append(_same_second(prefixes[second], micros[start:position]))
            parts.append('"' + _iso_slow(stamps[position]) + '"')
            start = position + 1
            next_odd += 1
        if end > start:
            parts.append(_same_second(prefixes[second], micros[start:end]))
        start = end
    return ",".join(parts)


_ROUND = float.__round__  # round(x) for a float x, without the lookup of __round__
# _iso_few_seconds: from 2**20 s (1970-01-13) on, t - (second - 1) and its product
# with 1e6 are exact (at most 4 + 32 significant bits, times 15625 * 64)
_FEW_SECONDS_FROM = float(1 << 20)
_FEW_SECONDS_SPAN = 8


def _iso_few_seconds(stamps: list[float], first: float, last: float) -> str | None:
    """:func:`iso_timestamps` for stamps within 8 seconds (one beat's), else None.

    With ``base`` the first whole second, each stamp becomes the integer
    ``round((t - (base - 1)) * 1e6)``: seven digits, the first one 1 + the
    second's offset from ``base``, the other six the microseconds; the
    products are exact, so the rounding (half to even) and the carry into the
    next second are datetime's. One ``%`` formats all codes, one
    ``str.replace`` per leading digit puts in that second's date-time, and a
    last one drops the fraction of whole seconds, as ``isoformat`` does.
    """
    base = int(first)
    if not (first >= _FEW_SECONDS_FROM and last - base < _FEW_SECONDS_SPAN):
        return None
    try:
        codes = tuple(map(_ROUND, map(mul, map(sub, stamps, repeat(float(base - 1))),
                                      repeat(1e6))))
    except (TypeError, ValueError, OverflowError):  # NaN, odd types: the general path
        return None
    digits = ("%d," * len(codes)) % codes
    if len(_PREFIXES) > _PREFIX_CACHE_LIMIT:
        _PREFIXES.clear()
    text = '"' + _PREFIXES[base + int(digits[0]) - 1] + digits[1:-1] + '"'
    for lead in range(1, int(last - base) + 3):  # the last second's, and a carry past it
        text = text.replace("," + str(lead), '","' + _PREFIXES[base + lead - 1])
    return text.replace('.000000"', '"')


def _iso_each(stamps: list[float]) -> str:
    return ",".join(['"' + _iso_slow(t) + '"' for t in stamps])


def _same_second(prefix: str, micros: tuple[int, ...]) -> str:
    """``"<prefix>000123","<prefix>000456"`` for microseconds 1..999,999 of one second.

    ``%`` formats only the digits (a long literal in the format string is
    scanned again for every item); ``str.replace`` then puts the prefix in.
    """
    digits = ("%06d," * len(micros)) % micros
    return '"' + prefix + digits[:-1].replace(",", '","' + prefix) + '"'


def _positions(items: tuple[int, ...], value: int) -> list[int]:
    """Every index of ``value`` in ``items`` (searched in C by ``list.index``)."""
    found = []
    position = -1
    try:
        while True:
            position = items.index(value, position + 1)
            found.append(position)
    except ValueError:
        return found


def encode_list(items: list) -> str:
    """``json.dumps(items, sort_keys=True, separators=(",", ":"))`` without the brackets."""
    return json.dumps(items, sort_keys=True, separators=(",", ":"), allow_nan=True)[1:-1]


_PLAIN_NUMBERS = frozenset({int, float})
_INTS = {int}


def _numbers_text(items: list) -> str | None:
    """JSON text of a list of exact ints/floats, or None when it holds anything else."""
    kinds = set(map(type, items))
    if kinds == _INTS:
        return _ints_text(items)
    if not kinds <= _PLAIN_NUMBERS:
        return None
    return encode_list(items)


def _ints_text(items: list[int]) -> str:
    """JSON text of exact ints: ``%d`` is ``int.__repr__``, as json writes them, in half the time."""
    count = len(items)
    if count >= 40 and items[-1] - items[0] == count - 1 and items == list(range(items[0], items[0] + count)):
        return _range_text(items[0], items[0] + count)  # steps of log_scalar: mostly a range
    return (("%d," * count) % tuple(items))[:-1]


_TEN = "X0,X1,X2,X3,X4,X5,X6,X7,X8,X9,"


def _range_text(start: int, stop: int) -> str:
    """``",".join(map(str, range(start, stop)))``, whole tens as their prefix in a template.

    ``12340..12349`` is ``_TEN`` with ``X`` replaced by ``"1234"``: one C call
    per ten numbers instead of formatting each (ten-blocks start at 10, so
    every prefix is a positive number without leading zeros).
    """
    first_ten = max(-(-start // 10), 1)
    last_ten = stop // 10
    if last_ten <= first_ten:
        return (("%d," * (stop - start)) % tuple(range(start, stop)))[:-1]
    head = ("%d," * (first_ten * 10 - start)) % tuple(range(start, first_ten * 10))
    body = "".join(map(_TEN.replace, repeat("X"), map(str, range(first_ten, last_ten))))
    tail = ("%d," * (stop - last_ten * 10)) % tuple(range(last_ten * 10, stop))
    return "".join((head, body, tail))[:-1]


class _Series:
    """One metric: its fragments and counts."""

    __slots__ = ("steps", "timestamps", "values", "count", "last", "has_last", "simple")

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.timestamps: list[str] = []
        self.values: list[str] = []
        self.count = 0
        self.last: Any = None
        self.has_last = False
        # every element is a number or a timestamp (no commas inside an element)
        self.simple = True

    def add(self, steps: str, timestamps: str, values: str) -> None:
        for target, text in ((self.steps, steps), (self.timestamps, timestamps), (self.values, values)):
            if text:
                target.append(text)

    def compact_parts(self, out: list[str]) -> None:
        """Append the pieces of the compact JSON object to ``out`` (joined once by the caller)."""
        for opening, fragments in (('{"steps":[', self.steps), ('],"timestamps":[', self.timestamps),
                                   ('],"values":[', self.values)):
            out.append(opening)
            for fragment in fragments:
                out.append(fragment)
                out.append(",")
            if fragments:
                out.pop()
        out.append("]}")

    def indented(self) -> str:
        def block(fragments: list[str]) -> str:
            if not fragments:
                return "[]"
            return "[\n      " + ",".join(fragments).replace(",", ",\n      ") + "\n    ]"

        return (
            '{\n    "steps": ' + block(self.steps) + ',\n    "timestamps": ' + block(self.timestamps)
            + ',\n    "values": ' + block(self.values) + "\n  }"
        )


class MetricSeries:
    """All metric series of a run, as encoded fragments (see the module docstring)."""

    def __init__(self) -> None:
        self._series: dict[str, _Series] = {}
        self.points = 0

    def __bool__(self) -> bool:
        return bool(self._series)

    def _get(self, name: str) -> _Series:
        series = self._series.get(name)
        if series is None:
            series = self._series[name] = _Series()
        return series

    def add_unix_points(self, points: dict) -> str:
        """Add ``{name: (steps, values, unix times)}``; returns the batch's journal line text.

        Steps and values of exact ``int``/``float`` types (what ``log_scalar``
        records) are encoded in bulk; anything else is flattened first, as
        :meth:`add_records` does.
        """
        batch: dict[str, tuple[str, str, str]] = {}
        checked = type(points) is CheckedPoints  # log_scalar's types: no check needed
        for name, (steps, values, stamps) in points.items():
            key = str(name)
            if checked:
                steps_text = _ints_text(steps)
                values_text = encode_list(values)
            else:
                steps_text = _numbers_text(steps)
                values_text = _numbers_text(values)
            simple = steps_text is not None and values_text is not None
            if not simple:
                from sacred.observers.run_files._layout import safe_flatten

                values = safe_flatten(list(values))
                steps_text = encode_list(safe_flatten(list(steps)))
                values_text = encode_list(values)
            series = self._get(key)
            series.simple = series.simple and simple
            self._commit(key, series, batch, (steps_text, iso_timestamps(stamps), values_text), values)
        return _journal_text(batch)

    def add_records(self, records: dict) -> str:
        """Add ``{name: {"steps", "values", "timestamps"}}`` (the ``log_metrics`` form).

        Values are flattened safely (numpy scalars become numbers, datetimes
        ISO strings). Returns the batch's journal line text; nothing is added
        (and ``""`` returned) when the records hold no values at all.
        """
        from sacred.observers.run_files._layout import safe_flatten

        lists = [
            (str(name), list(record.get("steps", [])), list(record.get("values", [])),
             list(record.get("timestamps", [])))
            for name, record in records.items()
        ]
        if not any(values for _, _, values, _ in lists):
            return ""
        batch: dict[str, tuple[str, str, str]] = {}
        for key, raw_steps, raw_values, raw_stamps in lists:
            steps, values, stamps = (safe_flatten(v) for v in (raw_steps, raw_values, raw_stamps))
            series = self._get(key)
            series.simple = series.simple and _all_simple(steps) and _all_simple(values) \
                and _all_simple(stamps)
            texts = (encode_list(steps), encode_list(stamps), encode_list(values))
            self._commit(key, series, batch, texts, values)
        return _journal_text(batch)

    def _commit(self, key: str, series: _Series, batch: dict, texts: tuple[str, str, str],
                values: list) -> None:
        """Append one batch's fragments (steps, timestamps, values) of metric ``key``."""
        series.add(*texts)
        if values:
            series.last = values[-1]
            series.has_last = True
            series.count += len(values)
            self.points += len(values)
        previous = batch.get(key)
        if previous is not None:  # the same name twice in one batch (1 and "1")
            texts = tuple(",".join(p for p in pair if p) for pair in zip(previous, texts, strict=True))
        batch[key] = texts

    def compact(self) -> str:
        """``json.dumps(metrics, sort_keys=True, separators=(",", ":"))``."""
        return "".join(self._compact_parts())

    def _compact_parts(self) -> list[str]:
        """The pieces of :meth:`compact`: a file of 100 MB is copied once when joined."""
        if not self._series:
            return ["{}"]
        parts = ["{"]
        for name in sorted(self._series):
            parts.append(json.dumps(name) + ":")
            self._series[name].compact_parts(parts)
            parts.append(",")
        parts[-1] = "}"
        return parts

    def file_bytes(self) -> bytes:
        """The bytes of ``metrics.json``: indented below 1 MiB compact, compact above."""
        parts = self._compact_parts()
        if sum(map(len, parts)) >= INDENT_BELOW_BYTES:
            return "".join(parts).encode("utf-8")
        compact = "".join(parts)
        if all(s.simple for s in self._series.values()):
            if not self._series:
                return b"{}"
            return ("{\n" + ",\n".join(
                "  " + json.dumps(name) + ": " + self._series[name].indented()
                for name in sorted(self._series)
            ) + "\n}").encode("utf-8")
        return json.dumps(json.loads(compact), indent=2, sort_keys=True).encode("utf-8")

    def as_dict(self) -> dict:
        """The metrics as python data (decoded from the stored text)."""
        return json.loads(self.compact())

    def final_values(self) -> dict:
        """``{name: last value}`` of the series that have values."""
        return {name: s.last for name, s in self._series.items() if s.has_last}


def _all_simple(items: list) -> bool:
    """True when no element's JSON text contains a comma (numbers, strings without one)."""
    for item in items:
        kind = type(item)
        if kind is int or kind is float or (kind is str and "," not in item):
            continue
        return False
    return True


def _journal_text(batch: dict[str, tuple[str, str, str]]) -> str:
    if not batch:
        return ""
    parts = ["{"]
    for name, (steps, stamps, values) in sorted(batch.items()):
        parts += (json.dumps(name), ':{"steps":[', steps, '],"timestamps":[', stamps,
                  '],"values":[', values, "]},")
    parts[-1] = "]}}"
    return "".join(parts)

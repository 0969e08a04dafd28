"""The objective of a sweep: ``result`` or ``metric:NAME[:last|min|max]``, and its direction."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sacred_runner.errors import UsageError

__all__ = ["Objective", "parse_objective"]

DIRECTIONS = ("minimize", "maximize")
REDUCTIONS = ("last", "min", "max")


@dataclass(frozen=True)
class Objective:
    """What to optimise: the run's result or a logged metric (reduced by last/min/max)."""

    source: str  # "result" or "metric"
    metric: str | None = None
    reduction: str = "last"
    direction: str = "minimize"

    @property
    def label(self) -> str:
        """``result`` or ``loss (min)``: the table's column title."""
        return "result" if self.source == "result" else f"{self.metric} ({self.reduction})"

    def value(self, outcome: Any) -> float | None:
        """The objective of one run's outcome (None when it has none, e.g. a failed run)."""
        if outcome.status != "COMPLETED":
            return None
        if self.source == "result":
            raw = outcome.result_value
        else:
            raw = (outcome.metric_stats.get(self.metric) or {}).get(self.reduction)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or math.isnan(raw):
            return None
        return float(raw)

    def sort_key(self, value: float | None) -> tuple[int, float]:
        """Best first, runs without a value last."""
        if value is None:
            return (1, 0.0)
        return (0, value if self.direction == "minimize" else -value)


def parse_objective(text: str | None, direction: str | None) -> Objective | None:
    """``--objective TEXT --direction D`` (None without an objective)."""
    direction = (direction or "minimize").lower()
    if direction not in DIRECTIONS:
        raise UsageError(f"--direction: expected minimize or maximize, got {direction!r}")
    if text is None:
        return None
    if text == "result":
        return Objective("result", direction=direction)
    parts = text.split(":")
    if parts[0] != "metric" or len(parts) not in (2, 3) or not parts[1]:
        raise UsageError(f"--objective: expected 'result' or 'metric:NAME[:last|min|max]', got {text!r}")
    reduction = parts[2] if len(parts) == 3 else "last"
    if reduction not in REDUCTIONS:
        raise UsageError(f"--objective: the reduction must be last, min or max, got {reduction!r} in {text!r}")
    return Objective("metric", parts[1], reduction, direction)

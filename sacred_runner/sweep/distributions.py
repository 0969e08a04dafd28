"""Distributions of a random search: ``choice``, ``uniform``, ``loguniform``, ``randint``."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

__all__ = ["DISTRIBUTIONS", "Distribution", "make_distribution"]

DISTRIBUTIONS = ("choice", "uniform", "loguniform", "randint")


@dataclass(frozen=True)
class Distribution:
    """One parameter's distribution: ``kind`` and its arguments (checked by :func:`make_distribution`)."""

    kind: str
    args: tuple[Any, ...]

    def sample(self, rng: random.Random) -> Any:
        """Draw one value with ``rng``."""
        if self.kind == "choice":
            return self.args[rng.randrange(len(self.args))]
        if self.kind == "uniform":
            low, high = self.args
            return rng.uniform(low, high)
        if self.kind == "loguniform":
            low, high = self.args
            return math.exp(rng.uniform(math.log(low), math.log(high)))
        low, high = self.args  # randint: low <= value < high, as numpy and Optuna's high-exclusive forms
        return rng.randrange(low, high)


def _numbers(kind: str, args: tuple[Any, ...]) -> tuple[float, float]:
    if len(args) != 2 or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
        raise ValueError(f"{kind} takes two numbers (low, high), got {list(args)!r}")
    low, high = args
    if not low < high:
        raise ValueError(f"{kind} needs low < high, got {low} and {high}")
    return low, high


def make_distribution(kind: str, args: tuple[Any, ...]) -> Distribution:
    """A checked :class:`Distribution`; ``ValueError`` names what is wrong and what is accepted."""
    if kind not in DISTRIBUTIONS:
        raise ValueError(f"unknown distribution {kind!r} (use one of: {', '.join(DISTRIBUTIONS)})")
    if kind == "choice":
        if not args:
            raise ValueError("choice needs at least one value")
        return Distribution(kind, tuple(args))
    low, high = _numbers(kind, args)
    if kind == "loguniform" and low <= 0:
        raise ValueError(f"loguniform needs 0 < low < high, got {low} and {high}")
    if kind == "randint" and not all(isinstance(a, int) for a in (low, high)):
        raise ValueError(f"randint takes two integers (low, high exclusive), got {low} and {high}")
    return Distribution(kind, (low, high))

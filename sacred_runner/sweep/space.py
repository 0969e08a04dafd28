"""Search spaces and their points: a grid (product of axes), a list of points, a random search."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from sacred_runner.errors import UsageError
from sacred_runner.sweep.axes import NAMED_CONFIGS_KEY, Axis
from sacred_runner.sweep.distributions import Distribution

__all__ = ["DEFAULT_MAX_POINTS", "Grid", "PointList", "Product", "RandomSearch", "SearchSpace", "SweepPoint", "check_size"]

DEFAULT_MAX_POINTS = 10_000


@dataclass(frozen=True)
class SweepPoint:
    """One point: dotted config updates and named configs, plus its display form ``point``."""

    updates: dict[str, Any]
    named_configs: tuple[str, ...] = ()

    @property
    def point(self) -> dict[str, Any]:
        """``{dotted key: value}`` (``named_configs`` as a list when the point chose any)."""
        shown: dict[str, Any] = dict(self.updates)
        if self.named_configs:
            shown[NAMED_CONFIGS_KEY] = list(self.named_configs)
        return shown

    def label(self) -> str:
        """``lr=0.1,bs=32`` for node ids and tables."""
        parts = [f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}" for key, value in self.updates.items()]
        parts.extend(self.named_configs)
        return ",".join(parts)


class SearchSpace:
    """Something that yields sweep points; ``size`` is known before expanding."""

    size: int

    def points(self) -> Iterator[SweepPoint]:  # pragma: no cover - interface
        """The points in order."""
        raise NotImplementedError


@dataclass
class Grid(SearchSpace):
    """Every combination of the axes' values (the last axis varies fastest)."""

    axes: list[Axis] = field(default_factory=list)

    @property
    def size(self) -> int:  # type: ignore[override]
        """Number of points: the product of the axes' lengths."""
        return math.prod(axis.size for axis in self.axes)

    def points(self) -> Iterator[SweepPoint]:
        """Each combination as a point (call after :func:`check_size`: ``product`` holds every axis's values)."""
        for combination in product(*(axis.values for axis in self.axes)):
            updates: dict[str, Any] = {}
            named: list[str] = []
            for axis, value in zip(self.axes, combination, strict=True):
                if axis.named:
                    named.extend(value)
                else:
                    updates[axis.key] = value
            yield SweepPoint(updates, tuple(named))


@dataclass
class PointList(SearchSpace):
    """Explicit points, in order."""

    entries: list[SweepPoint] = field(default_factory=list)

    @property
    def size(self) -> int:  # type: ignore[override]
        """Number of points."""
        return len(self.entries)

    def points(self) -> Iterator[SweepPoint]:
        """The points as given."""
        yield from self.entries


@dataclass
class RandomSearch(SearchSpace):
    """``trials`` points drawn from per-key distributions with a seeded generator."""

    trials: int
    seed: int
    parameters: dict[str, Distribution] = field(default_factory=dict)

    @property
    def size(self) -> int:  # type: ignore[override]
        """Number of points (the trials)."""
        return self.trials

    def points(self) -> Iterator[SweepPoint]:
        """Draw each trial's values in key order, reproducibly from ``seed``."""
        rng = random.Random(self.seed)
        for _ in range(self.trials):
            updates: dict[str, Any] = {}
            named: tuple[str, ...] = ()
            for key, distribution in self.parameters.items():
                value = distribution.sample(rng)
                if key == NAMED_CONFIGS_KEY:
                    named = tuple(value) if isinstance(value, (list, tuple)) else (value,)
                else:
                    updates[key] = value
            yield SweepPoint(updates, named)


@dataclass
class Product(SearchSpace):
    """Every point of ``first`` combined with every point of ``second`` (``second`` varies fastest)."""

    first: SearchSpace
    second: SearchSpace

    @property
    def size(self) -> int:  # type: ignore[override]
        """The product of the two sizes."""
        return self.first.size * self.second.size

    def points(self) -> Iterator[SweepPoint]:
        """Merged points; ``second``'s values win on a shared key."""
        for a in self.first.points():
            for b in self.second.points():
                yield SweepPoint({**a.updates, **b.updates}, a.named_configs + b.named_configs)


def check_size(space: SearchSpace, max_points: int, per_item: int = 1) -> None:
    """A usage error when the sweep would run more than ``max_points`` runs (before expanding)."""
    total = space.size * per_item
    if total > max_points:
        raise UsageError(
            f"the sweep has {total:,} points, more than --max-points {max_points:,}; "
            f"pass --max-points {total} to run it anyway, or narrow the axes"
        )
    if total == 0:
        raise UsageError("the sweep has no points")

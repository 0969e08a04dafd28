"""A sweep's identity (id, seed) and its run items: one picklable :class:`RunItem` per point.

Every point's run records ``meta_info["sweep"] = {"id", "index", "count",
"point", "seed"}``. Seeds: a ``seed`` the sweep fixes (``seed=3``) or sweeps
(``seed=1,2,3``) is used as given; otherwise each point's config gets
``seed = point_seed(sweep seed, index)``, and the sweep seed is derived from
the sweep id, so ``--sweep-id ID`` reproduces every point's seed.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from dataclasses import dataclass, replace
from typing import Any

from sacred_runner.items import RunItem
from sacred_runner.sweep.space import SweepPoint

__all__ = ["SweepIdentity", "new_sweep_id", "point_item", "point_seed", "seed_of_sweep"]

SEED_LIMIT = 2**31  # seeds Sacred draws are below this


def new_sweep_id() -> str:
    """A fresh sweep id (12 hex digits)."""
    return uuid.uuid4().hex[:12]


def _hash_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") % SEED_LIMIT


def seed_of_sweep(sweep_id: str) -> int:
    """The sweep's seed, derived from its id."""
    return _hash_int(f"sacred-sweep:{sweep_id}")


def point_seed(sweep_seed: int, index: int) -> int:
    """The seed of point ``index`` of a sweep with seed ``sweep_seed``."""
    return _hash_int(f"sacred-sweep-point:{sweep_seed}:{index}")


@dataclass(frozen=True)
class SweepIdentity:
    """What every point of one sweep shares: its id, seed and number of points."""

    sweep_id: str
    seed: int
    count: int

    @classmethod
    def create(cls, count: int, sweep_id: str | None = None) -> SweepIdentity:
        """A new sweep (or the one named ``sweep_id``, to reproduce its seeds)."""
        sweep_id = sweep_id or new_sweep_id()
        return cls(sweep_id, seed_of_sweep(sweep_id), count)


def _merge_dotted(updates: dict, dotted: dict[str, Any]) -> dict:
    from sacred.utils import set_by_dotted_path

    merged = copy.deepcopy(updates)
    for key, value in dotted.items():
        set_by_dotted_path(merged, key, copy.deepcopy(value))
    return merged


def point_item(base: RunItem, point: SweepPoint, index: int, sweep: SweepIdentity,
               fixed_seed: bool = False) -> RunItem:
    """The run item of ``point`` (number ``index``) applied to ``base``."""
    updates = _merge_dotted(base.config_updates, point.updates)
    seeded = fixed_seed or "seed" in point.updates or "seed" in base.config_updates
    if not seeded:
        updates["seed"] = point_seed(sweep.seed, index)
    meta = copy.deepcopy(base.meta_info)
    meta["sweep"] = {
        "id": sweep.sweep_id, "index": index, "count": sweep.count, "point": copy.deepcopy(point.point),
        "seed": sweep.seed,
    }
    return replace(
        base,
        config_updates=updates,
        named_configs=tuple(base.named_configs) + tuple(n for n in point.named_configs if n not in base.named_configs),
        meta_info=meta,
        label=point.label() or str(index),
    )

"""Seeds and random generators derived from a run's root seed.

Every captured function gets its own stream of seeds derived from the root
seed and the function's name, so calls to one function never change the
values another function gets (the spec's "Resilience to Change"). ``_rnd`` is
a numpy ``Generator`` (or ``RandomState`` with
``SETTINGS.CONFIG.NUMPY_RANDOM_LEGACY_API``) when numpy is installed, else a
``random.Random``.

Global generators (``random``, numpy, torch, tensorflow) are seeded from the
root seed at the start of a run. A library that is installed but not yet
imported is seeded right after the experiment imports it during the run, so
start-up never imports torch or tensorflow for an experiment that doesn't use
them.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from typing import Any

from sacred.settings import SETTINGS

__all__ = [
    "SEEDRANGE",
    "create_rnd",
    "derive_seed",
    "get_seed",
    "seed_global_generators",
    "GlobalSeeder",
]

SEEDRANGE = (0, 2**31 - 1)


def get_seed(rnd: random.Random | Any | None = None) -> int:
    """Draw a seed from ``rnd`` (or the system's entropy when None)."""
    if rnd is None:
        return random.SystemRandom().randint(*SEEDRANGE)
    if isinstance(rnd, random.Random):
        return rnd.randint(*SEEDRANGE)
    if hasattr(rnd, "integers"):
        return int(rnd.integers(SEEDRANGE[0], SEEDRANGE[1], endpoint=True))
    return int(rnd.randint(SEEDRANGE[0], SEEDRANGE[1]))


def derive_seed(root_seed: int, name: str) -> int:
    """A seed that depends only on the root seed and ``name``.

    Seeding ``random.Random`` with a string hashes it with SHA-512, which is
    stable across processes and platforms (unlike ``hash()``).
    """
    return random.Random(f"{root_seed}:{name}").randint(*SEEDRANGE)


_numpy_available: bool | None = None


def numpy_available() -> bool:
    """True when numpy can be imported (checked without importing it)."""
    global _numpy_available
    if _numpy_available is None:
        _numpy_available = importlib.util.find_spec("numpy") is not None
    return _numpy_available


def create_rnd(seed: int) -> Any:
    """A random generator for ``_rnd``: numpy's when available, else ``random.Random``."""
    if numpy_available():
        import numpy as np

        if SETTINGS.CONFIG.NUMPY_RANDOM_LEGACY_API:
            return np.random.RandomState(seed)
        return np.random.default_rng(seed)
    return random.Random(seed)


def _seed_module(name: str, module: Any, seed: int) -> None:
    try:
        if name == "numpy":
            module.random.seed(seed)
        elif name == "torch":
            module.manual_seed(seed)
        elif name == "tensorflow":
            if hasattr(module, "random") and hasattr(module.random, "set_seed"):
                module.random.set_seed(seed)
            elif hasattr(module, "set_random_seed"):
                module.set_random_seed(seed)
    except Exception:  # noqa: BLE001 - a broken optional library must not stop a run
        import logging

        logging.getLogger(__name__).debug("Could not seed %s", name, exc_info=True)


class GlobalSeeder:
    """Seeds numpy/torch/tensorflow now, or right after they get imported."""

    LIBRARIES = ("numpy", "torch", "tensorflow")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.pending = set()
        random.seed(seed)
        for name in self.LIBRARIES:
            if name in sys.modules:
                _seed_module(name, sys.modules[name], seed)
            else:
                self.pending.add(name)
        if self.pending:
            sys.meta_path.insert(0, self)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        """Wrap the loader of a pending library so it is seeded after it loads."""
        if fullname not in self.pending:
            return None
        self.pending.discard(fullname)
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _SeedingLoader(spec.loader, fullname, self.seed)
                return spec
        return None

    def remove(self) -> None:
        """Stop watching imports (end of the run)."""
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass


class _SeedingLoader:
    def __init__(self, loader: Any, name: str, seed: int) -> None:
        self._loader = loader
        self._name = name
        self._seed = seed

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        _seed_module(self._name, module, self._seed)

    def __getattr__(self, item: str) -> Any:
        return getattr(self._loader, item)


def seed_global_generators(seed: int) -> GlobalSeeder:
    """Seed ``random`` and the installed libraries from ``seed``; see :class:`GlobalSeeder`."""
    return GlobalSeeder(seed)

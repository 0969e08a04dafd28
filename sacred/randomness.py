"""Seeds and random generators derived from a run's root seed, exactly as Sacred 0.8.7.

A run recorded by Sacred 0.8.7 and re-run here with its stored ``seed`` gives
the same ``_seed`` values and the same ``_rnd`` streams. The derivation:

* :func:`get_seed` draws an integer in ``[1, 10**9)`` from a generator
  (``integers`` of a numpy ``Generator``, else ``randint``), or from Python's
  ``random`` module without one.
* :func:`create_rnd` is ``numpy.random.default_rng(seed)``, or
  ``numpy.random.RandomState(seed)`` with
  ``SETTINGS.CONFIG.NUMPY_RANDOM_LEGACY_API``, or ``random.Random(seed)``
  without numpy.
* The experiment's seed is its config's ``seed``. Each ingredient's seed is
  its own config's ``seed`` entry when it has one, else a draw from its
  parent's generator ``create_rnd(parent seed)``; the parent draws for its
  direct sub-ingredients in reverse order of addition, and (like 0.8.7) an
  ingredient only seeds sub-ingredients whose path lies under its own, while
  the experiment seeds all of its direct ingredients (see
  :func:`ingredient_seeds`).
* Each scaffold (experiment or ingredient) gives its captured functions, in
  registration order (an experiment's four built-in commands first),
  ``create_rnd(get_seed(create_rnd(its seed)))`` (see :class:`RunSeeds`).
* Every call of a captured function taking ``_seed`` or ``_rnd`` draws
  ``_seed = get_seed(function rnd)`` and gets ``_rnd = create_rnd(_seed)``.

Global generators (``random``, numpy, torch, tensorflow) are seeded with the
root seed at the start of a run. A library that is installed but not yet
imported is seeded right after the experiment imports it during the run, so
start-up never imports torch or tensorflow for an experiment that doesn't use
them.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from collections.abc import Iterable

from sacred.settings import SETTINGS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "SEEDRANGE",
    "RunSeeds",
    "create_rnd",
    "get_seed",
    "ingredient_seeds",
    "seed_global_generators",
    "GlobalSeeder",
]

SEEDRANGE = (1, int(1e9))


def get_seed(rnd: Any = None) -> int:
    """Draw a seed in ``[1, 10**9)`` from ``rnd``, or from Python's ``random`` without one."""
    if rnd is None:
        return random.randint(*SEEDRANGE)
    if hasattr(rnd, "integers"):
        return int(rnd.integers(*SEEDRANGE))
    return int(rnd.randint(*SEEDRANGE))


def _own_seed(config: Any, path: str) -> Any:
    """The ``seed`` entry of the ingredient config at ``path`` (None if it has none)."""
    node = config
    for part in path.split(".") if path else ():
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node.get("seed") if isinstance(node, dict) else None


def _is_under(prefix: str, path: str) -> bool:
    return path.startswith(prefix + ".") if prefix else True


def ingredient_seeds(
    experiment: Any, config: dict, ingredients: Iterable[tuple[Any, str]]
) -> dict[int, int]:
    """``id(ingredient) -> seed`` for the experiment and every (sub-)ingredient.

    ``ingredients`` are ``(ingredient, config path)`` pairs, sub-ingredients
    before their parents. Sacred 0.8.7 seeds a sub-ingredient whose path is
    not under its parent's (``dataset`` using ``settings``) from the system's
    entropy, so its numbers could never be reproduced; here it gets its seed
    from its parent's generator after the draws 0.8.7 makes, which changes no
    value 0.8.7 reproduces.
    """
    paths = {id(ing): path for ing, path in ingredients}
    seeds: dict[int, int] = {id(experiment): config["seed"]}
    generators: dict[int, Any] = {}

    def seed_one(child: Any, parent_rnd: Any) -> None:
        own = _own_seed(config, paths.get(id(child), child.path))
        seeds[id(child)] = own if own is not None else get_seed(parent_rnd)
        seed_children(child)

    def seed_children(ingredient: Any) -> None:
        rnd = generators[id(ingredient)] = create_rnd(seeds[id(ingredient)])
        own_path = paths.get(id(ingredient), "")
        for child in reversed(ingredient.ingredients):
            if id(child) in seeds:
                continue
            if ingredient is experiment or _is_under(own_path, paths.get(id(child), child.path)):
                seed_one(child, rnd)

    seed_children(experiment)
    for ingredient, _ in reversed(list(ingredients)):
        if id(ingredient) not in seeds:
            continue
        for child in reversed(ingredient.ingredients):
            if id(child) not in seeds:
                seed_one(child, generators[id(ingredient)])
    return seeds


class RunSeeds:
    """The seeds of one run's scaffolds and captured functions, computed on first use.

    Nothing is drawn (and numpy is not imported) until a captured function
    asks for ``_seed`` or ``_rnd``; the numbers are the same as if
    everything had been drawn up front, since every scaffold draws from its
    own generators.
    """

    def __init__(self, experiment: Any, config: dict, ingredients: Iterable[tuple[Any, str]]) -> None:
        self._experiment = experiment
        self._config = config
        self._ingredients = list(ingredients)
        self._seeds: dict[int, int] | None = None
        self._function_seeds: dict[int, list[int]] = {}

    def seed_of(self, ingredient: Any) -> int:
        """The seed of ``ingredient`` (the experiment's is the root seed)."""
        if self._seeds is None:
            self._seeds = ingredient_seeds(self._experiment, self._config, self._ingredients)
        return self._seeds[id(ingredient)]

    def function_rnd(self, ingredient: Any, index: int) -> Any:
        """The generator of the ``index``-th captured function of ``ingredient``."""
        seeds = self._function_seeds.get(id(ingredient))
        if seeds is None or index >= len(seeds):
            rnd = create_rnd(self.seed_of(ingredient))
            count = max(index + 1, len(ingredient.captured_functions))
            seeds = self._function_seeds[id(ingredient)] = [get_seed(rnd) for _ in range(count)]
        return create_rnd(seeds[index])


_numpy_available: bool | None = None


def numpy_available() -> bool:
    """True when numpy can be imported (checked without importing it)."""
    global _numpy_available
    if _numpy_available is None:
        try:
            _numpy_available = importlib.util.find_spec("numpy") is not None
        except (ImportError, ValueError):  # blocked or half-imported numpy counts as missing
            _numpy_available = False
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
        # stays pending until the module is really executed: importlib.util.find_spec
        # (numpy_available() uses it) asks for a spec without loading anything
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _SeedingLoader(spec.loader, fullname, self)
                return spec
        return None

    def remove(self) -> None:
        """Stop watching imports (end of the run)."""
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass


class _SeedingLoader:
    def __init__(self, loader: Any, name: str, seeder: GlobalSeeder) -> None:
        self._loader = loader
        self._name = name
        self._seeder = seeder

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        self._seeder.pending.discard(self._name)
        _seed_module(self._name, module, self._seeder.seed)

    def __getattr__(self, item: str) -> Any:
        return getattr(self._loader, item)


def seed_global_generators(seed: int) -> GlobalSeeder:
    """Seed ``random`` and the installed libraries from ``seed``; see :class:`GlobalSeeder`."""
    return GlobalSeeder(seed)

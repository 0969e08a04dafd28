"""Captured functions: missing arguments are filled in from the configuration.

A captured function keeps per-run state set by the run before it executes:
``config`` (the read-only config subtree it sees, after ``prefix``), ``logger``
(for ``_log``), ``rnd`` (its own seed stream for ``_seed``/``_rnd``) and
``run`` (for ``_run``).
"""

from __future__ import annotations

import datetime
import functools
import logging
import time
from collections.abc import Callable

from sacred.config.signature import Signature
from sacred.randomness import create_rnd, get_seed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["create_captured_function", "SPECIAL_ARGS"]

SPECIAL_ARGS = ("_config", "_seed", "_rnd", "_log", "_run")


def create_captured_function(function: Callable, prefix: str | None = None) -> Callable:
    """Wrap ``function`` so that its missing arguments come from the config."""
    if getattr(function, "_is_captured", False):
        if prefix is not None and function.prefix != prefix:
            function.prefix = prefix
        return function
    signature = Signature(function)
    specials = [a for a in SPECIAL_ARGS if a in signature.arguments]

    @functools.wraps(function)
    def captured_function(*args: Any, **kwargs: Any) -> Any:
        special: dict[str, Any] = {}
        if specials:
            if "_config" in specials:
                special["_config"] = captured_function.config
            if "_log" in specials:
                special["_log"] = captured_function.logger
            if "_run" in specials:
                special["_run"] = captured_function.run
            if "_seed" in specials or "_rnd" in specials:
                rnd = captured_function.rnd
                if rnd is None:
                    rnd = captured_function.rnd = captured_function.make_rnd()
                seed = get_seed(rnd)
                special["_seed"] = seed
                if "_rnd" in specials:
                    special["_rnd"] = create_rnd(seed)
        args, kwargs = signature.construct_arguments(
            args, kwargs, captured_function.config, special=special
        )
        logger = captured_function.logger
        if not logger.isEnabledFor(logging.DEBUG):
            return function(*args, **kwargs)
        logger.debug("Started")
        start = time.monotonic()
        result = function(*args, **kwargs)
        elapsed = datetime.timedelta(seconds=round(time.monotonic() - start))
        logger.debug("Finished after %s.", elapsed)
        return result

    captured_function._is_captured = True  # type: ignore[attr-defined]
    captured_function.signature = signature  # type: ignore[attr-defined]
    captured_function.prefix = prefix  # type: ignore[attr-defined]
    captured_function.config = {}  # type: ignore[attr-defined]
    captured_function.logger = logging.getLogger(function.__name__)  # type: ignore[attr-defined]
    captured_function.rnd = None  # type: ignore[attr-defined]
    # outside a run: a generator from fresh entropy; a run wires its own (sacred.randomness)
    captured_function.make_rnd = lambda: create_rnd(get_seed())  # type: ignore[attr-defined]
    captured_function.run = None  # type: ignore[attr-defined]
    captured_function.uses_randomness = bool({"_seed", "_rnd"} & set(specials))  # type: ignore[attr-defined]
    captured_function.unobserved = False  # type: ignore[attr-defined]
    return captured_function

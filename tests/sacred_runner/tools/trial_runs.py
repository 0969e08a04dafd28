"""Stores written by real experiments the way the user trial of the run reader wrote them."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sacred import Experiment
from sacred.observers import FileStorageObserver


def run_experiment(store: Path, body: Callable[[Any], Any], config_updates: dict | None = None,
                   comment: str | None = None, meta: dict | None = None, config: dict | None = None) -> str:
    """Run an experiment whose main calls ``body(_run)`` into FileStorage ``store``; the run's id.

    Its config is ``config`` (default ``{"x": 1}``), updated with ``config_updates``.
    """
    ex = Experiment("trial", base_dir=str(store.parent))
    ex.observers.append(FileStorageObserver(str(store)))

    ex.add_config(config if config is not None else {"x": 1})

    @ex.main
    def main(_run):
        return body(_run)

    meta = {**(meta or {}), **({"comment": comment} if comment is not None else {})} or None
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        run = ex.run(config_updates=config_updates or {}, meta_info=meta, options={"--capture": "sys"})
    return str(run._id)

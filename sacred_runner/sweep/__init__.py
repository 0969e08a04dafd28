"""Sweeps: many points of one study, each a normal observed run.

``--multirun`` / ``-M`` turns the ``with`` arguments into axes
(:mod:`.axes`), ``--sweep FILE`` reads a grid, a list of points or a random
search from YAML (:mod:`.sweepfile`), :mod:`.space` expands them into
:class:`~sacred_runner.sweep.space.SweepPoint` records, :mod:`.plan` turns
points into picklable run items carrying ``meta_info["sweep"]``, and
:mod:`.summary` builds the table printed at the end. :mod:`.plugin` wires
this into the runner's hooks; :mod:`.optuna_sweeper` asks Optuna for points.
"""

from typing import Any

__all__ = ["is_multirun"]


def is_multirun(option: Any) -> bool:
    """True when ``with`` follows the multirun grammar: ``-M``, ``--sweep FILE`` or ``--sweeper``."""
    return bool(getattr(option, "multirun", False) or getattr(option, "sweep", None)
                or getattr(option, "sweeper", None))

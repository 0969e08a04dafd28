"""Sacred: configure, run, record and reproduce computational experiments.

Public names: :class:`Experiment`, :class:`Ingredient`, :data:`SETTINGS`,
:func:`cli_option`, :func:`host_info_gatherer`. They are imported on first use
so that ``import sacred`` stays cheap.
"""

import sys

from sacred.settings import SETTINGS

# ``import sacred`` loads no module beyond these two (tests/test_import_cost.py): no
# importlib, no __future__ (annotations naming typing are quoted instead), no typing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.9.0.dev0"
__all__ = [
    "Experiment",
    "Ingredient",
    "SETTINGS",
    "cli_option",
    "host_info_gatherer",
    "observers",
    "optional",
    "__version__",
]

_LAZY = {
    "Experiment": "sacred.experiment",
    "Ingredient": "sacred.ingredient",
    "cli_option": "sacred.commandline_options",
    "host_info_gatherer": "sacred.host_info",
    "observers": None,
    "optional": None,  # 0.8.7's module of optional imports, loaded on first use
}


def _load(module_name: str):
    __import__(module_name)
    return sys.modules[module_name]


def __getattr__(name: str) -> "Any":
    if name not in _LAZY:
        raise AttributeError(f"module 'sacred' has no attribute {name!r}")
    module_name = _LAZY[name]
    if module_name is None:
        value = _load(f"sacred.{name}")
    else:
        value = getattr(_load(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

"""orjson as an optional accelerator (the ``fast`` and ``ui`` extras), imported on first use.

Readers (``sacred.runs``) parse with it and the run files' encoder
(``sacred.observers.run_files._json_text``) writes long number lists with it;
both check that its result is what the standard library would give.
``SACRED_NO_ORJSON`` set to anything non-empty turns it off.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["accelerator"]

_missing: Any = object()
_orjson: Any = _missing


def accelerator() -> Any:
    """The orjson module when it is installed and not turned off, else None."""
    global _orjson
    if os.environ.get("SACRED_NO_ORJSON"):
        return None
    if _orjson is _missing:
        try:
            import orjson
        except ImportError:
            orjson = None
        _orjson = orjson
    return _orjson

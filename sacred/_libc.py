"""Functions of the C library through ctypes, each loaded once, when first asked for."""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["libc_function"]


@functools.cache
def libc_function(name: str, argtypes: tuple[str, ...], restype: str = "c_int") -> Any:
    """The process's C library function ``name`` (``errno`` kept), or None where there is none.

    ``argtypes`` and ``restype`` name ``ctypes`` types (``"c_int"``,
    ``"c_void_p"``, ...), so callers need not import ``ctypes`` themselves,
    and nothing is loaded until a function is first asked for.
    """
    try:
        import ctypes

        function = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError, ImportError):  # another platform, or no ctypes
        return None
    function.argtypes = [getattr(ctypes, t) for t in argtypes]
    function.restype = getattr(ctypes, restype)
    return function

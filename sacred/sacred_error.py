"""The base of every error sacred reports plainly to the user.

It lives in a module of its own, with no imports, because :mod:`sacred.settings`
needs it and ``import sacred`` must stay at the interpreter's floor; user code
imports it from :mod:`sacred.utils`, as in Sacred 0.8.7.
"""

__all__ = ["SacredError"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class SacredError(Exception):
    """Base class for errors caused by user input that sacred reports plainly.

    ``print_traceback`` tells the command line whether a traceback helps the
    user; ``filter_traceback`` picks how it is filtered ("default", "always",
    "never").
    """

    # Shown (in tracebacks, pickles, format_sacred_error) where users import it from, as 0.8.7.
    __module__ = "sacred.utils"

    def __init__(
        self,
        *args: "Any",
        print_traceback: bool = False,
        filter_traceback: str = "default",
        print_usage: bool = False,
    ) -> None:
        super().__init__(*args)
        self.print_traceback = print_traceback
        self.filter_traceback = filter_traceback
        self.print_usage = print_usage

"""Sacred 0.8.7 import path of :class:`SlackObserver` (it lives in :mod:`sacred.observers.notify._slack`)."""

from sacred.observers.notify._slack import (
    DEFAULT,
    NotifierObserver,
    SlackObserver,
    format_elapsed_time,
)

__all__ = ["SlackObserver", "NotifierObserver", "DEFAULT", "format_elapsed_time"]

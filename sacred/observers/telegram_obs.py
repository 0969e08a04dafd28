"""Sacred 0.8.7 import path of :class:`TelegramObserver` (it lives in :mod:`sacred.observers.notify._telegram`)."""

from sacred.observers.notify._telegram import TelegramObserver

__all__ = ["TelegramObserver"]

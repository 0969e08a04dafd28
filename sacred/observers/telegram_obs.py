"""Sacred 0.8.7 import path of :class:`TelegramObserver` (it lives in :mod:`sacred.observers.notify.telegram`)."""

from sacred.observers.notify.telegram import TelegramObserver

__all__ = ["TelegramObserver"]

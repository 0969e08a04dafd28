"""Alias module: ``from sacred.observer import RunObserver`` as one spec example spells it."""

from sacred.observers.base import RunObserver

__all__ = ["RunObserver"]

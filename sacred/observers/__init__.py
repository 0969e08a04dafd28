"""Observers that record runs. Backends are imported only when a name is used."""

from __future__ import annotations

import importlib

from sacred.observers.base import RunObserver

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "RunObserver",
    "FileStorageObserver",
    "MongoObserver",
    "QueuedMongoObserver",
    "QueueObserver",
    "TinyDbObserver",
    "TinyDbReader",
    "SqlObserver",
    "S3Observer",
    "GoogleCloudStorageObserver",
    "SlackObserver",
    "TelegramObserver",
    "ForwardingObserver",
]

_LAZY = {
    "FileStorageObserver": "sacred.observers.file_storage",
    "MongoObserver": "sacred.observers.mongo",
    "QueuedMongoObserver": "sacred.observers.mongo",
    "QueueObserver": "sacred.observers.queue",
    "TinyDbObserver": "sacred.observers.tinydb_hashfs",
    "TinyDbReader": "sacred.observers.tinydb_hashfs",
    "SqlObserver": "sacred.observers.sql",
    "S3Observer": "sacred.observers.s3_observer",
    "GoogleCloudStorageObserver": "sacred.observers.gcs_observer",
    "SlackObserver": "sacred.observers.slack",
    "TelegramObserver": "sacred.observers.telegram_obs",
    "ForwardingObserver": "sacred.observers.forwarding",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sacred.observers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

"""Messages through a file: a job appends length-prefixed pickles, the runner reads new ones.

For launchers whose jobs can reach the runner only through a shared
folder (submitit / Slurm). One writer per file (one job per task); each
record is written with a single ``write`` of an ``O_APPEND`` descriptor, so
a reader never sees half a record except at the end, which it leaves for
the next read.
"""

from __future__ import annotations

import os
import pickle
import struct
from typing import Any

__all__ = ["FileChannelReader", "append_message"]

_HEADER = struct.Struct(">Q")


def append_message(path: str, message: Any) -> None:
    """Append ``message`` to the channel file ``path``."""
    payload = pickle.dumps(message)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, _HEADER.pack(len(payload)) + payload)
    finally:
        os.close(descriptor)


class FileChannelReader:
    """Reads the records appended to one channel file since the last call."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0

    def read_new(self) -> list[Any]:
        """The complete records written since the previous call."""
        try:
            with open(self.path, "rb") as stream:
                stream.seek(self.offset)
                data = stream.read()
        except FileNotFoundError:
            return []
        messages = []
        position = 0
        while position + _HEADER.size <= len(data):
            (size,) = _HEADER.unpack_from(data, position)
            end = position + _HEADER.size + size
            if end > len(data):
                break
            messages.append(pickle.loads(data[position + _HEADER.size:end]))
            position = end
        self.offset += position
        return messages

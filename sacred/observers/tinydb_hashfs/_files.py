"""The TinyDB observer's file store: HashFS setup, stored-file references, read handles.

Sources, resources and artifacts are stored once by content (md5) under
``basedir/hashfs/ab/cd/ef/<rest of the hash>``; a run refers to them by hash.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from sacred.observers._backend_import import import_backends

__all__ = [
    "BufferedReaderWrapper",
    "StoredFile",
    "hash_id_from_path",
    "import_tinydb_backend",
    "make_hashfs",
    "put_file",
    "replace_atomically",
]

HASHFS_DEPTH = 3
HASHFS_WIDTH = 2
HASHFS_ALGORITHM = "md5"


def import_tinydb_backend() -> list[Any]:
    """Import tinydb, tinydb_serialization and hashfs, or say which extra installs them."""
    return import_backends(
        "tinydb",
        "tinydb_serialization",
        "hashfs",
        needed_by="The TinyDB observer",
        extra="tinydb",
        packages=["tinydb", "tinydb-serialization", "hashfs"],
    )


def make_hashfs(root: str) -> Any:
    """The HashFS store in ``root/hashfs``, laid out as Sacred 0.8.7 laid it out."""
    _, _, hashfs = import_tinydb_backend()
    return hashfs.HashFS(
        os.path.join(root, "hashfs"),
        depth=HASHFS_DEPTH,
        width=HASHFS_WIDTH,
        algorithm=HASHFS_ALGORITHM,
    )


class StoredFile:
    """A reference to a file in the HashFS store (encoded as ``{TinyFile}``)."""

    def __init__(self, hash_id: str, path: str | None = None) -> None:
        self.hash_id = hash_id
        self.path = path

    def open(self) -> BufferedReaderWrapper:
        """Open the stored file for reading (binary)."""
        if self.path is None:
            raise FileNotFoundError(f"Stored file {self.hash_id} has no known location")
        return BufferedReaderWrapper(open(self.path, "rb"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoredFile) and other.hash_id == self.hash_id

    def __hash__(self) -> int:
        return hash(self.hash_id)

    def __repr__(self) -> str:
        return f"StoredFile({self.hash_id!r})"


class BufferedReaderWrapper(io.BufferedReader):
    """A binary read handle on a stored file that survives ``copy``/``deepcopy``.

    TinyDB copies documents; a copy reopens the same file instead of failing.
    """

    def __init__(self, f_obj: io.BufferedReader | io.FileIO) -> None:
        # detach: the raw file then belongs to this wrapper alone, so the
        # original buffered object being collected does not close it
        raw = f_obj.detach() if isinstance(f_obj, io.BufferedReader) else f_obj
        super().__init__(raw)

    def __copy__(self) -> BufferedReaderWrapper:
        return BufferedReaderWrapper(open(self.name, "rb"))

    def __deepcopy__(self, memo: dict) -> BufferedReaderWrapper:
        return self.__copy__()

    def __repr__(self) -> str:
        return f"<BufferedReaderWrapper name={self.name!r}>"


def hash_id_from_path(path: str) -> str:
    """The content hash of the HashFS file at ``path`` (its last directory levels joined)."""
    parts = os.path.normpath(path).split(os.sep)
    return "".join(parts[-(HASHFS_DEPTH + 1) :])


def put_file(fs: Any, filename: str) -> StoredFile:
    """Store ``filename`` in ``fs`` by its content hash, atomically; return the reference.

    Concurrent writers of the same content are safe: the content is written
    to a temp file in the target directory and renamed into place.
    """
    digest = hashlib.new(fs.algorithm)
    with open(filename, "rb") as f:
        for chunk in _chunks(f):
            digest.update(chunk)
    hash_id = digest.hexdigest()
    target = fs.idpath(hash_id)
    if not os.path.isfile(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)

        def copy_content(out: IO[bytes]) -> None:
            with open(filename, "rb") as src:
                for chunk in _chunks(src):
                    out.write(chunk)

        replace_atomically(target, copy_content, prefix=".tmp-")
    return StoredFile(hash_id, target)


def replace_atomically(
    target: str, write: Callable[[IO[bytes]], None], prefix: str, suffix: str = ""
) -> None:
    """Create or replace ``target`` with what ``write`` writes, all at once.

    ``write`` gets a binary file in the target's directory (named
    ``prefix...suffix``), which then is renamed onto ``target`` with mode 0644;
    on any failure the temp file is removed and the error re-raised.
    """
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _chunks(f: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    return iter(lambda: f.read(size), b"")

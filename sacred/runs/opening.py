"""``open_store``: a path or URL to the right :class:`~sacred.runs.base.RunStore`."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sacred.runs.base import RunStore
from sacred.runs.model import StoreError

__all__ = ["open_store", "EMBEDDED_STORE", "mask_url", "ACCEPTED"]

#: Where the runner's embedded default store lives, relative to the rootdir (ini key ``store``).
EMBEDDED_STORE = os.path.join(".sacred", "runs")
ACCEPTED = (
    "a FileStorage folder, a TinyDB folder (with metadata.json), a project folder with an embedded "
    "store (.sacred/runs), sqlite:///FILE.db, postgresql://USER@HOST/DB, mongodb://HOST:PORT/DB, "
    "or a bucket store s3://BUCKET/PREFIX or gs://BUCKET/PREFIX (read-only)"
)
_SQL_SCHEMES = ("sqlite:", "postgresql:", "postgresql+", "postgres:", "mysql:", "mysql+")


def mask_url(url: str) -> str:
    """``url`` with every credential it carries masked (see :func:`sacred.masking.mask_text`)."""
    from sacred.masking import mask_text

    return mask_text(url)


def open_store(spec: str | os.PathLike, repair_index: bool = True) -> RunStore:
    """Open the store at ``spec`` (a path or a URL) for reading.

    StoreError (one line naming ``spec`` and what is accepted) when nothing
    readable is there.
    """
    text = os.fspath(spec).strip() if not isinstance(spec, str) else spec.strip()
    if not text:
        raise StoreError(f"no store given: give {ACCEPTED}")
    lowered = text.lower()
    if lowered.startswith(("mongodb://", "mongodb+srv://")):
        from sacred.runs.mongo_store import MongoStore

        return MongoStore(text)
    if lowered.startswith(_SQL_SCHEMES):
        from sacred.runs.sql_store import SqlStore

        return SqlStore(text)
    if lowered.startswith(("s3://", "gs://")):
        from sacred.runs.bucket_store import open_bucket

        return open_bucket(text)
    if re.match(r"^[a-z][a-z0-9+.-]*://", lowered):
        raise StoreError(f"cannot open {mask_url(text)}: unsupported URL scheme; give {ACCEPTED}")
    return _open_folder(Path(os.path.abspath(Path(text).expanduser())))


def _open_folder(path: Path) -> RunStore:
    from sacred.runs.file_store import FileStore, looks_like_file_store

    if not path.exists():
        raise StoreError(f"no store at {path}: the path does not exist; give {ACCEPTED}")
    if not path.is_dir():
        raise StoreError(f"no store at {path}: it is a file, not a folder; give {ACCEPTED}")
    if (path / "metadata.json").is_file():
        from sacred.runs.tinydb_store import TinyDbStore

        return TinyDbStore(path)
    embedded = path / EMBEDDED_STORE
    if embedded.is_dir() and not looks_like_file_store(str(path)):
        return FileStore(embedded, description=f"embedded store {embedded}")
    if looks_like_file_store(str(path)):
        return FileStore(path)
    configured = _configured_embedded(path)
    if configured is not None:
        return configured
    raise StoreError(f"{path} is not a store (no run folders with run.json, no runs index); give {ACCEPTED}")


def _configured_embedded(path: Path) -> RunStore | None:
    """The embedded store a project folder's sacred.ini/pyproject.toml names (key ``store``)."""
    from sacred.runs.file_store import FileStore

    try:
        from sacred_runner.inifile import locate_config
    except ImportError:
        return None
    try:
        ini = locate_config([], invocation_dir=path)
    except Exception:  # noqa: BLE001 - a broken ini is reported by the runner, not here
        return None
    if ini.inipath is None or ini.inipath.parent.resolve() != path.resolve():
        return None
    folder = ini.rootdir / (ini.get("store") or EMBEDDED_STORE)
    if folder.is_dir():
        return FileStore(folder, description=f"embedded store {folder}")
    return None

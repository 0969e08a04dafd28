"""import_backend(s): optional packages are imported, or the error names the extra."""

from __future__ import annotations

import json
import sys

import pytest

from sacred.observers._backend_import import import_backend, import_backends, install_hint


def test_returns_the_imported_modules_in_order():
    assert import_backends("json", "sys", needed_by="X", extra="x") == [json, sys]
    assert import_backend("json", needed_by="X", extra="x") is json


def test_missing_module_names_observer_package_and_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tinydb", None)
    with pytest.raises(ImportError) as err:
        import_backends(
            "json",
            "tinydb",
            needed_by="TinyDbObserver",
            extra="tinydb",
            packages=["tinydb", "tinydb-serialization", "hashfs"],
        )
    message = str(err.value)
    assert message.startswith(
        "TinyDbObserver needs the packages tinydb, tinydb-serialization and hashfs ("
    )
    assert message.endswith("Install with: pip install sacred[tinydb]")
    assert isinstance(err.value.__cause__, ImportError)


def test_single_missing_module_is_named_by_default():
    with pytest.raises(ImportError, match=r"^SqlObserver needs the package no_such_mod_4f2 \("):
        import_backend("no_such_mod_4f2", needed_by="SqlObserver", extra="sql")


def test_install_hint():
    assert install_hint("s3") == "pip install sacred[s3]"

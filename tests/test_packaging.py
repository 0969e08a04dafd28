"""Both packages ship ``py.typed`` (PEP 561), so type checkers use their annotations."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_both_packages_ship_py_typed():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = data["tool"]["setuptools"]["package-data"]
    for package in ("sacred", "sacred_runner"):
        assert "py.typed" in package_data[package]
        assert (ROOT / package / "py.typed").is_file()

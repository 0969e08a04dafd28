"""Fixtures shared with the web view's tests (a store written by real runs)."""

from tests.sacred_runner.ui.conftest import fixture_store  # noqa: F401 (a fixture)

"""Fixtures of the launcher tests: a real Dask cluster on loopback."""

from tests.fixtures.dask_cluster import dask_cluster  # noqa: F401 - a fixture

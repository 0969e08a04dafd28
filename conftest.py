"""Root conftest: shared fixtures for the whole suite.

Fixture modules that start real servers live in ``tests/fixtures`` and are
registered here so every test directory can use them.
"""

import pytest
from hypothesis import HealthCheck, settings

# Speed is measured in bench/, never in tests: a property test must not fail
# because a loaded CI machine took longer than hypothesis' 200 ms deadline.
# The suite's examples are derandomized (the same ones every run), so a run
# of the suite passes or fails the same way on every machine; to look for new
# counterexamples run ``pytest --hypothesis-profile=explore`` (random seeds),
# and keep what it finds as an explicit test.
settings.register_profile("sacred", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          derandomize=True)
settings.register_profile("explore", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("sacred")

pytest_plugins = [
    "tests.fixtures.mongo_server",
    "tests.fixtures.moto_server",
    "tests.fixtures.gcs_emulator",
    "tests.fixtures.http_recorder",
    "tests.fixtures.peer",
    "tests.fixtures.run_stores",
]


@pytest.fixture(autouse=True)
def _run_in_tmp_path(tmp_path, monkeypatch):
    """Every test runs in its own empty working directory.

    Observers write relative defaults (e.g. MongoObserver's failure folder
    ``./sacred_failed_runs``) into the working directory; tests must never
    leave such files in the checkout.
    """
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _restore_settings():
    """Give every test pristine ``sacred.SETTINGS`` (tests may change them)."""
    import copy

    from sacred.settings import SETTINGS

    saved = copy.deepcopy(dict(SETTINGS))
    yield
    for key, value in saved.items():
        SETTINGS[key] = value

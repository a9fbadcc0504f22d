"""Repository-wide pytest hooks.

Tests marked ``postgresql`` exercise a PostgreSQL-only path (COPY, set-based checks): they are
deselected unless DATABASE_URL names PostgreSQL, as in `.ci/run`'s second pass.

Tests marked ``broker`` need a real Celery broker. Without ``CELERY_BROKER_URL`` in the
environment they are *deselected* (reported as such, not as skips): the embedded default runs
tasks inline, so there is nothing for them to exercise.

Every other test runs tasks inline even in the pass that has a broker: a test asserts what a task
did (the mail it sent, the rows it wrote) in its own process and transaction, which a worker
elsewhere could not show it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Personas per tenant (two networks, every role): fixtures t1, t2, as_user for every app's tests.
pytest_plugins = ["wraparound.core.tests.personas"]


def pytest_sessionstart(session: pytest.Session) -> None:
    # The HSDS conformance tests read the official files beside the checkout (config/settings.py
    # HSDS_STANDARD_DIR); without them dozens of tests would fail one by one, obscurely.
    default = Path(__file__).resolve().parent.parent / "shared" / "standards" / "hsds-3.0"
    standard = Path(os.environ.get("HSDS_STANDARD_DIR") or default)
    if not (standard / "datapackage.json").is_file():
        raise pytest.UsageError(
            f"The official HSDS 3.0 files are not at {standard}: the tests validate against "
            "them. Check out the project beside ../shared, or set HSDS_STANDARD_DIR."
        )


def _deselect(config: pytest.Config, items: list[pytest.Item], marker: str) -> None:
    deselected = [item for item in items if item.get_closest_marker(marker) is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.get_closest_marker(marker) is None]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("CELERY_BROKER_URL"):
        _deselect(config, items, "broker")
    # Tests of PostgreSQL-only paths (COPY, set-based checks) run in `.ci/run`'s PostgreSQL pass.
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        _deselect(config, items, "postgresql")


@pytest.fixture(autouse=True)
def _tasks_inline_unless_broker_test(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("broker") is not None:
        yield
        return
    from config.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _english_unless_a_test_switches() -> Iterator[None]:
    """Every test starts in the default language and leaves it so: a test that activates
    Spanish must not turn the next test's words Spanish."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()

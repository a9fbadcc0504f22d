import pytest

from wraparound.core.tests.personas import Tenant

from .world import World, make_world


@pytest.fixture
def w1(t1: Tenant) -> World:
    return make_world(t1)


@pytest.fixture
def w2(t2: Tenant) -> World:
    return make_world(t2)

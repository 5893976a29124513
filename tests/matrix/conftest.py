from __future__ import annotations

import pytest

from tests.matrix.world import World, build_world


@pytest.fixture
def world(county) -> World:
    """The ``county`` fixture and its surroundings (see world.py)."""
    return build_world(county)

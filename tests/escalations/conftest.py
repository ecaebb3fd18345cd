"""The community, its secretary, its street's admin and a resident, for every 街道吹哨 test."""

import pytest

from tests.factories import make_community, make_resident, make_secretary, make_street_admin


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def admin(community):
    return make_street_admin(community.street)


@pytest.fixture
def resident(community):
    return make_resident(community)

"""Every role's home page carries her newest notices, drawn with the page."""

import pytest

from tests.factories import (
    login,
    make_community,
    make_liaison,
    make_secretary,
    make_street_admin,
    make_supermarket_staff,
    make_unit,
    make_volunteer,
)

SUMMARY = 'id="notices-summary"'


@pytest.mark.parametrize("role", ["street", "secretary", "liaison", "volunteer", "staff"])
def test_each_home_page_loads_the_notices(client, role):
    community = make_community()
    person = {
        "street": lambda: make_street_admin(community.street),
        "secretary": lambda: make_secretary(community),
        "liaison": lambda: make_liaison(make_unit(community)),
        "volunteer": lambda: make_volunteer(community),
        "staff": lambda: make_supermarket_staff(community),
    }[role]()
    login(client, person)
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200
    assert SUMMARY in home.get_data(as_text=True)

"""On the whole demo, no person's name, phone, address or house number reaches the 公示栏: its
page, its printed sheet or its JSON, for every community."""

import re

import pytest
import sqlalchemy as sa

from coop.activities.models import Feedback
from coop.alliance.models import AllianceOffice, Community, Neighbourhood
from coop.auth.models import User
from coop.extensions import db
from coop.needs.models import Need
from coop.people.models import ResidentProfile
from tests.conftest import demo_app

pytestmark = pytest.mark.committed

PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)|\d{3}\*{4}\d{4}")
# A room or house number (302室, 3-2-301): what an address adds to a building's name.
HOUSE_NUMBER = re.compile(r"\d+室|(?<![\d-])\d{1,2}-\d{1,2}-\d{3,4}(?![\d-])")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with demo_app("board", tmp_path_factory.mktemp("board-db")) as app:
        yield app


@pytest.fixture(scope="module")
def private(demo) -> dict:
    """Every personal string in the demo, and its communities."""
    with demo.app_context():
        names = set(db.session.scalars(sa.select(User.display_name)))
        names |= set(db.session.scalars(sa.select(User.username)))
        names |= set(db.session.scalars(sa.select(Need.requester_name)))
        names |= set(db.session.scalars(sa.select(AllianceOffice.holder_name)))
        names |= set(db.session.scalars(sa.select(Feedback.beneficiary_name)))
        phones = set(db.session.scalars(sa.select(User.phone).where(User.phone.is_not(None))))
        phones |= set(db.session.scalars(sa.select(Need.requester_phone)))
        addresses = set(db.session.scalars(sa.select(ResidentProfile.address)))
        addresses |= set(db.session.scalars(sa.select(Need.requester_address)))
        # Staff-recorded demo needs give the neighbourhood as the address: that much is public.
        addresses -= set(db.session.scalars(sa.select(Neighbourhood.name)))
        # What staff typed about the need itself: it may name the person, so never shown.
        titles = set(db.session.scalars(sa.select(Need.title)))
        communities = list(db.session.scalars(sa.select(Community.id)))
        db.session.remove()
    drop = {"", None}
    return {
        "names": {n for n in names - drop if len(n) >= 2},
        "phones": phones - drop,
        "addresses": addresses - drop,
        "titles": titles - drop,
        "communities": communities,
    }


def _contains(text: str, name: str) -> bool:
    """A Chinese name anywhere; a login (ASCII: ``unit``, ``xw003``) only as a whole word, not
    inside ``units`` or ``street_name``."""
    if name.isascii():
        return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.ASCII) is not None
    return name in text


def _texts(client, community_id):
    for path in (
        f"/board/{community_id}",
        f"/board/{community_id}/print",
        f"/board/{community_id}?status=resolved",
        f"/api/v1/public/communities/{community_id}/board?per_page=200",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        if path.startswith("/api/"):  # its values, decoded (the body may escape Chinese)
            yield path, "\n".join(_values(response.json))
        else:
            yield path, response.get_data(as_text=True)


def _values(data):
    if isinstance(data, dict):
        for value in data.values():
            yield from _values(value)
    elif isinstance(data, list):
        for value in data:
            yield from _values(value)
    elif data is not None:
        yield str(data)


def test_no_personal_data_on_any_board_of_the_demo(demo, private):
    client = demo.test_client()
    assert len(private["communities"]) >= 2 and len(private["names"]) > 100
    checked = 0
    for community_id in private["communities"]:
        for path, text in _texts(client, community_id):
            found = [name for name in private["names"] if _contains(text, name)]
            assert not found, (path, found[:5])
            assert not PHONE.search(text), (path, PHONE.search(text)[0])
            assert not HOUSE_NUMBER.search(text), (path, HOUSE_NUMBER.search(text)[0])
            assert not [a for a in private["addresses"] if a in text], path
            assert not [t for t in private["titles"] if t in text], path
            checked += 1
    assert checked == 4 * len(private["communities"])


def test_the_demo_board_shows_life(demo, private):
    """Not an empty page that trivially leaks nothing: needs, projects, figures and honours."""
    client = demo.test_client()
    boards = [
        client.get(f"/api/v1/public/communities/{cid}/board?per_page=200").json
        for cid in private["communities"]
    ]
    xingwang = next(b for b in boards if b["community_name"] == "兴旺社区")
    assert xingwang["needs"]["total"] > 10
    assert any(p["units"] and p["activities"] for p in xingwang["projects"])
    assert any(h["title"] == "同心共建先锋" for h in xingwang["honours"])
    steps = {s["code"] for n in xingwang["needs"]["items"] for s in n["timeline"] if s["on"]}
    assert {"received", "listed", "in_project", "claimed", "resolved"} <= steps

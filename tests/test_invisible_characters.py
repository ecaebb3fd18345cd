"""Text people send is trimmed of what nobody can see: a zero-width space pasted from a chat
app does not make "a" two characters long, nor a blank name a name. Joiners inside the text
stay, as emoji and some scripts are made with them."""

import pytest
import sqlalchemy as sa
from marshmallow import Schema, ValidationError

from coop.alliance.models import Unit
from coop.extensions import db
from coop.schemas import CommaList, Trimmed, length, split_list
from tests.factories import bearer, csrf, login, make_community, make_secretary


class NameIn(Schema):
    name = Trimmed(required=True, validate=length(min=2, max=8))
    note = Trimmed(load_default="")


@pytest.mark.parametrize(
    "invisible",
    [
        "\u200b",  # zero-width space
        "\u200c",  # zero-width non-joiner
        "\u200d",  # zero-width joiner
        "\u2060",  # word joiner
        "\ufeff",  # byte order mark / zero-width no-break space
        "\u200e",  # left-to-right mark (any format character, category Cf)
        "\u00ad",  # soft hyphen
    ],
)
def test_invisible_characters_at_the_ends_do_not_count(invisible):
    with pytest.raises(ValidationError) as refused:
        NameIn().load({"name": f"{invisible}a{invisible} "})
    assert refused.value.messages == {"name": ["长度应为 2–8 个字。"]}
    assert NameIn().load({"name": f" {invisible}阳光苑{invisible}\u3000"})["name"] == "阳光苑"


def test_invisible_characters_alone_are_blank():
    with pytest.raises(ValidationError) as refused:
        NameIn().load({"name": "\u200b\ufeff \u2060"})
    assert refused.value.messages == {"name": ["此项必填。"]}
    assert NameIn().load({"name": "阳光苑", "note": "\u200b"})["note"] == ""


def test_zero_width_spaces_inside_are_removed_and_do_not_count():
    seven = "一\u200b二\u200b三\u200b四\u200b五\ufeff六\u2060七"  # 13 code points, 7 to see
    assert NameIn().load({"name": seven})["name"] == "一二三四五六七"


def test_joiners_inside_stay():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji made of three
    assert NameIn().load({"name": f"家庭{family}"})["name"] == f"家庭{family}"
    assert NameIn().load({"name": "می\u200cخواهم"})["name"] == "می\u200cخواهم"


def test_a_list_item_of_invisible_characters_is_no_item():
    assert split_list("理发,\u200b,\ufeff 维修\u200b") == ["理发", "维修"]
    assert CommaList().deserialize("理发、\u200b、维修") == ["理发", "维修"]


@pytest.fixture
def community(ctx):
    return make_community()


def test_a_units_name_of_one_letter_and_a_zero_width_space_is_422(client, community):
    response = client.post(
        f"/api/v1/communities/{community.id}/units",
        json={"name": "a\u200b", "kind": "district"},
        headers=bearer(make_secretary(community)),
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"name": ["长度应为 2–128 个字。"]}
    assert db.session.scalars(sa.select(Unit).where(Unit.name.like("a%"))).all() == []


def test_the_unit_page_refuses_it_too(client, community):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/units/new"
    form = {"csrf_token": csrf(client, path), "name": "\u200ba\u200b", "kind": "district"}
    response = client.post(path, data=form)
    assert response.status_code == 422
    assert "长度应为 2–128 个字。" in response.get_data(as_text=True)

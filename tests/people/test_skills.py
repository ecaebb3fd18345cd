"""A volunteer's skills: typed in one box with the separators people use (， , 、 ; ；), the same
ones the Excel import reads; each at most 32 characters, said in words beside the field (never
a bare "0"); a skill typed twice kept once, in the order typed."""

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from coop.auth.models import User
from coop.extensions import db
from coop.people.schemas import PersonIn
from coop.schemas import load_form
from tests.factories import bearer, csrf, login, make_community, make_secretary, make_volunteer

TOO_LONG = "每项技能最多 32 个字，多项用逗号或顿号分隔。"
NINE = "理发、修家电、量血压、电脑维修、书法、国画、手机教学、心理咨询、法律咨询"  # 36 characters
LONG_SKILL = "会" * 33


def skills_of(text: str) -> tuple[list, dict]:
    form = MultiDict({"role": "volunteer", "display_name": "李大爷", "skills": text})
    data, errors = load_form(PersonIn(), form)
    return data.get("skills"), errors


# --- the schema --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, skills",
    [
        (NINE, NINE.split("、")),
        ("理发；修电脑;书法", ["理发", "修电脑", "书法"]),
        ("理发，修电脑,书法", ["理发", "修电脑", "书法"]),
        (" 理发 、 、修电脑 ", ["理发", "修电脑"]),
    ],
)
def test_skills_typed_with_any_separator_are_split(text, skills):
    assert skills_of(text) == (skills, {})


def test_a_skill_typed_twice_is_kept_once_in_the_order_typed():
    assert skills_of("理发,,， ,修电脑,理发") == (["理发", "修电脑"], {})


@pytest.mark.parametrize("text", [LONG_SKILL, f"理发、{LONG_SKILL}、书法"])
def test_a_skill_over_32_characters_is_named_in_words(text):
    assert skills_of(text) == (None, {"skills": [TOO_LONG]})


def test_a_skill_of_32_characters_is_fine():
    assert skills_of("会" * 32) == (["会" * 32], {})


def test_json_skills_say_what_is_wrong_once_for_the_field():
    errors = PersonIn().validate(
        {"role": "volunteer", "display_name": "李大爷", "skills": [LONG_SKILL, "", LONG_SKILL]}
    )
    assert errors == {"skills": [TOO_LONG, "不能有空白的项。"]}


def test_json_skills_typed_twice_are_kept_once():
    data = PersonIn().load(
        {"role": "volunteer", "display_name": "李大爷", "skills": ["理发", " 理发 "]}
    )
    assert data["skills"] == ["理发"]


# --- the pages ---------------------------------------------------------------------------------


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def volunteer(community):
    person = make_volunteer(community, display_name="王小明", phone="13800001111")
    person.volunteer.skills = ["理发"]
    db.session.flush()
    return person


def _add_form(client, path, skills) -> dict:
    return {
        "csrf_token": csrf(client, path),
        "role": "volunteer",
        "display_name": "张志强",
        "phone": "13900001111",
        "skills": skills,
    }


def _added() -> User | None:
    return db.session.scalar(sa.select(User).where(User.phone == "13900001111"))


def test_the_add_form_splits_skills_typed_with_the_enumeration_comma(client, community):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/people/new"
    response = client.post(path, data=_add_form(client, path, NINE + "、理发"))
    assert response.status_code == 302
    assert _added().volunteer.skills == NINE.split("、")


def test_a_too_long_skill_on_the_add_form_is_explained_and_adds_nobody(client, community):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/people/new"
    response = client.post(path, data=_add_form(client, path, f"理发、{LONG_SKILL}"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<div class="field-error" id="e-skills">{TOO_LONG}</div>' in html
    assert f'value="理发、{LONG_SKILL}"' in html  # what she typed, to shorten
    assert _added() is None


@pytest.mark.parametrize("who", ["secretary", "herself"])
def test_a_too_long_skill_on_the_edit_page_is_explained_and_changes_nothing(
    client, community, volunteer, who
):
    login(client, make_secretary(community) if who == "secretary" else volunteer)
    path = f"/people/{volunteer.id}/edit"
    form = {
        "csrf_token": csrf(client, path),
        "version": "1",
        "display_name": "王晓明",
        "phone": "13800001111",
        "skills": f"书法、{LONG_SKILL}",
    }
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<div class="field-error" id="e-skills">{TOO_LONG}</div>' in html
    assert f'value="书法、{LONG_SKILL}"' in html
    db.session.refresh(volunteer)
    assert (volunteer.display_name, volunteer.volunteer.skills, volunteer.version) == (
        "王小明",
        ["理发"],
        1,
    )


def test_the_edit_page_says_how_to_type_skills(client, community, volunteer):
    login(client, volunteer)
    html = client.get(f"/people/{volunteer.id}/edit").get_data(as_text=True)
    assert "多个用逗号或顿号分隔，每项最多 32 个字" in html


# --- the API -----------------------------------------------------------------------------------


def test_a_too_long_skill_patched_is_422_with_the_message_and_changes_nothing(
    client, community, volunteer
):
    response = client.patch(
        f"/api/v1/people/{volunteer.id}",
        json={"version": 1, "skills": ["书法", LONG_SKILL]},
        headers=bearer(volunteer),
    )
    assert response.status_code == 422 and response.json["errors"] == {"skills": [TOO_LONG]}
    db.session.refresh(volunteer)
    assert (volunteer.volunteer.skills, volunteer.version) == (["理发"], 1)


def test_a_too_long_skill_posted_is_422_with_the_message_and_adds_nobody(client, community):
    response = client.post(
        f"/api/v1/communities/{community.id}/people",
        json={"role": "volunteer", "display_name": "张志强", "phone": "13900001111",
              "skills": [LONG_SKILL]},
        headers=bearer(make_secretary(community)),
    )  # fmt: skip
    assert response.status_code == 422 and response.json["errors"] == {"skills": [TOO_LONG]}
    assert _added() is None


def test_skills_patched_twice_over_are_kept_once(client, community, volunteer):
    response = client.patch(
        f"/api/v1/people/{volunteer.id}",
        json={"version": 1, "skills": ["摄影", "理发", "摄影"]},
        headers=bearer(volunteer),
    )
    assert response.status_code == 200 and response.json["skills"] == ["摄影", "理发"]

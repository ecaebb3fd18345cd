"""我的 → 消息设置 and /api/v1/me/notice-settings: her channels, quiet hours and e-mail."""

from datetime import time

import pytest

from coop.auth import service as auth_service
from coop.extensions import db
from coop.notices.models import NoticeSettings
from tests.factories import login, make_community, make_volunteer
from tests.notices.delivery_helpers import recording_channels, restore


@pytest.fixture
def fakes(app):
    yield recording_channels(app)
    restore(app)


@pytest.fixture
def person(ctx):
    return make_volunteer(make_community(), phone="13800001111")


def bearer(user) -> dict:
    raw, _token = auth_service.issue_token(user)
    return {"Authorization": f"Bearer {raw}"}


def test_by_default_only_the_inbox_and_quiet_from_nine_to_eight(client, person, fakes):
    answer = client.get("/api/v1/me/notice-settings", headers=bearer(person))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["channels"] == [] and body["email"] is None and body["wechat_bound"] is False
    assert (body["quiet_hours"], body["quiet_from"], body["quiet_until"]) == (
        True,
        "21:00",
        "08:00",
    )
    assert [(c["name"], c["available"]) for c in body["offered"]] == [
        ("email", False),
        ("sms", True),
        ("wechat", False),
    ]


def test_she_chooses_email_with_her_address_and_changes_quiet_hours(client, person, fakes):
    answer = client.put(
        "/api/v1/me/notice-settings",
        headers=bearer(person),
        json={
            "channels": ["email", "sms"],
            "email": "li@example.com",
            "quiet_hours": True,
            "quiet_from": "22:30",
            "quiet_until": "07:00",
        },
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["channels"] == ["email", "sms"]
    saved = db.session.get(NoticeSettings, person.id)
    assert (saved.channels, saved.quiet_from, saved.quiet_until) == (
        "email,sms",
        time(22, 30),
        time(7),
    )
    assert person.email == "li@example.com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": ["wechat"], "quiet_hours": False}, "channels"),  # no openid
        ({"channels": ["email"], "quiet_hours": False}, "channels"),  # no address
        ({"channels": ["fax"], "quiet_hours": False}, "channels"),
        ({"channels": [], "email": "not-an-address"}, "email"),
        ({"channels": [], "quiet_hours": True, "quiet_from": "25:00"}, "quiet_from"),
        (
            {"channels": [], "quiet_hours": True, "quiet_from": "08:00", "quiet_until": "08:00"},
            "quiet_until",
        ),
    ],
)
def test_bad_settings_are_refused_with_a_reason_and_change_nothing(
    client, person, fakes, body, field
):
    answer = client.put("/api/v1/me/notice-settings", headers=bearer(person), json=body)
    assert answer.status_code == 422
    assert field in answer.get_json()["errors"]
    assert db.session.get(NoticeSettings, person.id) is None and person.email is None


def test_the_settings_page_saves_the_form(client, person, fakes):
    login(client, person)
    page = client.get("/me/notice-settings")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "站内消息" in text and "短信" in text and 'value="21:00"' in text
    token = text.split('name="csrf_token" value="')[1].split('"')[0]
    saved = client.post(
        "/me/notice-settings",
        data={"csrf_token": token, "channels": "sms", "email": "", "quiet_from": "21:00"},
    )
    assert saved.status_code == 302
    settings = db.session.get(NoticeSettings, person.id)
    assert settings.channels == "sms" and settings.quiet_from is None  # box unticked: off


def test_the_settings_page_shows_a_refusal_beside_the_form(client, person, fakes):
    login(client, person)
    text = client.get("/me/notice-settings").get_data(as_text=True)
    token = text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post(
        "/me/notice-settings", data={"csrf_token": token, "channels": "email", "email": ""}
    )
    assert refused.status_code == 422
    assert "没有邮箱地址" in refused.get_data(as_text=True)
    assert db.session.get(NoticeSettings, person.id) is None

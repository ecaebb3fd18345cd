"""The badges JSON API: the catalogue, awards scoped to the caller's communities, and the
secretary's monthly themes."""

import pytest

from coop.badges import catalog
from coop.badges.awarding import monthly_badges
from coop.hours.models import RecordStatus
from tests.badges.conftest import NOW, PERIOD, add_hours, october_activity
from tests.factories import bearer, make_community, make_secretary, make_volunteer


@pytest.fixture
def awarded(community):
    """A volunteer with a theme badge and a bronze tier for October, one of them revoked later
    is not needed here: the API shows what is stored."""
    volunteer = make_volunteer(community, display_name="陈秀英")
    add_hours(volunteer, october_activity(community, theme=True), 5)
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    return volunteer


def test_the_catalogue_lists_every_badge_and_writes_nothing(client, community):
    import sqlalchemy as sa

    from coop.badges.models import Badge
    from coop.extensions import db

    stored = db.session.scalar(sa.select(sa.func.count()).select_from(Badge))
    response = client.get("/api/v1/badges", headers=bearer(make_volunteer(community)))
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Badge)) == stored
    codes = [b["code"] for b in response.json]
    assert codes == list(catalog.CATALOG)
    theme = response.json[0]
    assert theme["name"] == "月月红" and theme["holder_type"] == "volunteer"


def test_awards_carry_badge_holder_month_and_evidence(client, community, awarded):
    response = client.get(
        f"/api/v1/badge-awards?month={PERIOD}&holder_type=volunteer&holder_id={awarded.id}",
        headers=bearer(awarded),
    )
    assert response.status_code == 200
    body = response.json
    assert body["total"] == 2
    theme = next(a for a in body["items"] if a["badge"]["code"] == catalog.THEME)
    assert theme["badge"] == {"code": "theme", "name": "月月红"}
    assert theme["holder"] == {"type": "volunteer", "id": awarded.id, "name": "陈秀英"}
    assert theme["month"] == PERIOD and theme["evidence"]["hours"] == 5
    assert theme["revoked"] is False and theme["revoke_reason"] == ""
    assert theme["awarded_at"].endswith("+08:00")


def test_awards_of_another_community_are_not_shown(client, community, awarded):
    outsider = make_secretary(make_community())
    response = client.get("/api/v1/badge-awards", headers=bearer(outsider))
    assert response.status_code == 200 and response.json["total"] == 0


@pytest.mark.parametrize("query", ["month=2026-13", "month=202610", "holder_type=team", "page=0"])
def test_bad_filters_are_refused(client, community, query):
    response = client.get(
        f"/api/v1/badge-awards?{query}", headers=bearer(make_volunteer(community))
    )
    assert response.status_code == 422


def test_awards_need_a_token(client):
    assert client.get("/api/v1/badge-awards").status_code == 401


def test_a_community_has_twelve_themes(client, community):
    response = client.get(
        f"/api/v1/communities/{community.id}/themes", headers=bearer(make_volunteer(community))
    )
    assert response.status_code == 200
    assert [t["month"] for t in response.json] == list(range(1, 13))
    assert response.json[2]["title"] == "学雷锋红色服务"


def test_the_secretary_renames_a_months_theme(client, community):
    headers = bearer(make_secretary(community))
    path = f"/api/v1/communities/{community.id}/themes/8"
    response = client.put(
        path, json={"title": "八一拥军", "description": "走访军属"}, headers=headers
    )
    assert response.status_code == 200 and response.json["title"] == "八一拥军"
    assert client.get(path, headers=headers).json["description"] == "走访军属"


@pytest.mark.parametrize(
    ("who", "month", "body", "status"),
    [
        ("volunteer", 8, {"title": "x"}, 403),
        ("outsider", 8, {"title": "x"}, 404),
        ("secretary", 13, {"title": "x"}, 404),
        ("secretary", 8, {"title": ""}, 422),
        ("secretary", 8, {"title": "红" * 65}, 422),
    ],
)
def test_theme_edits_are_checked(client, community, who, month, body, status):
    user = {
        "volunteer": lambda: make_volunteer(community),
        "outsider": lambda: make_secretary(make_community()),
        "secretary": lambda: make_secretary(community),
    }[who]()
    response = client.put(
        f"/api/v1/communities/{community.id}/themes/{month}", json=body, headers=bearer(user)
    )
    assert response.status_code == status


def test_a_revoked_award_shows_its_reason(client, community, secretary):
    from coop.hours import service as hours
    from tests.badges.conftest import mark_awarded

    volunteer = make_volunteer(community)
    record = add_hours(volunteer, october_activity(community), 4, status=RecordStatus.PENDING)
    hours.verify_record(secretary, record.id, now=NOW)
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    mark_awarded()
    hours.reverse_record(secretary, record.id, reason="时长有误", now=NOW)
    response = client.get(
        f"/api/v1/badge-awards?holder_id={volunteer.id}", headers=bearer(volunteer)
    )
    (award,) = response.json["items"]
    assert award["revoked"] is True and "不足 4 小时" in award["revoke_reason"]

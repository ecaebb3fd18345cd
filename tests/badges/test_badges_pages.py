"""The badge wall, the community's honour roll and the secretary's theme settings."""

import pytest
import sqlalchemy as sa

from coop.badges import themes
from coop.badges.awarding import monthly_badges
from coop.badges.models import MonthlyTheme
from coop.extensions import db
from tests.badges.conftest import NOW, PERIOD, add_hours, fulfilled_claim, october_activity
from tests.factories import (
    bearer,
    csrf,
    login,
    make_community,
    make_resident,
    make_secretary,
    make_unit,
    make_volunteer,
)

HTMX = {"HX-Request": "true"}


def test_the_wall_explains_how_to_earn_badges_when_empty(client, community):
    volunteer = make_volunteer(community)
    login(client, volunteer)
    html = client.get("/my/badges").get_data(as_text=True)
    assert "还没有徽章" in html and "满 4、10、20 小时" in html


def test_the_wall_shows_the_months_badges_and_a_revoked_one_struck_through(client, community):
    volunteer = make_volunteer(community)
    add_hours(volunteer, october_activity(community, theme=True), 5)
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    from coop.badges import service
    from tests.badges.conftest import award_of

    service.revoke(award_of(community, "hours_bronze", volunteer.id), reason="测试撤销", now=NOW)
    login(client, volunteer)
    html = client.get("/my/badges").get_data(as_text=True)
    assert "2026年10月" in html and "月月红" in html and "红色颂歌献祖国" in html
    assert "<del" in html and "撤销原因：测试撤销" in html


def test_me_and_points_link_to_the_wall(client, community):
    login(client, make_volunteer(community))
    assert "/my/badges" in client.get("/me").get_data(as_text=True)
    assert "/my/badges" in client.get("/my/points").get_data(as_text=True)


def test_the_community_page_loads_the_honour_roll(client, community):
    login(client, make_resident(community))
    html = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert f"/communities/{community.id}/honours" in html


def test_the_honour_roll_shows_the_latest_month(client, community):
    unit = make_unit(community, name="康达物业公司")
    fulfilled_claim(unit, community)
    volunteer = make_volunteer(community, display_name="陈秀英")
    add_hours(volunteer, october_activity(community, theme=True), 5)
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    login(client, make_resident(community))
    response = client.get(f"/communities/{community.id}/honours", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1" not in html  # the fragment only
    assert "2026年10月" in html and "红色颂歌献祖国" in html
    assert "陈秀英" in html and "康达物业公司" in html and "月度共建之星" in html
    assert "月月红主题设置" not in html  # not the secretary
    full = client.get(f"/communities/{community.id}/honours").get_data(as_text=True)
    assert "<h1" in full


def test_an_honour_roll_before_any_award_says_when_they_come(client, community):
    login(client, make_volunteer(community))
    html = client.get(f"/communities/{community.id}/honours", headers=HTMX).get_data(as_text=True)
    assert "还没有颁发过月月红徽章" in html


def test_the_honour_roll_of_another_community_is_not_found(client, community):
    login(client, make_volunteer(make_community()))
    assert client.get(f"/communities/{community.id}/honours").status_code == 404


def test_the_secretary_sees_twelve_editable_months(client, community):
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}/themes").get_data(as_text=True)
    assert html.count('class="card stacked theme-form"') == 12 and "红色汇演" in html


@pytest.mark.parametrize("who", ["volunteer", "resident"])
def test_only_the_secretary_opens_the_theme_settings(client, community, who):
    user = make_volunteer(community) if who == "volunteer" else make_resident(community)
    login(client, user)
    assert client.get(f"/communities/{community.id}/themes").status_code == 403


def test_saving_a_theme_with_htmx_replaces_its_form(client, community):
    login(client, make_secretary(community))
    page = f"/communities/{community.id}/themes"
    response = client.post(
        f"{page}/9",
        data={"csrf_token": csrf(client, page), "title": "金秋助学", "description": "开学季"},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="month-9"' in html and "已保存" in html
    assert themes.theme_of(community.id, 9).title == "金秋助学"


def test_a_blank_title_is_refused_beside_its_field(client, community):
    login(client, make_secretary(community))
    page = f"/communities/{community.id}/themes"
    response = client.post(
        f"{page}/9", data={"csrf_token": csrf(client, page), "title": " "}, headers=HTMX
    )
    assert response.status_code == 422 and "field-error" in response.get_data(as_text=True)
    plain = client.post(f"{page}/9", data={"csrf_token": csrf(client, page), "title": ""})
    assert plain.status_code == 422 and 'aria-invalid="true"' in plain.get_data(as_text=True)


def test_saving_a_theme_without_htmx_redirects_back(client, community):
    login(client, make_secretary(community))
    page = f"/communities/{community.id}/themes"
    response = client.post(f"{page}/2", data={"csrf_token": csrf(client, page), "title": "元宵"})
    assert response.status_code == 302 and response.location.endswith("#month-2")


def test_the_honour_roll_lists_each_volunteer_under_her_highest_tier_and_counts_all(community):
    from coop.badges import queries, service
    from tests.badges.conftest import award_of

    gold, silver, bronze = (make_volunteer(community, display_name=n) for n in "金银铜")
    many = [make_volunteer(community, display_name=f"满四{i}") for i in range(3)]
    themed = october_activity(community, theme=True, hours=24)
    for volunteer, hours in [(gold, 21), (silver, 11), (bronze, 5)] + [(v, 4) for v in many]:
        add_hours(volunteer, themed, hours)
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    service.revoke(award_of(community, "hours_bronze", many[0].id), reason="测试撤销", now=NOW)

    roll = queries.honour_roll(community.id, PERIOD, limit=2)

    names = {code: [name for name, _ in entry["holders"]] for code, entry in roll.items()}
    assert names["hours_gold"] == ["金"] and roll["hours_gold"]["total"] == 1
    assert names["hours_silver"] == ["银"] and roll["hours_silver"]["total"] == 1
    assert roll["hours_bronze"]["total"] == 3  # 铜 and two of 满四: the revoked one is gone
    assert len(names["hours_bronze"]) == 2 and "金" not in names["hours_bronze"]
    assert roll["theme"]["total"] == 6 and len(names["theme"]) == 2
    assert roll["unit_star"] == {"total": 0, "holders": []}


def _stored_themes(community) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(MonthlyTheme.community_id == community.id)
    )


def test_reading_the_honour_roll_and_the_themes_writes_nothing(client, community, count_queries):
    volunteer = make_volunteer(community, display_name="陈秀英")
    add_hours(volunteer, october_activity(community, theme=True), 5)
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    db.session.execute(sa.delete(MonthlyTheme).where(MonthlyTheme.community_id == community.id))
    secretary = make_secretary(community)
    login(client, secretary)
    token = bearer(secretary)
    paths = [
        (f"/communities/{community.id}/honours", HTMX),
        (f"/communities/{community.id}/honours", {}),
        (f"/communities/{community.id}/themes", {}),
        (f"/api/v1/communities/{community.id}/themes", token),
        (f"/api/v1/communities/{community.id}/themes/10", token),
    ]

    with count_queries() as sent:
        pages = [client.get(path, headers=headers) for path, headers in paths]

    assert [p.status_code for p in pages] == [200] * 5
    assert sent.writes == [] and _stored_themes(community) == 0
    assert "红色颂歌献祖国" in pages[0].get_data(as_text=True)  # October's default theme
    assert [t["month"] for t in pages[3].json] == list(range(1, 13))
    assert pages[4].json["title"] == "红色颂歌献祖国"


def test_changing_a_theme_stores_that_month_only(client, community):
    login(client, make_secretary(community))
    page = f"/communities/{community.id}/themes"
    client.post(f"{page}/9", data={"csrf_token": csrf(client, page), "title": "金秋助学"})
    client.post(f"{page}/9", data={"csrf_token": csrf(client, page), "title": "金秋圆梦"})

    assert _stored_themes(community) == 1
    titles = [t.title for t in themes.themes_of(community.id)]
    assert titles[8] == "金秋圆梦" and titles[9] == "红色颂歌献祖国"

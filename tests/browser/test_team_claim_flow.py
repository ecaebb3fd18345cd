"""A team's claim on the phone: the leader of a volunteer team opens the project menu, claims a
routine project for her team, and the secretary approves it in 认领审核; the team page shows it."""

import re
import uuid

from playwright.sync_api import expect

from coop.alliance.models import Community
from coop.people.models import Team, TeamMember
from coop.projects.models import ProjectMode
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import fits_the_phone, shot
from tests.factories import PASSWORD, make_project, make_volunteer


def test_a_leader_claims_for_her_team_and_the_secretary_approves(
    new_context, login, axe, live_db, xingwang_id
):
    tag = uuid.uuid4().hex[:6]
    team_name, title = f"银发先锋服务队{tag}", f"每周陪伴独居老人{tag}"
    with live_db() as session:
        community = session.get(Community, xingwang_id)
        leader = make_volunteer(community, username=f"leader{tag}", display_name="李队长")
        team = Team(community_id=community.id, name=team_name)
        team.members.append(TeamMember(user=leader, is_leader=True))
        session.add(team)
        project = make_project(community, title=title, mode=ProjectMode.ROUTINE, slots=1)
        session.flush()
        team_id, project_id, username = team.id, project.id, leader.username

    phone = new_context(**VIEWPORTS["phone"]).new_page()
    login(phone, username, PASSWORD)
    phone.goto(f"/communities/{xingwang_id}/menu")
    categories = phone.get_by_role("navigation", name="项目类别")
    categories.get_by_role("link", name=re.compile("^关心关爱")).click()
    card = phone.locator(f"#project-{project_id}")
    expect(card.get_by_role("link", name=title, exact=True)).to_be_visible()
    axe(phone)  # also waits for htmx to listen
    card.get_by_role("link", name="认领", exact=True).click()  # htmx brings the claim form
    expect(card.get_by_role("radio", name=team_name)).to_be_checked()
    expect(card.get_by_role("radio", name="我本人")).not_to_be_checked()
    fits_the_phone(phone)
    shot(phone, "team-claim-menu")
    card.get_by_label("留言（可不填）").fill("周六上午 4 人到场。")
    card.get_by_role("button", name="确认认领").click()
    panel = phone.locator(f"#claim-panel-{project_id}")
    expect(panel.get_by_role("status")).to_contain_text("已提交认领，等待社区审核。")
    expect(panel.get_by_role("status")).to_contain_text(team_name)

    secretary = new_context(**VIEWPORTS["phone"]).new_page()
    login(secretary, "secretary")
    secretary.goto(f"/communities/{xingwang_id}/claims")
    row = secretary.locator("li").filter(has=secretary.get_by_role("link", name=title, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(team_name)
    expect(row).to_contain_text("志愿服务队")
    fits_the_phone(secretary)
    row.get_by_role("button", name="通过", exact=True).click()
    expect(row.get_by_text("已认领", exact=True)).to_be_visible()

    phone.goto(f"/teams/{team_id}")
    claimed = phone.locator("li").filter(has=phone.get_by_role("link", name=title, exact=True))
    expect(claimed).to_contain_text("已认领")
    expect(phone).to_have_url(re.compile(rf"/teams/{team_id}$"))
    fits_the_phone(phone)
    axe(phone)
    shot(phone, "team-claims")

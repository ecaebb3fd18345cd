import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.categories import Category
from coop.claims.models import Claim, ClaimantType, ClaimStatus, OrderStatus, ResourceOrder
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.projects.models import ProjectMode, ProjectStatus
from tests.factories import (
    csrf,
    login,
    make_community,
    make_liaison,
    make_project,
    make_resident,
    make_resource,
    make_secretary,
    make_unit,
    make_volunteer,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def unit(community):
    return make_unit(community, name="康达物业")


def _claims() -> list[Claim]:
    return list(db.session.scalars(sa.select(Claim).order_by(Claim.id)))


def _claim(project, unit, status=ClaimStatus.PENDING) -> Claim:
    claim = Claim(
        project=project,
        claimant_type=ClaimantType.UNIT,
        unit_id=unit.id,
        claimant_key=f"unit:{unit.id}",
        status=status,
    )
    db.session.add(claim)
    if status is ClaimStatus.APPROVED:
        project.approved_count += 1
    db.session.flush()
    return claim


@pytest.mark.parametrize(
    "path", ["/communities/{c}/menu", "/communities/{c}/claims", "/projects/{p}/claim"]
)
def test_another_communitys_claim_pages_are_not_found(client, community, path):
    project = make_project(community)
    login(client, make_secretary(make_community()))
    assert client.get(path.format(c=community.id, p=project.id)).status_code == 404


@pytest.mark.parametrize("make", [make_resident, make_volunteer])
def test_the_claims_queue_is_forbidden_to_members(client, community, make):
    login(client, make(community))
    assert client.get(f"/communities/{community.id}/claims").status_code == 403


def test_incoming_orders_are_for_liaisons(client, community):
    login(client, make_resident(community))
    assert client.get("/orders").status_code == 403


def test_the_menu_groups_published_projects_by_category(client, community, unit):
    make_project(community, title="党史故事会", category=Category.RED_EDUCATION)
    make_project(community, title="理发进小区", category=Category.CONVENIENCE, slots=3)
    make_project(community, title="草稿不上菜单", status=ProjectStatus.DRAFT)
    login(client, make_liaison(unit))
    html = client.get(f"/communities/{community.id}/menu").get_data(as_text=True)
    red, convenience = html.index(">红色教育</h2>"), html.index(">便民服务</h2>")
    assert red < html.index("党史故事会") < convenience < html.index("理发进小区")
    assert "草稿不上菜单" not in html
    assert "剩余名额 <strong>3</strong>/3" in html and "认领截止" in html
    # 认领 is a link on the card: the form comes with it (htmx) or on the claim page
    assert "以“康达物业”的名义认领" not in html and "确认认领" not in html


def test_a_card_offers_claiming_as_a_link_htmx_swaps_in_place(client, community, unit):
    project = make_project(community)
    login(client, make_liaison(unit))
    menu = f"/communities/{community.id}/menu"
    html = client.get(menu).get_data(as_text=True)
    card = html[html.index(f'id="project-{project.id}"') :]
    link = re.search(r'<a class="button" href="([^"]+)" hx-get="([^"]+)"([^>]*)>认领</a>', card)
    assert link, card[:2000]
    href = link.group(1).replace("&amp;", "&")
    assert href == link.group(2).replace("&amp;", "&")
    assert href == f"/projects/{project.id}/claim?next=/communities/{community.id}/menu"
    assert f'hx-target="#claim-panel-{project.id}"' in link.group(3)
    assert 'hx-swap="outerHTML"' in link.group(3)


def test_opening_claim_with_htmx_brings_the_cards_panel_with_its_form(client, community, unit):
    project = make_project(community)
    make_resource(unit, community, title="物业维修工")
    login(client, make_liaison(unit))
    menu = f"/communities/{community.id}/menu"
    response = client.get(f"/projects/{project.id}/claim?next={menu}", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<div class="claim-panel" id="claim-panel-{project.id}">')
    assert "以“康达物业”的名义认领" in html and "物业维修工" in html and "确认认领" in html
    assert "<summary autofocus>" in html  # htmx moves her focus to the form it swapped in
    assert f'<input type="hidden" name="next" value="{menu}">' in html
    page = client.get(f"/projects/{project.id}/claim").get_data(as_text=True)
    assert "<html" in page and "确认认领" in page and "<summary autofocus>" not in page


def test_the_menu_shows_a_few_cards_of_each_category_and_links_to_all(client, community, unit):
    now = utcnow()
    closed = make_project(community, title="已截止", claim_deadline=now - timedelta(hours=1))
    care = [
        make_project(community, title=f"关爱{i}", claim_deadline=now + timedelta(days=9 - i))
        for i in range(5)
    ]
    make_project(community, title="党史故事会", category=Category.RED_EDUCATION)
    login(client, make_liaison(unit))
    html = client.get(f"/communities/{community.id}/menu").get_data(as_text=True)
    # those she can still claim first, the soonest deadline first; 4 a category
    shown = [p.title for p in care[::-1][:4]]
    places = [html.index(f">{title}</a>") for title in shown]
    assert places == sorted(places)
    assert care[0].title not in html and closed.title not in html
    assert "党史故事会" in html
    more = f'href="/communities/{community.id}/menu?category=%E5%85%B3%E5%BF%83%E5%85%B3%E7%88%B1"'
    assert f'<a class="more" {more}>查看“关心关爱”全部 6 个项目</a>' in html
    assert "查看“红色教育”全部" not in html  # nothing more to see there
    assert "全部 <strong>7</strong>" in html and "关心关爱 <strong>6</strong>" in html


def test_a_category_is_paged_by_twenty(client, community, unit):
    now = utcnow()
    for i in range(21):
        make_project(
            community, title=f"关爱项目{i:02d}", claim_deadline=now + timedelta(days=1, hours=i)
        )
    make_project(community, title="党史故事会", category=Category.RED_EDUCATION)
    login(client, make_liaison(unit))
    menu = f"/communities/{community.id}/menu"
    first = client.get(menu, query_string={"category": "关心关爱"}).get_data(as_text=True)
    assert "关爱项目00" in first and "关爱项目19" in first and "关爱项目20" not in first
    assert "党史故事会" not in first and "第 1 / 2 页，共 21 条" in first
    assert 'aria-current="page">关心关爱 <strong>21</strong>' in first
    second = client.get(menu, query_string={"category": "关心关爱", "page": 2})
    html = second.get_data(as_text=True)
    assert second.status_code == 200 and "关爱项目20" in html and "关爱项目19" not in html
    assert "返回全部类别" in html
    beyond = client.get(menu, query_string={"category": "关心关爱", "page": 3})
    assert beyond.status_code == 200 and "这一页没有项目。" in beyond.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [{"page": "0"}, {"page": "abc"}, {"category": "篮球"}, {"category": "关心关爱", "page": "-1"}],
)
def test_a_bad_menu_page_or_category_is_refused(client, community, unit, query):
    make_project(community)
    login(client, make_liaison(unit))
    response = client.get(f"/communities/{community.id}/menu", query_string=query)
    assert response.status_code == 422


def test_a_category_with_nothing_on_the_menu_says_so(client, community, unit):
    make_project(community)
    login(client, make_liaison(unit))
    menu = f"/communities/{community.id}/menu"
    html = client.get(menu, query_string={"category": "政策宣讲"}).get_data(as_text=True)
    assert "“政策宣讲”现在没有可认领的项目。" in html


def test_a_card_says_she_already_claimed_it(client, community, unit):
    project = make_project(community, title="送医上门")
    _claim(project, unit, ClaimStatus.APPROVED)
    _claim(make_project(community, title="别人的"), make_unit(community))
    login(client, make_liaison(unit))
    html = client.get(f"/communities/{community.id}/menu").get_data(as_text=True)
    mine = html[html.index(f'id="claim-panel-{project.id}"') :]
    assert mine.index("您已认领") < mine.index("</div>")
    assert html.count("您已认领") == 1


def test_an_empty_menu_says_so(client, community):
    login(client, make_resident(community))
    html = client.get(f"/communities/{community.id}/menu").get_data(as_text=True)
    assert "现在没有可认领的项目。" in html


def test_a_resident_reads_the_menu_without_a_claim_button(client, community):
    make_project(community, title="理发进小区")
    login(client, make_resident(community))
    html = client.get(f"/communities/{community.id}/menu").get_data(as_text=True)
    assert "理发进小区" in html and "确认认领" not in html and "我的认领" not in html


def test_claiming_from_the_menu_swaps_the_panel_and_announces_it(client, community, unit):
    project = make_project(community)
    resource = make_resource(unit, community, title="物业维修工")
    liaison = make_liaison(unit)
    login(client, liaison)
    menu = f"/communities/{community.id}/menu"
    html = client.get(menu).get_data(as_text=True)
    assert 'hx-trigger="claims-changed from:body"' in html
    panel = client.get(f"/projects/{project.id}/claim", headers=HTMX).get_data(as_text=True)
    assert "物业维修工" in panel
    response = client.post(
        f"/projects/{project.id}/claim",
        data={
            "csrf_token": csrf(client, menu),
            "claimant": "unit",
            "note": "可派 3 人",
            "resource_ids": [str(resource.id)],
        },
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "claims-changed"
    assert response.headers["HX-Retarget"] == f"#claim-panel-{project.id}"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert "<html" not in html and f'id="claim-panel-{project.id}"' in html
    assert "已提交认领，等待社区审核" in html and "撤回认领" in html
    (claim,) = _claims()
    assert claim.unit_id == unit.id and claim.status is ClaimStatus.PENDING
    assert claim.note == "可派 3 人" and [r.id for r in claim.resources] == [resource.id]
    # the badge the page re-fetches on claims-changed
    badge = client.get("/my/claims/badge", headers=HTMX).get_data(as_text=True)
    assert "<html" not in badge and '<span class="count"' in badge and ">1</span>" in badge


def test_claiming_works_without_javascript(client, community, unit):
    project = make_project(community, auto_approve=True)
    login(client, make_liaison(unit))
    menu = f"/communities/{community.id}/menu"
    response = client.post(
        f"/projects/{project.id}/claim", data={"csrf_token": csrf(client, menu), "claimant": "unit"}
    )
    assert response.status_code == 302
    assert response.location == f"{menu}#project-{project.id}"
    (claim,) = _claims()
    assert claim.status is ClaimStatus.APPROVED
    html = client.get(response.location).get_data(as_text=True)
    assert "认领成功" in html and "您已认领" in html


def test_claiming_without_javascript_goes_back_to_the_menu_page_she_came_from(
    client, community, unit
):
    project = make_project(community)
    login(client, make_liaison(unit))
    came_from = f"/communities/{community.id}/menu?category=%E5%85%B3%E5%BF%83%E5%85%B3%E7%88%B1"
    path = f"/projects/{project.id}/claim"
    page = client.get(path, query_string={"next": came_from}).get_data(as_text=True)
    assert f'href="{came_from}">返回项目菜单</a>' in page
    response = client.post(
        path, data={"csrf_token": csrf(client, path), "claimant": "unit", "next": came_from}
    )
    assert response.status_code == 302 and response.location == f"{came_from}#project-{project.id}"


def test_claiming_ignores_a_next_that_leaves_the_site(client, community, unit):
    project = make_project(community)
    login(client, make_liaison(unit))
    path = f"/projects/{project.id}/claim"
    response = client.post(
        path,
        data={
            "csrf_token": csrf(client, path),
            "claimant": "unit",
            "next": "https://evil.example/",
        },
    )
    menu = f"/communities/{community.id}/menu"
    assert response.status_code == 302 and response.location == f"{menu}#project-{project.id}"


def test_claiming_twice_is_refused_in_place(client, community, unit):
    project = make_project(community)
    _claim(project, unit)
    login(client, make_liaison(unit))
    menu = f"/communities/{community.id}/menu"
    form = {"csrf_token": csrf(client, menu), "claimant": "unit"}
    response = client.post(f"/projects/{project.id}/claim", data=form, headers=HTMX)
    assert response.status_code == 409 and "HX-Trigger" not in response.headers
    assert "请勿重复认领" in response.get_data(as_text=True)
    response = client.post(f"/projects/{project.id}/claim", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "<html" in html and "请勿重复认领" in html
    assert len(_claims()) == 1


def test_an_invalid_pledge_changes_nothing(client, community, unit):
    project = make_project(community)
    foreign = make_resource(make_unit(community), community)
    login(client, make_liaison(unit))
    path = f"/projects/{project.id}/claim"
    response = client.post(
        path,
        data={
            "csrf_token": csrf(client, path),
            "claimant": "unit",
            "resource_ids": [str(foreign.id)],
        },
    )
    assert response.status_code == 422
    assert "只能承诺贵单位在本社区已列入清单的资源" in response.get_data(as_text=True)
    assert _claims() == []


def test_a_bad_claimant_value_shows_an_error(client, community, unit):
    project = make_project(community)
    login(client, make_liaison(unit))
    path = f"/projects/{project.id}/claim"
    response = client.post(path, data={"csrf_token": csrf(client, path), "claimant": "street"})
    assert response.status_code == 422 and _claims() == []


def test_a_unit_without_a_live_agreement_is_told_before_claiming(client, community):
    unit = make_unit(community, live=False)
    make_project(community)
    login(client, make_liaison(unit))
    html = client.get(f"/communities/{community.id}/menu").get_data(as_text=True)
    assert "没有生效中的《共驻共建协议书》" in html and "确认认领" not in html


def test_a_volunteer_claims_routine_projects_only(client, community):
    team = make_project(community, title="组团项目")
    routine = make_project(community, title="每周陪伴", mode=ProjectMode.ROUTINE, slots=1)
    volunteer = make_volunteer(community)
    login(client, volunteer)
    menu = f"/communities/{community.id}/menu"
    html = client.get(menu).get_data(as_text=True)
    assert "组团式项目由联盟单位认领" in html
    assert f'href="/projects/{routine.id}/claim?' in html
    assert f'href="/projects/{team.id}/claim?' not in html
    response = client.post(
        f"/projects/{routine.id}/claim",
        data={"csrf_token": csrf(client, menu), "claimant": "volunteer"},
        headers=HTMX,
    )
    assert response.headers["HX-Trigger"] == "claims-changed"
    (claim,) = _claims()
    assert claim.volunteer_id == volunteer.id and claim.project_id == routine.id


def test_the_badge_is_a_page_when_visited_directly(client, community, unit):
    login(client, make_liaison(unit))
    html = client.get("/my/claims/badge").get_data(as_text=True)
    assert "<html" in html and "还没有认领项目。" in html


def test_my_claims_lists_the_units_claims(client, community, unit):
    project = make_project(community, title="送医上门")
    _claim(project, unit, ClaimStatus.APPROVED)
    other = make_project(community, title="别人的项目")
    _claim(other, make_unit(community))
    login(client, make_liaison(unit))
    html = client.get("/my/claims").get_data(as_text=True)
    assert "送医上门" in html and "已认领" in html and "撤回认领" in html
    assert "别人的项目" not in html


def test_withdrawing_a_claim_needs_a_reason(client, community, unit):
    project = make_project(community)
    claim = _claim(project, unit, ClaimStatus.APPROVED)
    login(client, make_liaison(unit))
    path = f"/claims/{claim.id}/withdraw"
    assert "确认撤回认领" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": ""})
    assert response.status_code == 422
    db.session.refresh(claim)
    assert claim.status is ClaimStatus.APPROVED
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": "人手不足"})
    assert response.location == "/my/claims"
    db.session.refresh(claim)
    db.session.refresh(project)
    assert claim.status is ClaimStatus.WITHDRAWN and project.approved_count == 0


def test_withdrawing_returns_to_a_safe_next_page_only(client, community, unit):
    claim = _claim(make_project(community), unit)
    login(client, make_liaison(unit))
    path = f"/claims/{claim.id}/withdraw?next=https://evil.example/"
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": "改期"})
    assert response.location == "/my/claims"


def test_someone_else_cannot_withdraw_a_claim(client, community, unit):
    claim = _claim(make_project(community), unit)
    login(client, make_liaison(make_unit(community)))
    assert client.get(f"/claims/{claim.id}/withdraw").status_code == 403


def test_the_queue_shows_pending_and_stale_claims(client, community, unit):
    now = utcnow()
    make_project_kw = {
        "claim_deadline": now - timedelta(days=3),
        "starts_at": now - timedelta(days=1),
        "ends_at": now + timedelta(days=9),
    }
    late = make_project(community, title="逾期的项目", **make_project_kw)
    _claim(late, unit, ClaimStatus.APPROVED)
    _claim(make_project(community, title="待审的项目"), make_unit(community, name="鑫源超市"))
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}/claims").get_data(as_text=True)
    assert "待审的项目" in html and "鑫源超市" in html and "通过</button>" in html
    assert "逾期的项目" in html and "逾期未开展" in html and "释放</a>" in html
    counts = client.get(f"/communities/{community.id}/claims", headers=HTMX).get_data(as_text=True)
    assert "<html" not in counts and "<dd>1</dd>" in counts


def test_approving_in_the_queue_swaps_the_row_and_announces_it(client, community, unit):
    project = make_project(community)
    claim = _claim(project, unit)
    login(client, make_secretary(community))
    queue = f"/communities/{community.id}/claims"
    response = client.post(
        f"/claims/{claim.id}/approve",
        data={"csrf_token": csrf(client, queue), "next": queue, "show_project": "1"},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "claims-changed"
    assert response.headers["HX-Retarget"] == f"#claim-{claim.id}"
    assert f'<li id="claim-{claim.id}">' in html and "已认领" in html and project.title in html
    db.session.refresh(claim)
    assert claim.status is ClaimStatus.APPROVED


def test_approving_into_a_full_project_is_refused_in_the_row(client, community, unit):
    project = make_project(community, slots=1)
    _claim(project, make_unit(community), ClaimStatus.APPROVED)
    project.status = ProjectStatus.CLAIMED
    claim = _claim(project, unit)
    login(client, make_secretary(community))
    queue = f"/communities/{community.id}/claims"
    response = client.post(
        f"/claims/{claim.id}/approve", data={"csrf_token": csrf(client, queue)}, headers=HTMX
    )
    assert response.status_code == 409 and "名额已满" in response.get_data(as_text=True)
    db.session.refresh(claim)
    assert claim.status is ClaimStatus.PENDING


def test_releasing_a_claim_needs_a_reason(client, community, unit):
    project = make_project(community)
    claim = _claim(project, unit, ClaimStatus.APPROVED)
    login(client, make_secretary(community))
    queue = f"/communities/{community.id}/claims"
    path = f"/claims/{claim.id}/release?next={queue}"
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": "x"})
    assert response.status_code == 422 and "长度应为 2–500 个字" in response.get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": "逾期未开展"})
    assert response.location == queue
    db.session.refresh(claim)
    assert claim.status is ClaimStatus.RELEASED and claim.decision_reason == "逾期未开展"


def test_rejecting_a_claim_shows_the_reason_to_the_unit(client, community, unit):
    claim = _claim(make_project(community), unit)
    login(client, make_secretary(community))
    path = f"/claims/{claim.id}/reject"
    client.post(path, data={"csrf_token": csrf(client, path), "reason": "已有单位承担"})
    login(client, make_liaison(unit))
    html = client.get("/my/claims").get_data(as_text=True)
    assert "未通过" in html and "已有单位承担" in html


def _order(project, resource) -> ResourceOrder:
    order = ResourceOrder(
        project=project, resource=resource, unit_id=resource.unit_id, note="周六上午"
    )
    db.session.add(order)
    db.session.flush()
    return order


def test_liaison_accepts_an_order_and_so_claims(client, community, unit):
    project = make_project(community, title="社区义诊")
    order = _order(project, make_resource(unit, community, title="医护志愿者"))
    login(client, make_liaison(unit))
    html = client.get("/orders").get_data(as_text=True)
    assert "社区义诊" in html and "医护志愿者" in html and "接单" in html and "婉拒" in html
    assert "社区点单 <span" in client.get("/my/claims").get_data(as_text=True)
    response = client.post(
        f"/orders/{order.id}/accept", data={"csrf_token": csrf(client, "/orders")}
    )
    assert response.location == "/orders"
    db.session.refresh(order)
    assert order.status is OrderStatus.ACCEPTED and order.claim.status is ClaimStatus.APPROVED


def test_an_order_accepted_after_claiming_joins_the_claim(client, community, unit):
    project = make_project(community, title="社区义诊")
    order = _order(project, make_resource(unit, community, title="医护志愿者"))
    own = _claim(project, unit)
    login(client, make_liaison(unit))
    response = client.post(
        f"/orders/{order.id}/accept", data={"csrf_token": csrf(client, "/orders")}
    )
    assert response.location == "/orders"
    html = client.get("/orders").get_data(as_text=True)
    assert "“医护志愿者”已加入贵单位对“社区义诊”的认领" in html and "已接单" in html
    db.session.refresh(order)
    assert order.status is OrderStatus.ACCEPTED and order.claim_id == own.id
    assert [r.title for r in own.resources] == ["医护志愿者"] and _claims() == [own]


def test_the_secretary_is_told_the_unit_claimed_instead_of_ordering(client, community, unit):
    project = make_project(community)
    _claim(project, unit, status=ClaimStatus.APPROVED)
    resource = make_resource(unit, community, title="保洁工具")
    login(client, make_secretary(community))
    path = f"/projects/{project.id}"
    response = client.post(
        f"{path}/orders", data={"csrf_token": csrf(client, path), "resource_id": resource.id}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "“康达物业”已于" in html and "不能再向其点单" in html and "保洁工具" in html
    assert db.session.scalar(sa.select(ResourceOrder)) is None


def test_declining_an_order_needs_a_reason(client, community, unit):
    order = _order(make_project(community), make_resource(unit, community))
    login(client, make_liaison(unit))
    path = f"/orders/{order.id}/decline"
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": ""})
    assert response.status_code == 422
    db.session.refresh(order)
    assert order.status is OrderStatus.REQUESTED
    client.post(path, data={"csrf_token": csrf(client, path), "reason": "本月人手紧张"})
    db.session.refresh(order)
    assert order.status is OrderStatus.DECLINED and order.reply == "本月人手紧张"


def test_an_order_that_cannot_be_accepted_is_explained(client, community):
    unit = make_unit(community, live=False)
    order = _order(make_project(community), make_resource(unit, community))
    login(client, make_liaison(unit))
    response = client.post(
        f"/orders/{order.id}/accept", data={"csrf_token": csrf(client, "/orders")}
    )
    assert response.status_code == 409
    assert "没有生效中的《共驻共建协议书》" in response.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status is OrderStatus.REQUESTED


def _fill(community, unit, n: int) -> None:
    for _ in range(n):
        project = make_project(community)
        _claim(project, unit)
        _claim(project, make_unit(community))


@pytest.mark.parametrize("who", ["secretary", "liaison"])
def test_claim_lists_queries_do_not_grow_with_claims(client, community, unit, count_queries, who):
    if who == "secretary":
        login(client, make_secretary(community))
        paths = [f"/communities/{community.id}/claims"]
    else:
        login(client, make_liaison(unit))
        paths = ["/my/claims", f"/communities/{community.id}/menu"]
    _fill(community, unit, 2)
    with count_queries() as few:
        for path in paths:
            assert client.get(path).status_code == 200
    _fill(community, unit, 6)
    with count_queries() as many:
        for path in paths:
            client.get(path)
    assert many.n == few.n


def test_the_review_page_pages_each_list_and_puts_stale_claims_first(client, community, unit):
    from coop.claims.views import QUEUE_PAGE

    pending = [_claim(make_project(community), unit) for _ in range(QUEUE_PAGE + 1)]
    fresh = _claim(make_project(community), unit, ClaimStatus.APPROVED)
    now = utcnow()
    late = make_project(
        community, starts_at=now - timedelta(days=1), claim_deadline=now - timedelta(days=2)
    )
    stale = _claim(late, unit, ClaimStatus.APPROVED)
    login(client, make_secretary(community))
    url = f"/communities/{community.id}/claims"

    html = client.get(url).get_data(as_text=True)
    figures = re.findall(r"<dd>(\d+)</dd>", html)
    assert figures[:3] == [str(QUEUE_PAGE + 1), "2", "1"]
    assert html.count('<li id="claim-') == QUEUE_PAGE + 2
    assert "pending_page=2&amp;approved_page=1#pending" in html and "第 1 / 2 页" in html
    assert html.index(f'id="claim-{stale.id}"') < html.index(f'id="claim-{fresh.id}"')

    second = client.get(f"{url}?pending_page=2").get_data(as_text=True)
    assert f'id="claim-{pending[0].id}"' in second  # newest first: the first made is last
    assert second.count('<li id="claim-') == 1 + 2

    counts = client.get(url, headers=HTMX).get_data(as_text=True)
    assert "<dd>" in counts and "claim-" not in counts  # the figures only


@pytest.mark.parametrize("bad", ["pending_page=0", "approved_page=x", "pending_page=-3"])
def test_a_bad_page_number_on_the_review_page_is_refused(client, community, bad):
    login(client, make_secretary(community))
    response = client.get(f"/communities/{community.id}/claims?{bad}")
    assert response.status_code == 422

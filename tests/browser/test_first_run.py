"""From an empty database: the street admin sets up Coop, creates a community with two
neighbourhoods and appoints its secretary, who sets her own password with the invitation code
and lands signed in. On a phone and on a desktop; axe checks the new pages."""

import re
import threading

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from coop.extensions import db
from tests.browser.pages import fits_the_phone, nav, shot
from tests.conftest import _database_url, make_app

pytestmark = pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)

ADMIN_PASSWORD = "qingshan-street-2026"
SECRETARY_PASSWORD = "chunhua-secretary-7"


@pytest.fixture
def empty_server(tmp_path, viewport):
    """A server on a freshly migrated database with nothing in it: no street, no demo."""
    app = make_app(_database_url(f"firstrun_{viewport}", tmp_path))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="coop-empty-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def browser_context_args(empty_server):
    """This module's pages come from the empty server, not the demo's."""
    return {"base_url": empty_server, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def field(page: Page, label: str):
    """The input labelled ``label`` (a required field's label ends in a hidden asterisk)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*\*?$"))


def test_a_street_sets_up_coop_from_nothing_and_its_secretary_signs_in(
    page: Page, new_context, viewport, axe
):
    # Every page leads to the set-up on an empty database.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("初始设置")
    axe(page)
    fits_the_phone(page)
    shot(page, f"first-run-{viewport}")

    field(page, "街道名称").fill("青山路街道")
    field(page, "姓名").fill("赵街道")
    field(page, "登录用户名").fill("zhaojd")
    field(page, "手机号").fill("13912345678")
    field(page, "密码").fill(ADMIN_PASSWORD)
    field(page, "再次输入密码").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="建立街道并登录").click()

    expect(page).to_have_url(re.compile(r"/communities$"))
    expect(page.get_by_role("status").filter(has_text="街道已建立")).to_be_visible()
    expect(nav(page, "社区设置")).to_be_visible()

    # A community, with its alliance.
    page.get_by_role("link", name="新建社区").first.click()
    axe(page)
    field(page, "社区名称").fill("春华社区")
    field(page, "地址").fill("春华路 1 号")
    page.get_by_role("button", name="建立社区").click()
    expect(page.get_by_role("status").filter(has_text="春华社区党建联盟")).to_be_visible()

    # Two neighbourhoods; the larger is short of 网格员.
    for name, households in (("东区", "320"), ("西区", "150")):
        page.get_by_role("link", name="添加邻里单元").click()
        field(page, "名称").fill(name)
        field(page, "户数").fill(households)
        page.get_by_role("button", name="添加", exact=True).click()
        expect(page.get_by_role("status").filter(has_text=name)).to_be_visible()
    expect(page.get_by_text("缺 3 名网格员")).to_be_visible()
    expect(page.get_by_text("缺 1 名网格员")).to_be_visible()

    # Her secretary: a new person, so an invitation code, shown this once.
    page.get_by_role("link", name="任命社区书记").click()
    axe(page)
    fits_the_phone(page)
    shot(page, f"appoint-secretary-{viewport}")
    field(page, "手机号").fill("13600000001")
    field(page, "姓名").fill("钱书记")
    field(page, "登录用户名").fill("qianshuji")
    page.get_by_role("button", name="任命", exact=True).click()
    card = page.get_by_role("status").filter(has_text="请把邀请码交给钱书记")
    expect(card).to_be_visible()
    expect(card.locator("svg")).to_be_visible()
    code = card.locator("[data-invitation-code]").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
    axe(page)
    fits_the_phone(page)
    shot(page, f"community-set-up-{viewport}")

    # The neighbourhood's page: she makes the secretary a 网格员 of 东区 too.
    page.get_by_role("link", name="东区").click()
    page.get_by_role("link", name="添加网格员").click()
    page.get_by_label("本社区人员").select_option(label="钱书记")
    axe(page)
    page.get_by_role("button", name="任命", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已任命钱书记为网格员")).to_be_visible()
    expect(page.get_by_text("缺 2 名网格员")).to_be_visible()
    axe(page)
    fits_the_phone(page)
    shot(page, f"neighbourhood-{viewport}")

    nav(page, "人员与职务").click()
    expect(page.get_by_text("钱书记（社区书记）")).to_be_visible()
    axe(page)
    fits_the_phone(page)
    shot(page, f"people-and-posts-{viewport}")

    # The secretary, on her own phone, sets her password with the code and is signed in.
    secretary = new_context(viewport=page.viewport_size).new_page()
    secretary.goto(f"/invite/{code}")
    expect(secretary.get_by_text("您的登录名是 qianshuji")).to_be_visible()
    field(secretary, "新密码").fill(SECRETARY_PASSWORD)
    field(secretary, "再次输入新密码").fill(SECRETARY_PASSWORD)
    secretary.get_by_role("button", name="设置密码并登录").click()
    expect(secretary.get_by_role("heading", level=1)).to_contain_text("待办")
    expect(secretary.get_by_role("main")).to_contain_text("春华社区")
    expect(nav(secretary, "需求清单")).to_be_visible()
    expect(nav(secretary, "社区设置")).to_have_count(0)

    # 六个一 from the menu: no term yet this half year, so she opens it now, the 联盟大会 on
    # the suggested day (a Saturday about two weeks ahead), and lands on the term's page.
    secretary.get_by_text("更多").click()
    nav(secretary, "六个一").click()
    expect(secretary.get_by_text("本社区的联盟还没有任期")).to_be_visible()
    day = secretary.get_by_label(re.compile(r"^联盟大会日期")).input_value()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day), day
    axe(secretary)
    fits_the_phone(secretary)
    shot(secretary, f"first-term-{viewport}")
    secretary.get_by_role("button", name="开启本届任期").click()
    expect(secretary.get_by_role("status").filter(has_text=f"联盟大会定于 {day}")).to_be_visible()
    expect(secretary.get_by_role("heading", level=1)).to_contain_text("春华社区")
    expect(secretary.get_by_text("待联盟大会推选")).to_be_visible()

    # The code worked once; the set-up page is gone.
    page.goto(f"/invite/{code}")
    expect(page.get_by_text("邀请码不正确或已失效")).to_be_visible()
    assert page.goto("/setup").status == 404

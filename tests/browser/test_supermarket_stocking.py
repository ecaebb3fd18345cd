"""Stocking the 积分超市 on a phone: the secretary adds an item with a photo from her phone, sees
it on the list with its thumbnail, restocks it in place (htmx, no reload) and takes it off the
shelf after confirming. axe checks every page; the list and the form are photographed at phone
size (set SCREENSHOT_DIR to keep the pictures).
"""

import os
import re
import uuid
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

ITEM_URL = re.compile(r"/supermarket/items#item-(\d+)$")


def photo(path: Path) -> Path:
    """A 1200 × 900 PNG, as a phone camera would give, bigger than the 800 px kept."""
    image = Image.new("RGB", (1200, 900), (250, 240, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((300, 150, 900, 750), fill=(163, 21, 21))
    draw.ellipse((450, 300, 750, 600), fill=(255, 255, 255))
    image.save(path, "PNG")
    return path


def screenshot(page: Page, tmp_path: Path, name: str, *, full_page: bool = False) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"{name}.png", full_page=full_page)


def test_the_secretary_stocks_restocks_and_delists_an_item_on_her_phone(
    page: Page, login, axe, xingwang_id, tmp_path
):
    name = f"浏览器洗衣液-{uuid.uuid4().hex[:6]}"
    login(page, "secretary")
    page.goto(f"/communities/{xingwang_id}/supermarket/items")
    expect(page.get_by_role("heading", level=1)).to_contain_text("积分超市 · 物品管理")
    axe(page)

    # --- 新增物品, with a photo ------------------------------------------------------------
    page.get_by_role("link", name="新增物品").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("新增物品")
    expect(page.get_by_text("不超过 5 MB")).to_be_visible()
    page.get_by_label("物品名称").fill(name)
    page.get_by_label("说明（可不填）").fill("2 kg 装，每户每月限领一桶。")
    page.get_by_label("所需积分").fill("120")
    page.get_by_label("库存（件）").fill("8")
    page.get_by_label("每人每月限兑（件）").fill("1")
    page.get_by_label("低库存提醒（件）").fill("3")
    page.get_by_label("图片（可不选）").set_input_files(photo(tmp_path / "soap.png"))
    axe(page)
    screenshot(page, tmp_path, "supermarket-new-item-phone", full_page=True)
    page.get_by_role("button", name="上架").click()

    expect(page).to_have_url(ITEM_URL)
    item_id = int(ITEM_URL.search(page.url).group(1))
    expect(page.get_by_role("status").filter(has_text="已上架")).to_contain_text(name)
    row = page.locator(f"#item-{item_id}")
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("在架")
    expect(row.locator(".stock")).to_have_text("8")
    thumb = row.locator("img.thumb")
    expect(thumb).to_be_visible()
    expect(thumb).to_have_attribute("src", re.compile(rf"/rewards/{item_id}/picture\?v="))
    # The picture really loads (it may still be on its way when the row shows): times out if not.
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle(), timeout=10_000
    )
    axe(page)
    page.evaluate("window.__sameDocument = true")  # gone if the page is reloaded

    # --- 补货: in place, no reload ------------------------------------------------------------
    row.get_by_text("补货", exact=True).click()
    row.get_by_label("数量").fill("5")
    with page.expect_response(re.compile(rf"/supermarket/items/{item_id}/restock$")) as answer:
        row.get_by_role("button", name="提交", exact=True).click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(row.get_by_role("status")).to_have_text("已补货 5 件，现有库存 13 件。")
    expect(row.locator(".stock")).to_have_text("13")
    row.scroll_into_view_if_needed()
    screenshot(page, tmp_path, "supermarket-item-restocked-phone")

    # 报损 past the stock is refused beside the row, and the stock stays.
    row.get_by_text("补货", exact=True).click()
    row.get_by_label("数量").fill("-20")
    row.get_by_role("button", name="提交", exact=True).click()
    expect(row.get_by_role("alert")).to_contain_text("库存只有 13 件，不能减少 20 件。")
    expect(row.locator(".stock")).to_have_text("13")
    axe(page)

    # --- 下架, after confirming ----------------------------------------------------------------
    row.get_by_text("下架", exact=True).click()
    expect(row.get_by_text("已预约的仍可凭领取码领取")).to_be_visible()
    with page.expect_response(re.compile(rf"/supermarket/items/{item_id}/delist$")):
        row.get_by_role("button", name="确认下架").click()
    expect(row.get_by_role("status")).to_contain_text(f"已下架“{name}”")
    expect(row.locator(".badge").first).to_have_text("已下架")
    expect(row.get_by_role("button", name="重新上架")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
    axe(page)

    # The list as she comes back to it, filtered to what is on the shelf no more.
    page.goto(f"/communities/{xingwang_id}/supermarket/items?status=off_shelf")
    expect(page.locator(f"#item-{item_id}")).to_contain_text("已下架")
    screenshot(page, tmp_path, "supermarket-items-off-shelf-phone")
    page.goto(f"/communities/{xingwang_id}/supermarket/items")
    screenshot(page, tmp_path, "supermarket-items-phone")
    axe(page)

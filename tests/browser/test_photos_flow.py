"""Activity photos on a phone: the secretary adds a photo to an activity from her phone and sees
it on the activity's page, its caption as its alt text; then deletes it after confirming."""

from pathlib import Path

import sqlalchemy as sa
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from coop.activities.models import Activity
from tests.browser.pages import fits_the_phone, shot


def photo(path: Path) -> Path:
    image = Image.new("RGB", (2000, 1500), (250, 240, 230))
    ImageDraw.Draw(image).rectangle((500, 300, 1500, 1200), fill=(163, 21, 21))
    image.save(path, "JPEG")
    return path


def test_the_secretary_adds_a_photo_to_an_activity_on_her_phone_and_sees_it(
    page: Page, login, axe, live_db, xingwang_id, tmp_path
):
    with live_db() as session:
        activity_id = session.scalar(
            sa.select(Activity.id)
            .where(Activity.community_id == xingwang_id)
            .order_by(Activity.id)
            .limit(1)
        )
    login(page, "secretary")
    page.goto(f"/activities/{activity_id}")
    page.get_by_role("link", name="添加照片").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("活动照片")
    page.get_by_label("照片", exact=False).first.set_input_files(photo(tmp_path / "a.jpg"))
    page.get_by_label("照片说明（可不填）").fill("志愿者为老人理发")
    axe(page)
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_role("status").filter(has_text="照片已添加")).to_be_visible()

    page.goto(f"/activities/{activity_id}")
    shown = page.locator("#photos").get_by_role("img", name="志愿者为老人理发")
    expect(shown).to_be_visible()
    assert page.evaluate(
        "img => img.complete && img.naturalWidth > 0", shown.element_handle()
    )  # the JPEG loaded
    fits_the_phone(page)
    axe(page)
    shot(page, "activity-photos-phone")

    page.goto(f"/activities/{activity_id}/photos")
    page.locator("#photos").get_by_role("link", name="删除").first.click()
    page.get_by_role("button", name="确认删除").click()
    expect(page.get_by_role("status").filter(has_text="照片已删除")).to_be_visible()

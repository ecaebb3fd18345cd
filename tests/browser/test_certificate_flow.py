"""志愿服务记录证明 on a phone: the volunteer opens 我的 → 服务证明, issues her certificate and,
once the queue has made its PDF, downloads it, and the public page behind its QR (the address printed under it) says it is genuine,
signed out, showing her name masked."""

import re
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.auth.models import Role, RoleGrant, User
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.timeutil import local_today
from tests.browser.pages import fits_the_phone, shot
from tests.documents.helpers import pdf_text


def _give_verified_hours(live_db, xingwang_id) -> str:
    """The demo volunteer gets one more verified record, so she has hours to certify."""
    with live_db() as session:
        volunteer = session.scalar(sa.select(User).where(User.username == "volunteer"))
        verifier = session.scalar(
            sa.select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.SECRETARY, RoleGrant.community_id == xingwang_id)
            .order_by(User.id)
            .limit(1)
        )
        session.add(
            ServiceRecord(
                community_id=xingwang_id,
                volunteer_id=volunteer.id,
                service_date=local_today() - timedelta(days=2),
                hours=Decimal("1.5"),
                origin=RecordOrigin.CHECKIN,
                status=RecordStatus.VERIFIED,
                verified_by_id=verifier.id,
            )
        )
        return volunteer.display_name


def test_a_volunteer_downloads_her_certificate_and_its_qr_page_says_genuine(
    page: Page, new_context, login, axe, live_db, xingwang_id, tmp_path
):
    name = _give_verified_hours(live_db, xingwang_id)
    login(page, "volunteer")
    page.goto("/me")
    expect(page.locator("#hours-totals")).to_contain_text("已核实服务时长")
    page.get_by_role("link", name="服务证明").click()
    expect(page.get_by_role("heading", name="志愿服务记录证明")).to_be_visible()
    page.get_by_role("button", name="出具新的证明").click()
    expect(page.get_by_role("status").filter(has_text="已出具证明")).to_be_visible()
    fits_the_phone(page)
    axe(page)
    shot(page, "certificate-mine-phone")

    # The queue makes the PDF after the issue commits; the card offers it once it is ready.
    download_link = page.get_by_role("link", name=re.compile("下载PDF")).first
    expect(download_link).to_be_visible()
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert re.fullmatch(r"XW-\d{4}-\d{6}\.pdf", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = pdf_text(saved.read_bytes())
    assert name in text
    number = download.suggested_filename.removesuffix(".pdf")
    assert number in text
    check_url = re.search(r"(http://\S+/certificates/check/[\w-]+)", text.replace("\n", ""))[1]

    stranger = new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    stranger.goto(check_url)
    expect(stranger.locator("#verdict")).to_have_text("真实有效")
    expect(stranger.get_by_text(number)).to_be_visible()
    assert name not in stranger.content()  # masked: 陈*英
    expect(stranger.get_by_text(name[0] + "*" * (len(name) - 2) + name[-1])).to_be_visible()
    fits_the_phone(stranger)
    axe(stranger)
    shot(stranger, "certificate-check-phone")

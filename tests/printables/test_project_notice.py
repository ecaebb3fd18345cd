"""项目清单公示: the published projects as an A4 notice; drafts and cancelled ones stay off."""

import io

import pytest
from pypdf import PdfReader

from coop.projects.models import ProjectStatus
from tests.factories import (
    bearer,
    login,
    make_community,
    make_project,
    make_secretary,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community(name="兴旺社区")


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_notice_lists_the_public_projects_only(client, community):
    make_project(community, title="红色观影进社区")
    make_project(community, title="为老助餐", status=ProjectStatus.IN_PROGRESS)
    make_project(community, title="草稿项目", status=ProjectStatus.DRAFT)
    make_project(community, title="已取消项目", status=ProjectStatus.CANCELLED)
    response = client.get(
        f"/api/v1/communities/{community.id}/projects/notice.pdf",
        headers=bearer(make_secretary(community)),
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    assert "兴旺社区服务项目清单公示" in text
    assert "红色观影进社区" in text and "为老助餐" in text
    assert "草稿项目" not in text and "已取消项目" not in text


def test_staff_find_the_notice_on_the_project_list(client, community):
    secretary = make_secretary(community)
    make_project(community, title="便民理发")
    login(client, secretary)
    page = client.get(f"/communities/{community.id}/projects").get_data(as_text=True)
    assert f"/communities/{community.id}/projects/notice.pdf" in page
    assert "便民理发" in _text(client.get(f"/communities/{community.id}/projects/notice.pdf").data)


def test_a_volunteer_cannot_print_it_and_another_community_does_not_find_it(client, community):
    url = f"/api/v1/communities/{community.id}/projects/notice.pdf"
    assert client.get(url, headers=bearer(make_volunteer(community))).status_code == 403
    stranger = make_secretary(make_community())
    assert client.get(url, headers=bearer(stranger)).status_code == 404

"""Editing a project within the rules of its state, and telling its claimants and volunteers."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from coop.activities import service as activities
from coop.categories import Category
from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid, NotFound, VersionConflict
from coop.extensions import db
from coop.needs.models import NeedStatus
from coop.notices.models import Notice
from coop.projects import service
from coop.projects.errors import ProjectNotEditable
from coop.projects.models import Project, ProjectStatus
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    bearer,
    csrf,
    login,
    make_activity,
    make_community,
    make_liaison,
    make_need,
    make_project,
    make_resident,
    make_secretary,
    make_unit,
    make_volunteer,
)

S = ProjectStatus
NOW = utcnow()
# 2030-12-08 09:00 to 2030-12-20 17:00 in Beijing, claimable until 12-01 18:00.
STARTS = datetime(2030, 12, 8, 1, 0, tzinfo=UTC)
ENDS = datetime(2030, 12, 20, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2030, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def project_of(community, **overrides) -> Project:
    return make_project(
        community, starts_at=STARTS, ends_at=ENDS, claim_deadline=DEADLINE, **overrides
    )


def claim(project, *, unit=None, volunteer=None, status=ClaimStatus.APPROVED) -> Claim:
    kind = ClaimantType.UNIT if unit else ClaimantType.VOLUNTEER
    made = Claim(
        project=project,
        claimant_type=kind,
        unit_id=unit.id if unit else None,
        volunteer_id=volunteer.id if volunteer else None,
        claimant_key=f"unit:{unit.id}" if unit else f"volunteer:{volunteer.id}",
        status=status,
    )
    db.session.add(made)
    if status is ClaimStatus.APPROVED:
        project.approved_count += 1
    db.session.flush()
    return made


def notices_of(user) -> list[Notice]:
    return list(db.session.scalars(sa.select(Notice).where(Notice.user_id == user.id)))


def _stored(project_id: int) -> Project:
    db.session.expire_all()
    return db.session.get(Project, project_id)


# --- The rules (service) -------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.DRAFT, S.PUBLISHED, S.CLAIMED])
def test_a_project_is_edited_until_work_begins(community, secretary, status):
    project = project_of(community, status=status, slots=2, approved_count=0)
    edited = service.edit_project(
        secretary,
        project.id,
        version=1,
        now=NOW,
        title="银龄助餐（第二期）",
        schedule="每周三上午",
        starts_at=STARTS + timedelta(days=1),
        claim_deadline=DEADLINE + timedelta(days=1),
        volunteer_capacity=12,
    )
    assert edited.title == "银龄助餐（第二期）" and edited.schedule == "每周三上午"
    assert edited.starts_at == STARTS + timedelta(days=1) and edited.volunteer_capacity == 12
    assert edited.version == 2


@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.COMPLETED, S.EVALUATED, S.CANCELLED])
def test_a_project_past_claiming_changes_nothing(community, secretary, status):
    project = project_of(community, status=status, title="原名")
    with pytest.raises(ProjectNotEditable) as refused:
        service.edit_project(secretary, project.id, version=1, now=NOW, title="新名")
    assert refused.value.status == 409
    assert refused.value.message == f"项目当前为“{status.label}”，不能再修改。"
    assert _stored(project.id).title == "原名"


@pytest.mark.parametrize(
    "change",
    [{"category": Category.POLICY}, {"auto_approve": True}, {"need_ids": []}],
    ids=["category", "auto_approve", "need_ids"],
)
def test_a_published_project_keeps_what_claimants_chose_it_for(community, secretary, change):
    project = project_of(community)
    with pytest.raises(ProjectNotEditable):
        service.edit_project(secretary, project.id, version=1, now=NOW, **change)


def test_a_draft_changes_its_needs(community, secretary):
    old, new = make_need(community, status=NeedStatus.LISTED), make_need(community)
    project = project_of(community, status=S.DRAFT, needs=[old])
    service.edit_project(secretary, project.id, version=1, now=NOW, need_ids=[new.id])
    assert [n.id for n in project.needs] == [new.id] and project.version == 2
    assert old.status is NeedStatus.LISTED and new.status is NeedStatus.IN_PROJECT


def test_slots_never_drop_below_the_approved_claims_naming_the_number(community, secretary):
    project = project_of(community, slots=3)
    for _ in range(2):
        claim(project, unit=make_unit(community))
    with pytest.raises(Invalid) as refused:
        service.edit_project(secretary, project.id, version=project.version, now=NOW, slots=1)
    assert refused.value.errors == {"slots": ["名额不能少于已通过的认领数（2 个）。"]}
    assert _stored(project.id).slots == 3


def test_the_schedule_never_leaves_a_session_after_its_end(community, secretary):
    project = project_of(community)
    make_activity(community, project_id=project.id, starts_at=STARTS + timedelta(days=2))
    with pytest.raises(Invalid) as refused:
        service.edit_project(
            secretary, project.id, version=1, now=NOW, ends_at=ENDS - timedelta(days=11)
        )
    assert list(refused.value.errors) == ["ends_at"]
    assert "2030-12-10" in refused.value.errors["ends_at"][0]
    assert _stored(project.id).version == 1


def test_a_later_start_keeps_an_early_kick_off_as_scheduling_does(community, secretary):
    project = project_of(community)
    make_activity(community, project_id=project.id, starts_at=STARTS)
    service.edit_project(
        secretary, project.id, version=1, now=NOW, starts_at=STARTS + timedelta(days=5)
    )


def test_a_cancelled_session_does_not_hold_the_schedule(community, secretary):
    project = project_of(community)
    activity = make_activity(community, project_id=project.id, starts_at=STARTS)
    activities.cancel_activity(secretary, activity.id, reason="场地冲突")
    service.edit_project(
        secretary, project.id, version=1, now=NOW, ends_at=STARTS + timedelta(hours=2)
    )


@pytest.mark.parametrize(
    "change, field",
    [
        ({"claim_deadline": STARTS + timedelta(hours=1)}, "claim_deadline"),
        ({"ends_at": STARTS - timedelta(hours=1)}, "ends_at"),
        ({"claim_deadline": NOW - timedelta(hours=1)}, "claim_deadline"),
    ],
    ids=["deadline_after_start", "ends_before_start", "deadline_passed"],
)
def test_the_dates_follow_the_rules_of_creation(community, secretary, change, field):
    project = project_of(community)
    with pytest.raises(Invalid) as refused:
        service.edit_project(secretary, project.id, version=1, now=NOW, **change)
    assert field in refused.value.errors


def test_a_draft_dated_wrongly_is_corrected_and_published(community, secretary):
    project = make_project(
        community,
        status=S.DRAFT,
        claim_deadline=NOW - timedelta(hours=1),
        starts_at=NOW + timedelta(days=1),
    )
    with pytest.raises(Invalid):
        service.publish_project(secretary, project.id, now=NOW)
    service.edit_project(
        secretary, project.id, version=1, now=NOW, claim_deadline=NOW + timedelta(hours=12)
    )
    assert service.publish_project(secretary, project.id, now=NOW).status is S.PUBLISHED


def test_more_slots_reopen_a_claimed_project(community, secretary):
    project = project_of(community, status=S.CLAIMED, slots=1)
    claim(project, unit=make_unit(community))
    service.edit_project(secretary, project.id, version=project.version, now=NOW, slots=2)
    assert project.status is S.PUBLISHED and project.free_slots == 1


def test_a_stale_version_changes_nothing(community, secretary):
    project = project_of(community, title="原名")
    service.edit_project(secretary, project.id, version=1, now=NOW, slots=3)
    with pytest.raises(VersionConflict):
        service.edit_project(secretary, project.id, version=1, now=NOW, title="晚到的")
    assert (_stored(project.id).title, _stored(project.id).version) == ("原名", 2)


def test_only_the_communitys_secretary_edits(community):
    project = project_of(community)
    with pytest.raises(Forbidden):
        service.edit_project(
            make_liaison(make_unit(community)), project.id, version=1, now=NOW, title="x"
        )
    with pytest.raises(NotFound):
        service.edit_project(
            make_secretary(make_community()), project.id, version=1, now=NOW, title="x"
        )


# --- Who is told ---------------------------------------------------------------------------


def test_claimants_are_told_what_changed_in_words(community, secretary):
    project = project_of(community, title="银龄助餐")
    unit = make_unit(community)
    liaisons = [make_liaison(unit), make_liaison(unit)]
    claim(project, unit=unit)
    pending = make_volunteer(community)
    claim(project, volunteer=pending, status=ClaimStatus.PENDING)
    gone = make_volunteer(community)
    claim(project, volunteer=gone, status=ClaimStatus.WITHDRAWN)
    service.edit_project(
        secretary,
        project.id,
        version=project.version,
        now=NOW,
        starts_at=datetime(2030, 12, 9, 6, 0, tzinfo=UTC),
        claim_deadline=datetime(2030, 12, 2, 10, 0, tzinfo=UTC),
        slots=3,
    )
    for person in (*liaisons, pending):
        [notice] = notices_of(person)
        assert notice.title == "项目“银龄助餐”有变更"
        assert notice.body == (
            "时间：12月8日 09:00 – 12月20日 17:00 → 12月9日 14:00 – 12月20日 17:00；"
            "认领截止：12月1日 18:00 → 12月2日 18:00；认领名额：2 → 3"
        )
        assert notice.link == f"/projects/{project.id}"
    assert notices_of(gone) == []


def test_volunteers_of_its_coming_sessions_are_told_of_a_new_schedule(community, secretary):
    project = project_of(community, title="银龄助餐")
    session = make_activity(community, project_id=project.id, starts_at=STARTS + timedelta(days=1))
    volunteer, claimant = make_volunteer(community), make_volunteer(community)
    claim(project, volunteer=claimant)
    for person in (volunteer, claimant):
        activities.sign_up(person, session.id, now=NOW)
    service.edit_project(
        secretary,
        project.id,
        version=project.version,
        now=NOW,
        ends_at=ENDS + timedelta(days=1),
        slots=3,
    )
    [told] = notices_of(volunteer)
    assert told.body == "时间：12月8日 09:00 – 12月20日 17:00 → 12月8日 09:00 – 12月21日 17:00"
    [both] = notices_of(claimant)  # one notice, the claimant's, though she is signed up too
    assert "认领名额：2 → 3" in both.body


def test_volunteers_are_not_told_of_changes_outside_the_schedule(community, secretary):
    project = project_of(community)
    session = make_activity(community, project_id=project.id, starts_at=STARTS + timedelta(days=1))
    volunteer = make_volunteer(community)
    activities.sign_up(volunteer, session.id, now=NOW)
    service.edit_project(secretary, project.id, version=1, now=NOW, slots=3, title="新名字")
    assert notices_of(volunteer) == []


def test_nobody_is_told_when_nothing_changed(community, secretary):
    project = project_of(community, title="银龄助餐")
    volunteer = make_volunteer(community)
    claim(project, volunteer=volunteer)
    version = project.version
    service.edit_project(
        secretary, project.id, version=version, now=NOW, title="银龄助餐", starts_at=STARTS
    )
    assert notices_of(volunteer) == [] and _stored(project.id).version == version


# --- PATCH /api/v1/projects/{id} -----------------------------------------------------------


def test_patch_answers_the_project_with_its_new_version(client, community, secretary):
    project = project_of(community, title="原名")
    response = client.patch(
        f"/api/v1/projects/{project.id}",
        json={"title": "新名", "version": 1},
        headers=bearer(secretary),
    )
    assert response.status_code == 200
    assert response.json["title"] == "新名" and response.json["version"] == 2
    assert response.json["slots"] == 2  # what was not sent stays


def test_patch_with_a_stale_version_is_409_and_changes_nothing(client, community, secretary):
    project = project_of(community, title="原名")
    path, headers = f"/api/v1/projects/{project.id}", bearer(secretary)
    assert client.patch(path, json={"slots": 3, "version": 1}, headers=headers).status_code == 200
    response = client.patch(path, json={"title": "晚到的", "version": 1}, headers=headers)
    assert response.status_code == 409 and response.json["code"] == "version_conflict"
    assert (_stored(project.id).title, _stored(project.id).slots) == ("原名", 3)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"slots": 1, "version": 1}, "slots"),
        ({"ends_at": "2030-12-01T00:00", "version": 1}, "ends_at"),
        ({"claim_deadline": "2030-12-09T00:00", "version": 1}, "claim_deadline"),
        ({"title": "", "version": 1}, "title"),
        ({"title": "没有版本"}, "version"),
        ({"owner": "我", "version": 1}, "owner"),
    ],
)
def test_a_bad_patch_is_422_naming_the_field(client, community, secretary, body, field):
    project = project_of(community, slots=3)
    for _ in range(2):
        claim(project, unit=make_unit(community))
    version = project.version
    if "version" in body:
        body = {**body, "version": version}
    response = client.patch(f"/api/v1/projects/{project.id}", json=body, headers=bearer(secretary))
    assert response.status_code == 422 and field in response.json["errors"]
    assert _stored(project.id).version == version


@pytest.mark.parametrize(
    "who, status",
    [
        ("secretary", 200),
        ("liaison", 403),
        ("volunteer", 403),
        ("resident", 403),
        ("other_secretary", 404),
    ],
)
def test_who_may_patch_a_project(client, community, who, status):
    project = project_of(community, title="原名")
    actor = {
        "secretary": lambda: make_secretary(community),
        "liaison": lambda: make_liaison(make_unit(community)),
        "volunteer": lambda: make_volunteer(community),
        "resident": lambda: make_resident(community),
        "other_secretary": lambda: make_secretary(make_community()),
    }[who]()
    response = client.patch(
        f"/api/v1/projects/{project.id}",
        json={"title": "新名", "version": 1},
        headers=bearer(actor),
    )
    assert response.status_code == status
    assert (_stored(project.id).title == "新名") is (status == 200)


# --- The 编辑 page -------------------------------------------------------------------------


def _form(client, path, **overrides) -> dict:
    return {
        "csrf_token": csrf(client, path),
        "version": "1",
        "title": "银龄助餐",
        "slots": "2",
        "volunteer_capacity": "0",
        "starts_at": "2030-12-08T09:00",
        "ends_at": "2030-12-20T17:00",
        "claim_deadline": "2030-12-01T18:00",
        **overrides,
    }


def test_the_edit_page_is_filled_in_with_the_current_values(client, community, secretary):
    project = project_of(community, title="银龄助餐", schedule="每周三上午")
    login(client, secretary)
    html = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert 'value="银龄助餐"' in html and 'value="每周三上午"' in html
    assert 'value="2030-12-08T09:00"' in html and 'value="2030-12-01T18:00"' in html
    assert 'name="version" value="1"' in html
    assert 'name="mode"' not in html and 'name="need_ids"' not in html  # published


def test_a_drafts_edit_page_offers_its_own_needs(client, community, secretary):
    need = make_need(community, title="独居老人买菜")
    project = project_of(community, status=S.DRAFT, needs=[need])
    login(client, secretary)
    html = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert "独居老人买菜" in html and f'value="{need.id}" checked' in html


def test_saving_the_edit_page_changes_the_project(client, community, secretary):
    project = project_of(community, title="银龄助餐")
    login(client, secretary)
    path = f"/projects/{project.id}/edit"
    response = client.post(path, data=_form(client, path, starts_at="2030-12-09T14:00"))
    assert response.status_code == 302 and response.location == f"/projects/{project.id}"
    stored = _stored(project.id)
    assert stored.starts_at == datetime(2030, 12, 9, 6, 0, tzinfo=UTC) and stored.version == 2


def test_a_bad_edit_is_shown_again_with_the_messages(client, community, secretary):
    project = project_of(community)
    login(client, secretary)
    path = f"/projects/{project.id}/edit"
    response = client.post(path, data=_form(client, path, ends_at="2030-12-07T17:00"))
    assert response.status_code == 422
    assert "结束时间必须晚于开始时间" in response.get_data(as_text=True)
    assert _stored(project.id).version == 1


def test_a_stale_edit_is_shown_again_with_a_link_to_reload(client, community, secretary):
    project = project_of(community, title="银龄助餐")
    login(client, secretary)
    path = f"/projects/{project.id}/edit"
    form = _form(client, path, title="我的修改")
    service.edit_project(secretary, project.id, version=1, now=NOW, slots=3)
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "已被他人修改，请刷新后再改。" in html and f'href="{path}"' in html
    assert _stored(project.id).title == "银龄助餐"


def test_a_draft_dated_wrongly_is_edited_and_published_on_the_pages(client, community, secretary):
    project = make_project(
        community,
        status=S.DRAFT,
        claim_deadline=NOW - timedelta(hours=1),
        starts_at=NOW + timedelta(days=1),
    )
    login(client, secretary)
    detail = f"/projects/{project.id}"
    refused = client.post(f"{detail}/publish", data={"csrf_token": csrf(client, detail)})
    assert refused.status_code == 422
    assert f'href="{detail}/edit"' in refused.get_data(as_text=True)
    edit = f"{detail}/edit"
    form = _form(
        client,
        edit,
        title=project.title,
        category="关心关爱",
        mode="team",
        need_ids=[str(n.id) for n in project.needs],
        starts_at=(NOW + timedelta(days=2)).astimezone(COMMUNITY_TZ).strftime("%Y-%m-%dT%H:%M"),
        ends_at=(NOW + timedelta(days=30)).astimezone(COMMUNITY_TZ).strftime("%Y-%m-%dT%H:%M"),
        claim_deadline=(NOW + timedelta(days=1))
        .astimezone(COMMUNITY_TZ)
        .strftime("%Y-%m-%dT%H:%M"),
    )
    assert client.post(edit, data=form).status_code == 302
    published = client.post(f"{detail}/publish", data={"csrf_token": csrf(client, detail)})
    assert published.status_code == 302
    assert _stored(project.id).status is S.PUBLISHED


@pytest.mark.parametrize(
    "status, shown",
    [(S.DRAFT, True), (S.PUBLISHED, True), (S.CLAIMED, True), (S.IN_PROGRESS, False)],
)
def test_the_detail_offers_编辑_while_it_may_be_edited(client, community, secretary, status, shown):
    project = project_of(community, status=status)
    login(client, secretary)
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert (f'href="/projects/{project.id}/edit"' in html) is shown


def test_the_detail_offers_no_编辑_to_a_liaison(client, community):
    project = project_of(community)
    login(client, make_liaison(make_unit(community)))
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f"/projects/{project.id}/edit" not in html
    assert client.get(f"/projects/{project.id}/edit").status_code == 403

"""操作记录: which community a change belongs to, who reads it, and how it reads."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from coop import audit
from coop.activities.models import Signup, SignupStatus
from coop.alliance.models import Membership
from coop.audit import AuditLog
from coop.auditlog import describe, queries
from coop.auditlog.schemas import AuditArgs
from coop.categories import Category
from coop.claims import service as claims_service
from coop.claims.models import ClaimantType
from coop.dbtypes import utcnow
from coop.errors import Forbidden, NotFound
from coop.extensions import db
from coop.needs import service as needs_service
from coop.needs.models import Beneficiary, NeedSource
from coop.people.models import Team, TeamMember
from coop.schemas import load_form
from coop.timeutil import local_today
from coop.uow import unit_of_work
from tests.factories import (
    make_activity,
    make_community,
    make_liaison,
    make_project,
    make_secretary,
    make_street_admin,
    make_unit,
    make_volunteer,
)
from tests.statements import statements_sent


def _record_need(secretary, community, **fields):
    with unit_of_work(secretary):
        need = needs_service.record_need(
            secretary,
            community.id,
            **{
                "title": "独居老人助餐",
                "category": Category.CARE,
                "source": NeedSource.VISIT,
                "beneficiary_group": Beneficiary.ELDERLY,
                "requester_name": "刘桂兰",
                "requester_phone": "13812341234",
                **fields,
            },
        )
    return need


def _rows(table, object_id) -> list[AuditLog]:
    query = sa.select(AuditLog).where(
        AuditLog.object_type == table, AuditLog.object_id == str(object_id)
    )
    return list(db.session.scalars(query.order_by(AuditLog.id)))


def _entries(community, **filters):
    return queries.audit_entries(community.id, **filters)


# --- the community of each row ----------------------------------------------------------------


def test_a_row_with_a_community_column_carries_that_community(ctx):
    community = make_community()
    need = _record_need(make_secretary(community), community)
    assert [row.community_id for row in _rows("needs", need.id)] == [community.id]


def test_a_claim_takes_its_projects_community_and_a_team_member_her_teams(ctx):
    community = make_community()
    unit = make_unit(community)
    project = make_project(community)
    liaison = make_liaison(unit)
    with unit_of_work(liaison):
        claim = claims_service.claim_project(
            liaison, project.id, claimant=ClaimantType.UNIT, now=utcnow()
        )
    team = Team(community_id=community.id, name="红色先锋队")
    db.session.add(team)
    db.session.flush()
    db.session.add(TeamMember(team_id=team.id, user_id=make_volunteer(community).id))
    db.session.flush()
    assert {row.community_id for row in _rows("claims", claim.id)} == {community.id}
    [member_row] = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.object_type == "team_members")
    ).all()
    assert member_row.community_id == community.id


def test_a_parent_the_session_does_not_hold_is_read_once_per_flush_not_per_row(ctx):
    community = make_community()
    activity = make_activity(community)
    volunteers = [make_volunteer(community) for _ in range(6)]
    activity_id = activity.id
    db.session.expunge(activity)  # the listener must look the activity up itself

    with statements_sent(db.session.get_bind()) as statements:
        for volunteer in volunteers:
            db.session.add(
                Signup(
                    activity_id=activity_id,
                    volunteer_id=volunteer.id,
                    status=SignupStatus.CONFIRMED,
                )
            )
        db.session.flush()
    lookups = [
        s for s in statements if s.lstrip().upper().startswith("SELECT") and "activities" in s
    ]
    assert len(lookups) == 1
    rows = db.session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "signups")).all()
    assert len(rows) == 6 and {row.community_id for row in rows} == {community.id}


def test_a_reveal_row_written_by_the_service_gets_the_needs_community(ctx):
    community = make_community()
    secretary = make_secretary(community)
    need = _record_need(secretary, community)
    with unit_of_work(secretary):
        needs_service.reveal_requester(secretary, need.id, reason="上门服务需要联系")
    [reveal] = [row for row in _rows("needs", need.id) if row.action == "reveal"]
    assert reveal.community_id == community.id


def test_units_and_people_have_no_community_of_their_own(ctx):
    community = make_community()
    unit = make_unit(community)
    volunteer = make_volunteer(community)
    assert {row.community_id for row in _rows("units", unit.id)} == {None}
    assert {row.community_id for row in _rows("users", volunteer.id)} == {None}


# --- scope ------------------------------------------------------------------------------------


def test_another_communitys_rows_never_appear(ctx):
    street_community, other = make_community(), make_community()
    _record_need(make_secretary(other), other, title="别处的需求")
    mine = _record_need(make_secretary(street_community), street_community, title="本社区需求")
    labels = {entry.object_label for entry in _entries(street_community)}
    assert mine.title in labels and "别处的需求" not in labels


def test_a_unit_is_in_the_record_of_every_community_it_serves_and_no_other(ctx):
    first, second, third = make_community(), make_community(), make_community()
    unit = make_unit(first, name="康巴什区人民医院")
    db.session.add(Membership(unit_id=unit.id, community_id=second.id, joined_on=date(2024, 1, 1)))
    db.session.flush()
    for community, expected in ((first, True), (second, True), (third, False)):
        kinds = {(e.object_type, e.object_label) for e in _entries(community, kind="units")}
        assert (("units", "康巴什区人民医院") in kinds) is expected


def test_a_person_is_in_her_communitys_record_only(ctx):
    mine, other = make_community(), make_community()
    volunteer = make_volunteer(mine, display_name="王小红")
    stranger = make_volunteer(other, display_name="李外人")
    names = {e.object_label for e in _entries(mine, kind="users")}
    assert volunteer.display_name in names and stranger.display_name not in names


def test_the_street_admin_reads_her_streets_communities_only(ctx):
    community = make_community()
    admin = make_street_admin(community.street)
    assert queries.get_audited_community(admin, community.id) == community
    with pytest.raises(NotFound):
        queries.get_audited_community(admin, make_community().id)


@pytest.mark.parametrize(
    "who, error",
    [
        ("volunteer", Forbidden),
        ("liaison", Forbidden),
        ("other_secretary", NotFound),
        ("other_street_admin", NotFound),
    ],
)
def test_only_the_secretary_and_the_street_admin_read_the_record(ctx, who, error):
    community = make_community()
    people = {
        "volunteer": lambda: make_volunteer(community),
        "liaison": lambda: make_liaison(make_unit(community)),
        "other_secretary": lambda: make_secretary(make_community()),
        "other_street_admin": lambda: make_street_admin(make_community().street),
    }
    with pytest.raises(error):
        queries.get_audited_community(people[who](), community.id)


# --- in words ---------------------------------------------------------------------------------


def test_a_status_change_reads_in_chinese_labels(ctx):
    community = make_community()
    secretary = make_secretary(community, display_name="张书记")
    resident_need = _record_need(secretary, community)
    with unit_of_work(secretary):
        needs_service.edit_need(
            secretary, resident_need.id, version=resident_need.version, title="独居老人助餐（午餐）"
        )
    [entry] = [e for e in _entries(community, kind="needs") if e.action == "update"]
    assert entry.actor_name == "张书记"
    assert entry.object_kind == "需求" and entry.object_label == "独居老人助餐（午餐）"
    assert entry.link == f"/needs/{resident_need.id}"
    [title] = [c for c in entry.changes if c.field == "title"]
    assert (title.label, title.before, title.after) == (
        "标题",
        "独居老人助餐",
        "独居老人助餐（午餐）",
    )


def test_a_state_move_names_both_states(ctx):
    from coop.needs.models import NeedStatus

    community = make_community()
    secretary = make_secretary(community)
    need = _record_need(secretary, community)
    with unit_of_work(secretary):
        need.status = NeedStatus.SUBMITTED
    with unit_of_work(secretary):
        needs_service.list_need(secretary, need.id)
    entry = _entries(community, kind="needs")[0]
    [status] = [c for c in entry.changes if c.field == "status"]
    assert f"{status.label}：{status.before} → {status.after}" == "状态：待审核 → 已列入清单"


def test_a_change_without_an_actor_reads_as_the_system(ctx):
    community = make_community()
    make_activity(community, title="重阳节慰问")  # the factory writes outside a unit of work
    [entry] = _entries(community, kind="activities")
    assert entry.actor_name == "系统" and entry.action_label == "新建"
    assert {c.label for c in entry.changes} >= {"标题", "地点", "名额", "开始时间"}


def test_ids_read_as_the_names_they_point_at(ctx):
    community = make_community()
    secretary = make_secretary(community)
    need = _record_need(secretary, community)
    neighbourhood = community.neighbourhoods[1]
    with unit_of_work(secretary):
        needs_service.edit_need(
            secretary, need.id, version=need.version, neighbourhood_id=neighbourhood.id
        )
    [change] = [
        c for c in _entries(community, kind="needs")[0].changes if c.field == "neighbourhood_id"
    ]
    assert (change.label, change.before, change.after) == ("邻里单元", "（空）", neighbourhood.name)


def test_times_read_in_the_communitys_zone(ctx):
    community = make_community()
    activity = make_activity(community)
    with unit_of_work(make_secretary(community)):
        activity.starts_at = activity.starts_at.replace(hour=1, minute=30, second=0, microsecond=0)
    [change] = [
        c for c in _entries(community, kind="activities")[0].changes if c.field == "starts_at"
    ]
    assert change.after.endswith("09:30")  # 01:30 UTC is 09:30 in Asia/Shanghai


def test_every_audited_column_has_a_chinese_label_and_every_table_a_kind(app):
    missing = []
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        if not getattr(cls, "__audit__", True):
            continue
        table = mapper.local_table.name
        if table not in describe.KINDS:
            missing.append(table)
        excluded = getattr(cls, "__audit_exclude__", ())
        for column in mapper.column_attrs:
            if column.key in excluded or not describe.shown(table, column.key):
                continue
            if describe.field_label(table, column.key) == column.key:
                missing.append(f"{table}.{column.key}")
    assert missing == []


# --- filters ----------------------------------------------------------------------------------


def test_filters_narrow_by_person_kind_and_days(ctx):
    community = make_community()
    first, second = make_secretary(community), make_secretary(community)
    need = _record_need(first, community)
    with unit_of_work(second):
        needs_service.edit_need(second, need.id, version=need.version, title="改过的标题")
    by_second = _entries(community, actor_id=second.id)
    assert {e.actor_id for e in by_second} == {second.id} and len(by_second) == 1
    assert {e.object_type for e in _entries(community, kind="needs")} == {"needs"}
    today = local_today()
    assert len(_entries(community, kind="needs", date_from=today, date_to=today)) == 2
    assert _entries(community, kind="needs", date_to=today - timedelta(days=1)) == []
    assert _entries(community, kind="needs", date_from=today + timedelta(days=1)) == []


def test_a_projects_history_holds_its_claims_too(ctx):
    community = make_community()
    unit = make_unit(community, name="市第一医院")
    project = make_project(community)
    other_project = make_project(community)
    liaison = make_liaison(unit)
    with unit_of_work(liaison):
        claims_service.claim_project(liaison, project.id, claimant=ClaimantType.UNIT, now=utcnow())
    entries = _entries(community, kind="projects", object_id=project.id)
    assert {e.object_type for e in entries} == {"projects", "claims"}
    assert all(e.object_label == project.title for e in entries)
    assert not any(
        e.object_id == str(other_project.id) for e in entries if e.object_type == "projects"
    )


@pytest.mark.parametrize(
    "args, field",
    [
        ({"kind": "passwords"}, "kind"),
        ({"actor_id": "abc"}, "actor_id"),
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_to"),
        ({"object_id": "3"}, "object_id"),
        ({"kind": "streets"}, "kind"),
    ],
)
def test_bad_filters_are_refused_with_the_field_named(app, args, field):
    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        _data, errors = load_form(AuditArgs(), MultiDict(args))
    assert field in errors


# --- masking ----------------------------------------------------------------------------------


def test_a_phone_reads_masked_in_the_record(ctx):
    community = make_community()
    secretary = make_secretary(community)
    need = _record_need(secretary, community)
    with unit_of_work(secretary):
        needs_service.edit_need(
            secretary, need.id, version=need.version, requester_phone="13900009999"
        )
    text = repr(_entries(community))
    assert "13812341234" not in text and "13900009999" not in text
    assert "138****1234" in text and "139****9999" in text


def test_audit_module_still_masks_by_name():
    assert audit.masker("needs", "requester_phone") is not None


def test_a_value_set_after_a_commit_expired_it_is_recorded_with_its_old_value(ctx):
    community = make_community()
    secretary = make_secretary(community)
    need = _record_need(secretary, community)  # the commit expired need's attributes
    with unit_of_work(secretary):
        need.title = "独居老人助餐（午餐）"
        need.urgency = need.urgency  # unchanged in fact: not listed
    update = _rows("needs", need.id)[-1]
    assert update.before == {"title": "独居老人助餐"}
    assert update.after == {"title": "独居老人助餐（午餐）"}


def test_every_value_of_every_audited_enum_column_reads_as_text(app):
    with app.test_request_context():
        for mapper in db.Model.registry.mappers:
            if not getattr(mapper.class_, "__audit__", True):
                continue
            for column in mapper.columns:
                enum_class = getattr(column.type, "enum_class", None)
                for member in enum_class or ():
                    text = describe.value_text(mapper.local_table.name, column.key, member.value)
                    assert isinstance(text, str) and text
                    assert not text.isascii(), (column, text)  # in words, not the code

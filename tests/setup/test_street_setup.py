"""The street admin sets up communities, their grids and staff; her powers end at her street,
and a secretary has none of them."""

import re

import pytest
import sqlalchemy as sa

from coop.alliance.models import Community, Neighbourhood
from coop.auth import invitations
from coop.auth.models import RoleGrant, StaffTitle, User
from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.setup import errors, queries, service, staff
from coop.setup.models import GridAssignment, GridPost
from coop.timeutil import local_today
from tests.factories import (
    make_community,
    make_secretary,
    make_street,
    make_street_admin,
    make_user,
    make_volunteer,
)


@pytest.fixture
def street(ctx):
    return make_street()


@pytest.fixture
def admin(street):
    return make_street_admin(street)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- communities --------------------------------------------------------------------------


def test_a_new_community_comes_with_its_alliance_and_the_six_mechanisms(admin, street):
    community = service.create_community(admin, name="春华社区", address="春华路 1 号")

    assert community.street_id == street.id
    assert community.alliance.name == "春华社区党建联盟"
    assert community.alliance.founded_on == local_today()
    assert [m.name for m in community.alliance.mechanisms] == [
        "联席会议",
        "轮值共建",
        "党员共管",
        "党建互助",
        "服务联抓",
        "典型引领",
    ]


def test_community_names_are_unique_within_a_street_only(admin, street):
    service.create_community(admin, name="春华社区")
    with pytest.raises(errors.CommunityNameTaken):
        service.create_community(admin, name="春华社区")

    other_admin = make_street_admin(make_street())
    assert service.create_community(other_admin, name="春华社区").name == "春华社区"


def test_a_secretary_cannot_create_a_community(street):
    secretary = make_secretary(make_community(street))
    with pytest.raises(Forbidden):
        service.create_community(secretary, name="春华社区")


def test_a_street_admin_cannot_create_a_community_in_another_street(admin):
    other = make_street()
    with pytest.raises(NotFound):
        service.create_community(admin, name="春华社区", street_id=other.id)
    assert count(Community) == 0


# --- neighbourhoods and their grid posts ---------------------------------------------------


def test_neighbourhoods_are_added_in_order_with_their_households(admin, street):
    community = make_community(street, neighbourhoods=0)
    first = service.add_neighbourhood(admin, community.id, name="东区", households=301)
    second = service.add_neighbourhood(admin, community.id, name="西区")

    assert [n.name for n in community.neighbourhoods] == ["东区", "西区"]
    assert (first.position, second.position) == (0, 1)
    assert [g.members_needed for g in queries.grids(community)] == [3, 0]


def test_a_neighbourhood_name_is_unique_in_its_community(admin, street):
    community = make_community(street, neighbourhoods=0)
    service.add_neighbourhood(admin, community.id, name="东区")
    west = service.add_neighbourhood(admin, community.id, name="西区")

    with pytest.raises(errors.NeighbourhoodNameTaken):
        service.add_neighbourhood(admin, community.id, name="东区")
    with pytest.raises(errors.NeighbourhoodNameTaken):
        service.update_neighbourhood(admin, west.id, name="东区")


def test_a_neighbourhood_is_renamed_and_its_households_changed(admin, street):
    community = make_community(street, neighbourhoods=1)
    neighbourhood = community.neighbourhoods[0]

    service.update_neighbourhood(admin, neighbourhood.id, name="阳光苑", households=151)

    assert neighbourhood.name == "阳光苑" and neighbourhood.households == 151
    assert queries.grid_of(neighbourhood).members_needed == 2


def test_a_secretary_cannot_change_her_own_communitys_neighbourhoods(street):
    community = make_community(street)
    secretary = make_secretary(community)
    with pytest.raises(Forbidden):
        service.add_neighbourhood(secretary, community.id, name="新区")
    with pytest.raises(Forbidden):
        service.update_neighbourhood(secretary, community.neighbourhoods[0].id, name="新区")


def test_another_streets_neighbourhoods_are_not_found(admin):
    elsewhere = make_community(make_street())
    with pytest.raises(NotFound):
        service.add_neighbourhood(admin, elsewhere.id, name="新区")
    with pytest.raises(NotFound):
        service.update_neighbourhood(admin, elsewhere.neighbourhoods[0].id, name="新区")


def test_a_grid_short_of_one_member_per_150_households_is_flagged(admin, street):
    community = make_community(street, neighbourhoods=0)
    grid = service.add_neighbourhood(admin, community.id, name="东区", households=450)
    for _ in range(2):
        service.appoint_grid_post(
            admin, grid.id, post=GridPost.MEMBER, user_id=make_volunteer(community).id, now=utcnow()
        )

    found = queries.grid_of(grid)
    assert (found.members_needed, len(found.members), found.members_short) == (3, 2, 1)


def test_a_grid_has_one_leader(admin, street):
    community = make_community(street)
    grid = community.neighbourhoods[0]
    first, second = make_volunteer(community), make_volunteer(community)
    service.appoint_grid_post(admin, grid.id, post=GridPost.LEADER, user_id=first.id, now=utcnow())

    with pytest.raises(errors.GridLeaderTaken):
        service.appoint_grid_post(
            admin, grid.id, post=GridPost.LEADER, user_id=second.id, now=utcnow()
        )
    with pytest.raises(errors.AlreadyAppointed):
        service.appoint_grid_post(
            admin, grid.id, post=GridPost.MEMBER, user_id=first.id, now=utcnow()
        )
    assert queries.grid_of(grid).leader.user_id == first.id


def test_a_grid_post_goes_to_a_person_of_the_community_only(admin, street):
    community = make_community(street)
    stranger = make_volunteer(make_community(street))
    with pytest.raises(Invalid) as refused:
        service.appoint_grid_post(
            admin,
            community.neighbourhoods[0].id,
            post=GridPost.MEMBER,
            user_id=stranger.id,
            now=utcnow(),
        )
    assert "user_id" in refused.value.errors
    assert count(GridAssignment) == 0


def test_a_new_grid_member_is_added_without_a_password_and_invited(admin, street):
    community = make_community(street)
    assignment, person = service.appoint_grid_post(
        admin,
        community.neighbourhoods[0].id,
        post=GridPost.MEMBER,
        phone="13700000001",
        display_name="孙网格",
        now=utcnow(),
    )

    assert person.is_new and assignment.user.display_name == "孙网格"
    assert not invitations.has_password(person.user)
    assert invitations.live_invitation(person.invitation_code, now=utcnow()).user == person.user


def test_removing_a_grid_post_keeps_the_person(admin, street):
    community = make_community(street)
    volunteer = make_volunteer(community)
    assignment, _ = service.appoint_grid_post(
        admin,
        community.neighbourhoods[0].id,
        post=GridPost.MEMBER,
        user_id=volunteer.id,
        now=utcnow(),
    )

    service.remove_grid_post(admin, assignment.id)

    assert count(GridAssignment) == 0 and db.session.get(User, volunteer.id) is not None


# --- staff ------------------------------------------------------------------------------------


def appoint(actor, community, **overrides):
    fields = {"title": StaffTitle.SECRETARY, "phone": "13600000001", "now": utcnow(), **overrides}
    return staff.appoint_staff(actor, community.id, **fields)


def test_an_existing_person_appointed_by_phone_gets_the_grant_and_no_invitation(admin, street):
    community = make_community(street)
    volunteer = make_volunteer(community, phone="13600000001")

    grant, person = appoint(admin, community, title=StaffTitle.STAFF)

    assert person.user == volunteer and person.invitation_code is None
    assert grant.community_id == community.id and grant.title is StaffTitle.STAFF
    assert volunteer.role_labels == ["社区工作者", "志愿者"]
    assert count(User) == 2  # the admin and her: nobody new


def test_a_new_person_appointed_is_added_without_a_password_with_an_invitation(admin, street):
    community = make_community(street)

    grant, person = appoint(admin, community, display_name="钱书记", username="qianshuji")

    user = person.user
    assert user.username == "qianshuji" and user.display_name == "钱书记"
    assert not invitations.has_password(user)
    assert invitations.live_invitation(person.invitation_code, now=utcnow()).user == user
    assert grant.label == "社区书记" and user.role_labels == ["社区书记"]


def test_a_new_person_needs_a_name(admin, street):
    with pytest.raises(Invalid) as refused:
        appoint(admin, make_community(street))
    assert "display_name" in refused.value.errors
    assert count(RoleGrant) == 1  # the admin's own


def test_a_new_person_without_a_username_signs_in_with_her_phone(admin, street):
    """As when people are added or imported: the phone is the login name, the one thing an
    appointed secretary surely knows; a made-up one only when the phone is someone's name."""
    _grant, person = appoint(admin, make_community(street), display_name="钱书记")
    assert person.user.username == "13600000001"
    make_user(username="13600000002")
    _grant, other = appoint(
        admin, make_community(street), display_name="孙书记", phone="13600000002"
    )
    assert re.fullmatch(r"u\d{8}", other.user.username), other.user.username


def test_a_person_is_appointed_to_a_community_once(admin, street):
    community = make_community(street)
    make_user(phone="13600000001")
    appoint(admin, community)

    with pytest.raises(errors.AlreadyAppointed):
        appoint(admin, community, title=StaffTitle.STAFF)


def test_a_phone_two_people_share_is_refused(admin, street):
    make_user(phone="13600000001")
    make_user(phone="13600000001")
    with pytest.raises(Invalid) as refused:
        appoint(admin, make_community(street))
    assert "phone" in refused.value.errors


def test_a_secretary_cannot_appoint_or_remove_staff_of_her_own_community(street):
    community = make_community(street)
    secretary = make_secretary(community)
    with pytest.raises(Forbidden):
        appoint(secretary, community, display_name="钱书记")
    with pytest.raises(Forbidden):
        staff.remove_staff(secretary, community.id, secretary.grants[0].id)
    assert secretary.grants


def test_another_streets_community_is_not_found_for_staff(admin):
    elsewhere = make_community(make_street())
    colleague = make_secretary(elsewhere)
    with pytest.raises(NotFound):
        appoint(admin, elsewhere, display_name="钱书记")
    with pytest.raises(NotFound):
        staff.remove_staff(admin, elsewhere.id, colleague.grants[0].id)


def test_removing_staff_ends_her_grant(admin, street):
    community = make_community(street)
    secretary = make_secretary(community)

    staff.remove_staff(admin, community.id, secretary.grants[0].id)

    assert secretary.grants == []


def test_a_grant_is_removed_only_through_its_own_community(admin, street):
    community, other = make_community(street), make_community(street)
    secretary = make_secretary(other)
    with pytest.raises(NotFound):
        staff.remove_staff(admin, community.id, secretary.grants[0].id)


# --- street admins ----------------------------------------------------------------------------


def test_the_last_street_admin_cannot_be_removed_herself_included(admin):
    with pytest.raises(errors.LastStreetAdmin):
        staff.remove_street_admin(admin, admin.grants[0].id)
    assert admin.grants


def test_a_street_admin_is_removed_while_another_remains(admin, street):
    _grant, person = staff.appoint_street_admin(
        admin, street.id, phone="13500000001", display_name="钱街道", now=utcnow()
    )
    assert person.is_new

    staff.remove_street_admin(admin, admin.grants[0].id)

    assert admin.grants == [] and person.user.grants[0].street_id == street.id


def test_a_deactivated_admin_does_not_count_as_the_one_remaining(admin, street):
    other = make_street_admin(street, is_active=False)
    assert other.grants
    with pytest.raises(errors.LastStreetAdmin):
        staff.remove_street_admin(admin, admin.grants[0].id)


def test_another_streets_admin_is_not_found(admin):
    elsewhere = make_street_admin(make_street())
    with pytest.raises(NotFound):
        staff.remove_street_admin(admin, elsewhere.grants[0].id)


def test_the_posts_page_lists_staff_grids_and_liaisons(admin, street):
    community = make_community(street)
    appoint(admin, community, display_name="钱书记")
    service.appoint_grid_post(
        admin,
        community.neighbourhoods[0].id,
        post=GridPost.LEADER,
        user_id=make_volunteer(community).id,
        now=utcnow(),
    )

    posts = queries.community_posts(community)

    assert [g.user.display_name for g in posts.staff] == ["钱书记"]
    assert posts.grids[0].leader is not None
    assert db.session.get(Neighbourhood, posts.grids[0].neighbourhood.id)

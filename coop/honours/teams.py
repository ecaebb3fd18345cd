"""Volunteer teams (志愿服务队): the community's staff create and edit them; the staff or the
team's leader add a volunteer of the community; a volunteer joins herself; a member leaves (or
is taken off by the leader or staff). Leaving sets ``left_on`` and keeps the row, so her hours
while a member stay the team's. Services flush, never commit."""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coop.alliance.models import Community, Membership
from coop.alliance.permissions import managed_community_ids, require
from coop.auth.models import Role, RoleGrant, User
from coop.errors import Conflict, Invalid, NotFound
from coop.extensions import db
from coop.honours import queries
from coop.notices.service import notify
from coop.people.models import Team, TeamMember

MAX_NAME = 64


class TeamNameTaken(Conflict):
    code = "team_name_taken"
    default_message = _l("本社区已有同名的志愿服务队。")


class NotAVolunteerHere(Invalid):
    code = "not_a_volunteer_here"
    default_message = _l("只有本社区的志愿者可以加入该服务队。")


class AlreadyMember(Conflict):
    code = "already_member"
    default_message = _l("已经是该服务队的队员。")


class NotMember(Conflict):
    code = "not_member"
    default_message = _l("不是该服务队的在队队员。")


def can_manage_team(actor: User | None, team: Team) -> bool:
    """The community's staff, and the team's current leaders."""
    if actor is None:
        return False
    if team.community_id in managed_community_ids(actor):
        return True
    return any(m.user_id == actor.id and m.is_leader and m.left_on is None for m in team.members)


def _clean(name: str, description: str, skills: str, unit_id: int | None, community_id: int):
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid(errors={"name": [_("请填写队名（最多 %(n)d 字）。", n=MAX_NAME)]})
    if unit_id is not None and not db.session.scalar(
        sa.select(Membership.id).where(
            Membership.unit_id == unit_id, Membership.community_id == community_id
        )
    ):
        raise Invalid(errors={"unit_id": [_("该单位不是本社区联盟的成员单位。")]})
    return name, (description or "").strip(), (skills or "").strip()


def _name_free(community_id: int, name: str, team_id: int | None = None) -> None:
    clash = sa.select(Team.id).where(Team.community_id == community_id, Team.name == name)
    if team_id is not None:
        clash = clash.where(Team.id != team_id)
    if db.session.scalar(clash) is not None:
        raise TeamNameTaken(errors={"name": [_("本社区已有同名的志愿服务队。")]})


def create_team(
    actor: User,
    community_id: int,
    *,
    name: str,
    description: str = "",
    skills: str = "",
    unit_id: int | None = None,
) -> Team:
    """The community's staff create a team. :raise NotFound, Forbidden, Invalid, TeamNameTaken:"""
    community = db.session.get(Community, community_id)
    if community is None:
        raise NotFound()
    require(community.id in managed_community_ids(actor))
    name, description, skills = _clean(name, description, skills, unit_id, community.id)
    _name_free(community.id, name)
    team = Team(
        community_id=community.id,
        name=name,
        description=description,
        skills=skills,
        unit_id=unit_id,
    )
    db.session.add(team)
    db.session.flush()
    return team


def edit_team(actor: User, team_id: int, **fields) -> Team:
    """Staff or the leader correct the name, description, skills and unit."""
    team = queries.get_team(actor, team_id)
    require(can_manage_team(actor, team))
    name, description, skills = _clean(
        fields.get("name", team.name),
        fields.get("description", team.description),
        fields.get("skills", team.skills),
        fields.get("unit_id", team.unit_id),
        team.community_id,
    )
    _name_free(team.community_id, name, team.id)
    team.name, team.description, team.skills = name, description, skills
    team.unit_id = fields.get("unit_id", team.unit_id)
    db.session.flush()
    return team


def _is_volunteer_of(user_id: int, community_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(RoleGrant.id).where(
                RoleGrant.user_id == user_id,
                RoleGrant.role == Role.VOLUNTEER,
                RoleGrant.community_id == community_id,
            )
        )
        is not None
    )


def is_volunteer(user_id: int, team: Team) -> bool:
    return _is_volunteer_of(user_id, team.community_id)


def add_member(
    actor: User, team_id: int, user_id: int, *, today: date, leader: bool = False
) -> TeamMember:
    """Staff or the leader add a volunteer of the community; a volunteer may add herself (join).
    A former member is taken back on her old row. :raise Forbidden, NotAVolunteerHere,
    AlreadyMember:"""
    team = queries.get_team(actor, team_id)
    joining_herself = user_id == actor.id and not leader
    require(joining_herself or can_manage_team(actor, team))
    if not _is_volunteer_of(user_id, team.community_id):
        raise NotAVolunteerHere(errors={"user_id": [_("只有本社区的志愿者可以加入该服务队。")]})
    member = db.session.get(TeamMember, (team.id, user_id))
    if member is not None and member.left_on is None:
        raise AlreadyMember()
    if member is None:
        member = TeamMember(team_id=team.id, user_id=user_id, joined_on=today)
        db.session.add(member)
    else:
        member.left_on = None
    member.is_leader = leader
    db.session.flush()
    if joining_herself:
        for m in team.members:
            if m.is_leader and m.left_on is None and m.user_id != actor.id:
                notify(
                    m.user_id,
                    _("%(name)s加入了%(team)s", name=actor.display_name, team=team.name),
                    link=f"/teams/{team.id}",
                )
    return member


def leave(actor: User, team_id: int, user_id: int, *, today: date) -> TeamMember:
    """She leaves (or staff or the leader take her off): the row stays with ``left_on``.
    :raise Forbidden, NotMember:"""
    team = queries.get_team(actor, team_id)
    require(user_id == actor.id or can_manage_team(actor, team))
    member = db.session.get(TeamMember, (team.id, user_id))
    if member is None or member.left_on is not None:
        raise NotMember()
    member.left_on = max(today, member.joined_on)
    member.is_leader = False
    db.session.flush()
    return member

"""The street admin sets up her street: communities with their alliance, and neighbourhoods
(邻里单元 / 网格) with their 户数, 网格长 and 网格员. The demo is built through these too."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from coop.alliance import queries as alliance_queries
from coop.alliance.models import Alliance, Community, Mechanism, Neighbourhood
from coop.alliance.permissions import require
from coop.auth.models import RoleGrant, User
from coop.errors import Invalid, NotFound
from coop.extensions import db
from coop.setup import errors, permissions
from coop.setup.models import GridAssignment, GridPost
from coop.setup.people import Person, find_or_invite
from coop.timeutil import local_today

# The six working mechanisms of a 党建联盟 (the seed's 兴旺社区 model), given to every alliance.
MECHANISMS = [
    ("联席会议", "联盟成员单位定期召开联席会议，共商社区治理难题。"),
    ("轮值共建", "成员单位每半年轮值担任副书记单位，牵头落实“六个一”。"),
    ("党员共管", "在职党员到社区双报到，社区与单位共同管理、共同评价。"),
    ("党建互助", "组织生活、阵地资源互相开放，党建工作互帮互学。"),
    ("服务联抓", "居民需求清单化、项目化，成员单位点单认领、联合服务。"),
    ("典型引领", "评选同心共建先锋单位和优秀志愿者，发挥示范带动作用。"),
]


def default_alliance_name(community_name: str) -> str:
    return f"{community_name}党建联盟"


def street_for(actor: User, street_id: int | None) -> int:
    """The street the actor sets up in: the one given, or her only one.

    :raise Forbidden: she administers no street. :raise NotFound: not her street.
    :raise Invalid: she administers several and named none.
    """
    streets = permissions.administered_street_ids(actor)
    require(bool(streets))
    if street_id is None:
        if len(streets) > 1:
            raise Invalid(errors={"street_id": [_("您管理多个街道，请选择街道。")]})
        return next(iter(streets))
    if street_id not in streets:
        raise NotFound()
    return street_id


def create_community(
    actor: User,
    *,
    name: str,
    street_id: int | None = None,
    address: str = "",
    description: str = "",
    alliance_name: str = "",
    founded_on: date | None = None,
) -> Community:
    """A new community in the street admin's street, and with it its 党建联盟 and the six
    working mechanisms.

    :raise Forbidden: the actor is no street admin. :raise NotFound: not her street.
    :raise CommunityNameTaken: the street has a community of that name.
    """
    street_id = street_for(actor, street_id)
    name = name.strip()
    taken = sa.select(Community.id).where(Community.street_id == street_id, Community.name == name)
    if db.session.scalar(taken) is not None:
        raise errors.CommunityNameTaken()
    community = Community(
        street_id=street_id, name=name, address=address.strip(), description=description.strip()
    )
    alliance = Alliance(
        community=community,
        name=alliance_name.strip() or default_alliance_name(name),
        founded_on=founded_on or local_today(),
    )
    for position, (m_name, m_description) in enumerate(MECHANISMS):
        alliance.mechanisms.append(
            Mechanism(name=m_name, description=m_description, position=position)
        )
    db.session.add_all([community, alliance])
    try:
        with db.session.begin_nested():  # a community of that name created meanwhile
            db.session.flush()
    except IntegrityError:
        raise errors.CommunityNameTaken() from None
    return community


def community_to_set_up(actor: User, community_id: int) -> Community:
    """:raise NotFound: not in her street. :raise Forbidden: she is no admin of its street."""
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_set_up_community(actor, community))
    return community


def add_neighbourhood(
    actor: User, community_id: int, *, name: str, description: str = "", households: int = 0
) -> Neighbourhood:
    """A new 邻里单元 / 网格 at the end of the community's list.

    :raise NeighbourhoodNameTaken: the community has one of that name.
    """
    community = community_to_set_up(actor, community_id)
    name = name.strip()
    if any(n.name == name for n in community.neighbourhoods):
        raise errors.NeighbourhoodNameTaken()
    last = max((n.position for n in community.neighbourhoods), default=-1)
    neighbourhood = Neighbourhood(
        name=name, description=description.strip(), households=households, position=last + 1
    )
    community.neighbourhoods.append(neighbourhood)
    _flush_name(errors.NeighbourhoodNameTaken)
    return neighbourhood


def neighbourhood_to_set_up(actor: User, neighbourhood_id: int) -> Neighbourhood:
    """:raise NotFound: no such neighbourhood in her street. :raise Forbidden: not an admin."""
    neighbourhood = db.session.get(Neighbourhood, neighbourhood_id)
    if neighbourhood is None:
        raise NotFound()
    community_to_set_up(actor, neighbourhood.community_id)
    return neighbourhood


def update_neighbourhood(actor: User, neighbourhood_id: int, **changes) -> Neighbourhood:
    """Rename a neighbourhood or change its description or 户数 (only the fields given).

    :raise NeighbourhoodNameTaken: another of the community's has that name.
    """
    neighbourhood = neighbourhood_to_set_up(actor, neighbourhood_id)
    if "name" in changes:
        name = changes["name"].strip()
        siblings = neighbourhood.community.neighbourhoods
        if any(n.name == name and n.id != neighbourhood.id for n in siblings):
            raise errors.NeighbourhoodNameTaken()
        neighbourhood.name = name
    if "description" in changes:
        neighbourhood.description = changes["description"].strip()
    if "households" in changes:
        neighbourhood.households = changes["households"]
    _flush_name(errors.NeighbourhoodNameTaken)
    return neighbourhood


def _flush_name(error) -> None:
    try:
        with db.session.begin_nested():  # the same name saved meanwhile by someone else
            db.session.flush()
    except IntegrityError:
        raise error() from None


def is_of_community(user_id: int, community: Community) -> bool:
    """She has a role in the community, or already holds a grid post in it."""
    grant = sa.select(RoleGrant.id).where(
        RoleGrant.user_id == user_id, RoleGrant.community_id == community.id
    )
    post = (
        sa.select(GridAssignment.id)
        .join(Neighbourhood, Neighbourhood.id == GridAssignment.neighbourhood_id)
        .where(GridAssignment.user_id == user_id, Neighbourhood.community_id == community.id)
    )
    return db.session.scalar(sa.select(sa.or_(sa.exists(grant), sa.exists(post)))) or False


def appoint_grid_post(
    actor: User,
    neighbourhood_id: int,
    *,
    post: GridPost,
    now: datetime,
    user_id: int | None = None,
    phone: str = "",
    display_name: str = "",
    username: str | None = None,
) -> tuple[GridAssignment, Person]:
    """Make a person the grid's 网格长 or one of its 网格员: a person of the community picked
    by id, or found by phone, or added by name and phone (she gets an invitation code).

    :raise Invalid: the person picked is not the community's, or neither she nor a phone given.
    :raise GridLeaderTaken: the grid has a 网格长 already.
    :raise AlreadyAppointed: she holds a post in this grid already.
    """
    neighbourhood = neighbourhood_to_set_up(actor, neighbourhood_id)
    # The grid's row lock: two appointments to one grid are decided one after the other.
    db.session.refresh(neighbourhood, with_for_update=True)
    if user_id is not None:
        user = db.session.get(User, user_id)
        if (
            user is None
            or not user.is_active
            or not is_of_community(user_id, neighbourhood.community)
        ):
            raise Invalid(errors={"user_id": [_("请选择本社区的人员。")]})
        person = Person(user)
    elif phone:
        person = find_or_invite(
            actor, phone=phone, display_name=display_name, username=username, now=now
        )
    else:
        raise Invalid(errors={"phone": [_("请选择本社区的人员，或填写新人员的姓名和手机号。")]})
    existing = db.session.scalars(
        sa.select(GridAssignment).where(GridAssignment.neighbourhood_id == neighbourhood.id)
    ).all()
    if any(a.user_id == person.user.id for a in existing):
        raise errors.AlreadyAppointed()
    if post is GridPost.LEADER and any(a.post is GridPost.LEADER for a in existing):
        raise errors.GridLeaderTaken()
    assignment = GridAssignment(neighbourhood=neighbourhood, user=person.user, post=post)
    db.session.add(assignment)
    db.session.flush()  # the unique indexes back both rules up
    return assignment, person


def remove_grid_post(actor: User, assignment_id: int) -> Neighbourhood:
    """The person leaves her post in the grid (she stays a person of the community).

    :raise NotFound: no such post in her street.
    """
    assignment = db.session.get(GridAssignment, assignment_id)
    if assignment is None:
        raise NotFound()
    neighbourhood = neighbourhood_to_set_up(actor, assignment.neighbourhood_id)
    db.session.delete(assignment)
    db.session.flush()
    return neighbourhood


def grid_post(actor: User, assignment_id: int) -> GridAssignment:
    """:raise NotFound: no such post in her street. :raise Forbidden: not an admin."""
    assignment = db.session.get(GridAssignment, assignment_id)
    if assignment is None:
        raise NotFound()
    neighbourhood_to_set_up(actor, assignment.neighbourhood_id)
    return assignment

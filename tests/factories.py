"""Factories with full defaults: a test overrides only what it is about."""

import itertools
import re
from datetime import date, timedelta

from coop.alliance.models import (
    Agreement,
    Alliance,
    Community,
    Membership,
    Neighbourhood,
    Street,
    Unit,
    UnitKind,
)
from coop.auth import service as auth_service
from coop.auth.current import SESSION_KEY
from coop.auth.models import Role, RoleGrant, User
from coop.extensions import db
from coop.people.models import VolunteerProfile
from coop.timeutil import local_today

PASSWORD = "correct horse battery"
_seq = itertools.count(1)
# Hashing is deliberately slow; every factory user shares one hash of PASSWORD.
_password_hash: str | None = None


def _n() -> int:
    return next(_seq)


def make_street(**overrides) -> Street:
    street = Street(**{"name": f"测试街道{_n()}", **overrides})
    db.session.add(street)
    db.session.flush()
    return street


def make_community(street: Street | None = None, neighbourhoods: int = 2, **overrides):
    community = Community(
        **{"street": street or make_street(), "name": f"测试社区{_n()}", **overrides}
    )
    for position in range(neighbourhoods):
        community.neighbourhoods.append(
            Neighbourhood(name=f"邻里单元{position + 1}", position=position)
        )
    db.session.add(community)
    db.session.add(Alliance(community=community, name=f"{community.name}党建联盟"))
    db.session.flush()
    return community


def make_unit(community: Community | None = None, *, live: bool = True, **overrides) -> Unit:
    unit = Unit(**{"name": f"测试单位{_n()}", "kind": UnitKind.STATIONED, **overrides})
    db.session.add(unit)
    if community is not None:
        db.session.add(Membership(unit=unit, community=community, joined_on=date(2024, 1, 1)))
        if live:
            make_agreement(unit, community)
    db.session.flush()
    return unit


def make_agreement(unit: Unit, community: Community, **overrides) -> Agreement:
    today = local_today()
    agreement = Agreement(
        **{
            "unit": unit,
            "community_id": community.id,
            "signed_on": today - timedelta(days=30),
            "starts_on": today - timedelta(days=30),
            "ends_on": today + timedelta(days=335),
            "scope": "每月一次志愿服务",
            **overrides,
        }
    )
    db.session.add(agreement)
    db.session.flush()
    return agreement


def make_user(*grants: RoleGrant, **overrides) -> User:
    global _password_hash
    n = _n()
    user = User(**{"username": f"user{n}", "display_name": f"测试用户{n}", **overrides})
    if _password_hash is None:
        user.set_password(PASSWORD)
        _password_hash = user.password_hash
    user.password_hash = _password_hash
    user.grants.extend(grants)
    db.session.add(user)
    db.session.flush()
    return user


def make_secretary(community: Community, **overrides) -> User:
    return make_user(RoleGrant(role=Role.SECRETARY, community_id=community.id), **overrides)


def make_street_admin(street: Street, **overrides) -> User:
    return make_user(RoleGrant(role=Role.STREET_ADMIN, street_id=street.id), **overrides)


def make_liaison(unit: Unit, **overrides) -> User:
    return make_user(RoleGrant(role=Role.UNIT_LIAISON, unit_id=unit.id), **overrides)


def make_resident(community: Community, **overrides) -> User:
    return make_user(RoleGrant(role=Role.RESIDENT, community_id=community.id), **overrides)


def make_volunteer(community: Community, *, party: bool = True, **overrides) -> User:
    user = make_user(RoleGrant(role=Role.VOLUNTEER, community_id=community.id), **overrides)
    db.session.add(
        VolunteerProfile(user=user, home_community_id=community.id, is_party_member=party)
    )
    db.session.flush()
    return user


def bearer(user: User) -> dict:
    raw, _token = auth_service.issue_token(user)
    return {"Authorization": f"Bearer {raw}"}


def login(client, user: User) -> None:
    """Signed in as the sign-in page does it: a server-side session named in the cookie."""
    raw = auth_service.start_session(user)
    with client.session_transaction() as session:
        session[SESSION_KEY] = raw


def csrf(client, path: str = "/login") -> str:
    """The CSRF token of the form a page serves, as a browser would submit it."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def make_need(community: Community, **overrides):
    from coop.categories import Category
    from coop.needs.models import Beneficiary, Need, NeedSource, NeedStatus

    need = Need(
        **{
            "community_id": community.id,
            "title": f"需求{_n()}",
            "category": Category.CARE,
            "source": NeedSource.VISIT,
            "beneficiary_group": Beneficiary.ELDERLY,
            "status": NeedStatus.LISTED,
            "requester_name": "刘桂兰",
            "requester_phone": "13812341234",
            "requester_address": "阳光苑3号楼2单元",
            **overrides,
        }
    )
    db.session.add(need)
    db.session.flush()
    return need


def make_resource(unit: Unit, community: Community, **overrides):
    from coop.resources.models import Resource, ResourceKind, ResourceStatus

    resource = Resource(
        **{
            "community_id": community.id,
            "unit_id": unit.id,
            "kind": ResourceKind.VOLUNTEERS,
            "title": f"资源{_n()}",
            "quantity": 10,
            "unit_of_measure": "人",
            "status": ResourceStatus.LISTED,
            **overrides,
        }
    )
    db.session.add(resource)
    db.session.flush()
    return resource


def make_project(community: Community, *, needs=None, **overrides):
    """A published project starting in ten days, claimable for a week, from one listed need."""
    from coop.categories import Category
    from coop.dbtypes import utcnow
    from coop.needs.models import NeedStatus
    from coop.projects.models import Project, ProjectMode, ProjectStatus

    now = utcnow()
    project = Project(
        **{
            "community_id": community.id,
            "title": f"项目{_n()}",
            "category": Category.CARE,
            "mode": ProjectMode.TEAM,
            "slots": 2,
            "starts_at": now + timedelta(days=10),
            "ends_at": now + timedelta(days=40),
            "claim_deadline": now + timedelta(days=7),
            "status": ProjectStatus.PUBLISHED,
            **overrides,
        }
    )
    db.session.add(project)
    db.session.flush()
    for need in needs if needs is not None else [make_need(community)]:
        need.project_id = project.id
        need.status = NeedStatus.IN_PROJECT
    db.session.flush()
    db.session.refresh(project)
    return project


def make_activity(community: Community, **overrides):
    """A 2-hour session starting in three days with 10 seats."""
    from coop.activities.models import Activity
    from coop.dbtypes import utcnow

    start = overrides.pop("starts_at", utcnow() + timedelta(days=3))
    activity = Activity(
        **{
            "community_id": community.id,
            "title": f"活动{_n()}",
            "place": "党群服务中心",
            "starts_at": start,
            "ends_at": start + timedelta(hours=2),
            "capacity": 10,
            **overrides,
        }
    )
    db.session.add(activity)
    db.session.flush()
    return activity


def make_supermarket_staff(community: Community, **overrides) -> User:
    return make_user(RoleGrant(role=Role.SUPERMARKET_STAFF, community_id=community.id), **overrides)


def give_points(volunteer: User, community: Community, points: int):
    """Credit a volunteer from the community's pool (as verified hours would); returns her
    account."""
    from coop.ledger import service as ledger
    from coop.ledger.models import AccountType, PostingKind

    pool = ledger.account_for(AccountType.POOL, community.id)
    mine = ledger.account_for(AccountType.VOLUNTEER, community.id, volunteer.id)
    n = _n()
    ledger.post(
        key=f"test:give:{n}",
        kind=PostingKind.ADJUSTMENT,
        source_type="test",
        source_id=n,
        lines=[(pool, -points), (mine, points)],
    )
    return mine


def make_reward_item(community: Community, **overrides):
    from coop.rewards.models import RewardItem

    item = RewardItem(
        **{
            "community_id": community.id,
            "name": f"测试兑换品{_n()}",
            "cost": 50,
            "stock": 10,
            "monthly_limit": None,
            **overrides,
        }
    )
    db.session.add(item)
    db.session.flush()
    return item

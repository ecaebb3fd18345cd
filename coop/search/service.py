"""One box for staff: needs, projects, activities, units and people of the communities she
works for, by name or title, or by the end of a phone number.

Every kind is one query, scoped by construction (the communities in ``searchable_community_ids``
are the only ones any query names), at most ``PER_KIND`` rows each. The words typed are matched
literally: ``%`` and ``_`` are escaped, never a LIKE pattern.
"""

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from coop.activities.models import Activity
from coop.alliance.models import Community, Membership, Unit
from coop.alliance.permissions import managed_community_ids
from coop.auth.models import Role, RoleGrant, User
from coop.errors import Forbidden
from coop.extensions import db
from coop.needs.models import Need
from coop.projects.models import Project

MIN_LENGTH = 2
MAX_LENGTH = 50
PER_KIND = 10
# Digits only, 4 or more: the end of a phone number (4 is what people say: 尾号1234).
PHONE_TAIL = re.compile(r"\d{4,20}")
KINDS = ("needs", "projects", "activities", "units", "people")


@dataclass(frozen=True)
class PersonHit:
    """A person found, and the community (of those searched) whose people list shows her."""

    user: User
    community_id: int


@dataclass
class SearchResult:
    query: str
    hint: str | None = None
    by_phone: bool = False
    found: dict[str, list] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    more: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(KINDS, False))

    @property
    def empty(self) -> bool:
        return not any(self.found.values())


def _street_ids(actor: User | None) -> set[int]:
    return {g.street_id for g in actor.grants_of(Role.STREET_ADMIN)} if actor else set()


def can_search(actor: User | None) -> bool:
    """Community staff (secretary or 社区工作者) and street admins; nobody else."""
    return bool(managed_community_ids(actor) or _street_ids(actor))


def searchable_community_ids(actor: User | None) -> set[int]:
    """Her own community's (staff), her street's communities (street admin)."""
    ids = managed_community_ids(actor)
    streets = _street_ids(actor)
    if streets:
        ids |= set(
            db.session.scalars(sa.select(Community.id).where(Community.street_id.in_(streets)))
        )
    return ids


def search(actor: User | None, query: str) -> SearchResult:
    """What matches ``query`` in the actor's communities. Too short or too long a query gets a
    hint and no results, never an error. :raise Forbidden: she is not staff or a street admin."""
    if not can_search(actor):
        raise Forbidden(_("搜索只对社区工作人员和街道管理员开放。"))
    text = " ".join(query.split())
    result = SearchResult(query=text)
    if len(text) < MIN_LENGTH:
        result.hint = _("请至少输入 %(n)d 个字，或手机号后四位。", n=MIN_LENGTH) if text else None
        return result
    if len(text) > MAX_LENGTH:
        result.hint = _("搜索词最多 %(n)d 个字，请缩短后再试。", n=MAX_LENGTH)
        return result
    scope = searchable_community_ids(actor)
    result.by_phone = PHONE_TAIL.fullmatch(text) is not None
    if result.by_phone:
        # A phone's end matches phones only: "2024" is not also every title with a year in it.
        _take(result, "needs", _needs(scope, phone=text))
        _take(result, "people", _people(scope, phone=text))
    else:
        _take(result, "needs", _needs(scope, words=text))
        _take(result, "projects", _titled(Project, scope, text))
        _take(result, "activities", _titled(Activity, scope, text))
        _take(result, "units", _units(scope, text))
        _take(result, "people", _people(scope, words=text))
    return result


def _take(result: SearchResult, kind: str, query: sa.Select) -> None:
    rows = list(db.session.execute(query.limit(PER_KIND + 1)))
    result.more[kind] = len(rows) > PER_KIND
    items = [row[0] if len(row) == 1 else PersonHit(*row) for row in rows[:PER_KIND]]
    result.found[kind] = items


def _needs(scope: set[int], *, words: str = "", phone: str = "") -> sa.Select:
    if phone:
        matches = Need.requester_phone.endswith(phone, autoescape=True)
    else:
        matches = sa.or_(
            Need.title.contains(words, autoescape=True),
            Need.requester_name.contains(words, autoescape=True),
        )
    return (
        sa.select(Need)
        .options(joinedload(Need.community))
        .where(Need.community_id.in_(scope), matches)
        .order_by(Need.created_at.desc(), Need.id.desc())
    )


def _titled(model, scope: set[int], words: str) -> sa.Select:
    """Projects and activities, newest first."""
    return (
        sa.select(model)
        .options(joinedload(model.community))
        .where(model.community_id.in_(scope), model.title.contains(words, autoescape=True))
        .order_by(model.id.desc())
    )


def _units(scope: set[int], words: str) -> sa.Select:
    serves = sa.exists().where(Membership.unit_id == Unit.id, Membership.community_id.in_(scope))
    return (
        sa.select(Unit)
        .where(serves, Unit.name.contains(words, autoescape=True))
        .order_by(Unit.name, Unit.id)
    )


def _people(scope: set[int], *, words: str = "", phone: str = "") -> sa.Select:
    """Her community's people (staff, volunteers, residents, its units' liaisons), with the
    first of the searched communities she belongs to."""
    own = (
        sa.select(sa.func.min(RoleGrant.community_id))
        .where(RoleGrant.user_id == User.id, RoleGrant.community_id.in_(scope))
        .scalar_subquery()
    )
    via_unit = (
        sa.select(sa.func.min(Membership.community_id))
        .join(RoleGrant, RoleGrant.unit_id == Membership.unit_id)
        .where(RoleGrant.user_id == User.id, Membership.community_id.in_(scope))
        .scalar_subquery()
    )
    community_id = sa.func.coalesce(own, via_unit)
    if phone:
        matches = User.phone.endswith(phone, autoescape=True)
    else:
        matches = sa.or_(
            User.display_name.contains(words, autoescape=True),
            User.username.contains(words, autoescape=True),
        )
    return (
        sa.select(User, community_id)
        .where(community_id.is_not(None), matches)
        .order_by(User.display_name, User.id)
    )

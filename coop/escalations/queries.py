"""Named reads of raised needs and departments, scoped to what the actor may see."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coop.alliance import permissions as alliance_permissions
from coop.alliance.models import Community
from coop.auth.models import User
from coop.errors import NotFound
from coop.escalations import permissions
from coop.escalations.models import (
    Department,
    Escalation,
    EscalationDepartment,
    EscalationEntry,
    EscalationStatus,
)
from coop.extensions import db
from coop.needs import permissions as need_permissions

# The queue's orders: newest raised first, or the nearest deadline first (none last).
ORDERS = ("newest", "deadline")


def _loaded(query: sa.Select) -> sa.Select:
    return query.options(
        selectinload(Escalation.need),
        selectinload(Escalation.community),
        selectinload(Escalation.assignments).selectinload(EscalationDepartment.department),
        selectinload(Escalation.entries).selectinload(EscalationEntry.department),
    )


def _visible_community_ids(actor: User | None) -> set[int]:
    """Communities whose escalations the actor reads: her street's, or the one she staffs."""
    visible = alliance_permissions.visible_community_ids(actor)
    return {
        c.id
        for c in db.session.scalars(sa.select(Community).where(Community.id.in_(visible)))
        if need_permissions.can_see_all_needs(actor, c)
    }


def queue_select(
    actor: User, street_id: int, *, status: EscalationStatus | None = None, order: str = "newest"
) -> sa.Select:
    """The street's raised needs, all states or one, newest first or nearest deadline first."""
    query = (
        sa.select(Escalation)
        .join(Community, Community.id == Escalation.community_id)
        .where(Community.street_id == street_id)
    )
    if status is not None:
        query = query.where(Escalation.status == status)
    if order == "deadline":
        query = query.order_by(
            Escalation.deadline.is_(None), Escalation.deadline, Escalation.raised_at
        )
    else:
        query = query.order_by(Escalation.raised_at.desc(), Escalation.id.desc())
    return _loaded(query)


def community_select(actor: User, community_id: int) -> sa.Select:
    return _loaded(
        sa.select(Escalation)
        .where(Escalation.community_id == community_id)
        .order_by(Escalation.raised_at.desc(), Escalation.id.desc())
    )


def get_escalation(actor: User | None, escalation_id: int, *, for_update: bool = False):
    """:raise NotFound: no such escalation, or not one of the actor's street or community."""
    query = sa.select(Escalation).where(
        Escalation.id == escalation_id,
        Escalation.community_id.in_(_visible_community_ids(actor)),
    )
    if for_update:
        query = query.with_for_update(of=Escalation).execution_options(populate_existing=True)
    escalation = db.session.scalar(_loaded(query))
    if escalation is None:
        raise NotFound()
    return escalation


def of_need(need_id: int) -> list[Escalation]:
    """Every time the need was raised, newest first (the need page checks who may read it)."""
    return list(
        db.session.scalars(
            _loaded(
                sa.select(Escalation)
                .where(Escalation.need_id == need_id)
                .order_by(Escalation.raised_at.desc(), Escalation.id.desc())
            )
        )
    )


def open_escalation(need_id: int) -> Escalation | None:
    return db.session.scalar(
        sa.select(Escalation).where(
            Escalation.need_id == need_id,
            Escalation.status.in_((EscalationStatus.OPEN, EscalationStatus.ASSIGNED)),
        )
    )


def departments(street_id: int, *, active_only: bool = False) -> list[Department]:
    query = sa.select(Department).where(Department.street_id == street_id)
    if active_only:
        query = query.where(Department.active)
    return list(db.session.scalars(query.order_by(Department.position, Department.id)))


def get_department(actor: User | None, department_id: int, *, for_update: bool = False):
    """:raise NotFound: no such department, or not of a street the actor administers."""
    query = sa.select(Department).where(
        Department.id == department_id, Department.street_id.in_(permissions.street_ids(actor))
    )
    if for_update:
        query = query.with_for_update()
    department = db.session.scalar(query)
    if department is None:
        raise NotFound()
    return department

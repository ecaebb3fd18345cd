"""街道吹哨 rules: the secretary raises an open need to the street with a reason; the street
assigns departments with a deadline, records what each did, and resolves it (the need is solved
through the needs service) or returns it to the community."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.alliance.models import Street
from coop.alliance.permissions import require
from coop.auth.models import Role, RoleGrant, User
from coop.errors import Invalid, NotFound
from coop.escalations import permissions, queries
from coop.escalations.errors import AlreadyEscalated, NeedNoLongerOpen, NeedNotEscalatable
from coop.escalations.models import (
    DEFAULT_DEPARTMENTS,
    ESCALATION_FLOW,
    Department,
    Escalation,
    EscalationDepartment,
    EscalationEntry,
    EscalationStatus,
)
from coop.extensions import db
from coop.needs import queries as need_queries
from coop.needs import service as needs_service
from coop.needs.models import NeedStatus
from coop.notices import recipients
from coop.notices.changes import moment_text
from coop.notices.service import notify
from coop.timeutil import COMMUNITY_TZ

ESCALATABLE = (NeedStatus.SUBMITTED, NeedStatus.LISTED, NeedStatus.IN_PROJECT)


# --- departments ----------------------------------------------------------------------------


def seed_departments(street: Street) -> list[Department]:
    """Give a street the usual departments it does not have yet (a new street, the demo)."""
    have = {d.name for d in queries.departments(street.id)} if street.id else set()
    added = [
        Department(street=street, name=name, position=position)
        for position, name in enumerate(DEFAULT_DEPARTMENTS)
        if name not in have
    ]
    db.session.add_all(added)
    db.session.flush()
    return added


def _name_taken(street_id: int, name: str, *, other_than: int | None = None) -> None:
    query = sa.select(Department.id).where(
        Department.street_id == street_id, Department.name == name
    )
    if other_than is not None:
        query = query.where(Department.id != other_than)
    if db.session.scalar(query) is not None:
        raise Invalid(errors={"name": [_("本街道已有同名的部门。")]})


def add_department(actor: User, street_id: int, *, name: str) -> Department:
    """The street admin adds a department to her street's list.

    :raise NotFound: not her street (as another community is). :raise Invalid: the name is
    taken in the street.
    """
    if not permissions.can_manage_departments(actor, street_id):
        raise NotFound()
    _name_taken(street_id, name)
    last = db.session.scalar(
        sa.select(sa.func.max(Department.position)).where(Department.street_id == street_id)
    )
    department = Department(street_id=street_id, name=name, position=(last or 0) + 1)
    db.session.add(department)
    db.session.flush()
    return department


def update_department(
    actor: User, department_id: int, *, name: str | None = None, active: bool | None = None
) -> Department:
    """Rename a department or (de)activate it; a deactivated one keeps its history but is no
    longer offered for assignment. Departments are never deleted.

    :raise NotFound: not of her street. :raise Invalid: the new name is taken.
    """
    department = queries.get_department(actor, department_id, for_update=True)
    if name is not None and name != department.name:
        _name_taken(department.street_id, name, other_than=department.id)
        department.name = name
    if active is not None:
        department.active = active
    db.session.flush()
    return department


# --- raising and handling -------------------------------------------------------------------


def _street_admins(street_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(RoleGrant.user_id)
            .where(RoleGrant.role == Role.STREET_ADMIN, RoleGrant.street_id == street_id)
            .distinct()
            .order_by(RoleGrant.user_id)
        )
    )


def _tell_community(escalation: Escalation, title: str, body: str) -> None:
    """The community's secretaries, and the resident who raised the need, hear each step."""
    link = f"/needs/{escalation.need_id}"
    told = set()
    for user_id in recipients.secretaries(escalation.community_id):
        notify(user_id, title, body=body, link=f"/escalations/{escalation.id}")
        told.add(user_id)
    requester = escalation.need.requester_id
    if requester is not None and requester not in told:
        notify(requester, title, body=body, link=link)


def escalate_need(actor: User, need_id: int, *, reason: str, now: datetime) -> Escalation:
    """The secretary raises an open need to the street (吹哨) with the reason the community
    cannot solve it; a need still waiting for review is listed by raising it.

    :raise NotFound: not a need she sees. :raise Forbidden: she does not manage its community.
    :raise NeedNotEscalatable: solved, closed or rejected. :raise AlreadyEscalated: it is
    already with the street (one open escalation per need, a unique index backs this).
    """
    need = need_queries.get_need(actor, need_id, for_update=True)
    require(permissions.can_escalate(actor, need))
    if need.status not in ESCALATABLE:
        raise NeedNotEscalatable.because(need)
    if queries.open_escalation(need.id) is not None:
        raise AlreadyEscalated()
    if need.status is NeedStatus.SUBMITTED:
        needs_service.list_need(actor, need.id)
    escalation = Escalation(
        need=need,
        community_id=need.community_id,
        reason=reason,
        raised_by_id=actor.id,
        raised_at=now,
        status=EscalationStatus.OPEN,
    )
    try:
        with db.session.begin_nested():
            db.session.add(escalation)
            db.session.flush()
    except sa.exc.IntegrityError as error:
        raise AlreadyEscalated() from error
    community = need.community
    for user_id in _street_admins(community.street_id):
        notify(
            user_id,
            _("%(community)s吹哨：%(title)s", community=community.name, title=need.title),
            body=_("原因：%(reason)s", reason=reason),
            link=f"/escalations/{escalation.id}",
        )
    if need.requester_id is not None:
        notify(
            need.requester_id,
            _("您的需求已上报街道"),
            body=_(
                "“%(title)s”已于 %(when)s 由社区上报街道协同处置。",
                title=need.title,
                when=moment_text(now),
            ),
            link=f"/needs/{need.id}",
        )
    return escalation


def _handled(actor: User, escalation_id: int, action: str) -> Escalation:
    escalation = queries.get_escalation(actor, escalation_id, for_update=True)
    require(permissions.can_handle(actor, escalation))
    ESCALATION_FLOW.check(escalation, action)
    return escalation


def _local_day(now: datetime) -> date:
    return now.astimezone(COMMUNITY_TZ).date()


def assign(
    actor: User, escalation_id: int, *, department_ids: list[int], deadline: date, now: datetime
) -> Escalation:
    """The street admin assigns one or more of her street's active departments with a deadline
    (again: more departments or a new deadline while it is handled).

    :raise Forbidden: not her street. :raise IllegalTransition: returned or resolved.
    :raise Invalid: a department not of the street (or deactivated), a deadline before today.
    """
    escalation = _handled(actor, escalation_id, "assign")
    street_id = escalation.community.street_id
    chosen = set(department_ids)
    offered = {d.id: d for d in queries.departments(street_id, active_only=True)}
    if not chosen or chosen - offered.keys():
        raise Invalid(errors={"department_ids": [_("请选择本街道在用的部门。")]})
    if deadline < _local_day(now):
        raise Invalid(errors={"deadline": [_("办理期限不能早于今天。")]})
    have = {a.department_id for a in escalation.assignments}
    added = [offered[i] for i in sorted(chosen - have, key=lambda i: offered[i].position)]
    for department in added:
        db.session.add(
            EscalationDepartment(escalation=escalation, department=department, assigned_at=now)
        )
    first = escalation.status is EscalationStatus.OPEN
    ESCALATION_FLOW.move(escalation, "assign")
    escalation.deadline = deadline
    if first:
        escalation.assigned_at = now
    db.session.flush()
    names = "、".join(d.name for d in escalation.departments)
    _tell_community(
        escalation,
        _("街道已分派：%(title)s", title=escalation.need.title),
        _(
            "街道已分派%(departments)s协同处置，办理期限 %(deadline)s。",
            departments=names,
            deadline=deadline.isoformat(),
        ),
    )
    return escalation


def record(
    actor: User, escalation_id: int, *, department_id: int, on: date, text: str, now: datetime
) -> EscalationEntry:
    """What an assigned department did on a day, written by the street admin.

    :raise IllegalTransition: not being handled. :raise Invalid: a department not assigned to
    it, a day in the future or before it was raised.
    """
    escalation = _handled(actor, escalation_id, "record")
    if department_id not in {a.department_id for a in escalation.assignments}:
        raise Invalid(errors={"department_id": [_("请选择已分派的部门。")]})
    if on > _local_day(now):
        raise Invalid(errors={"on": [_("日期不能晚于今天。")]})
    if on < _local_day(escalation.raised_at):
        raise Invalid(errors={"on": [_("日期不能早于上报街道的日期。")]})
    entry = EscalationEntry(
        escalation=escalation,
        department_id=department_id,
        on=on,
        text=text,
        recorded_by_id=actor.id,
        created_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def resolve(actor: User, escalation_id: int, *, outcome: str, now: datetime) -> Escalation:
    """The street closes the escalation as solved; the need is solved through the needs service
    (its ``resolved_at`` stamped, the resident told).

    :raise IllegalTransition: not assigned yet, or already closed. :raise NeedNoLongerOpen: the
    community rejected or closed the need meanwhile (return it instead).
    """
    escalation = _handled(actor, escalation_id, "resolve")
    need = escalation.need
    if need.status not in (NeedStatus.LISTED, NeedStatus.IN_PROJECT, NeedStatus.RESOLVED):
        raise NeedNoLongerOpen()
    ESCALATION_FLOW.move(escalation, "resolve")
    escalation.outcome = outcome
    escalation.closed_at = now
    escalation.closed_by_id = actor.id
    db.session.flush()
    if need.status is not NeedStatus.RESOLVED:
        names = "、".join(d.name for d in escalation.departments)
        needs_service.resolve_by_street(
            need,
            _("街道协同处置（%(departments)s）：%(outcome)s", departments=names, outcome=outcome),
        )
    for user_id in recipients.secretaries(escalation.community_id):
        notify(
            user_id,
            _("街道已办结：%(title)s", title=need.title),
            body=_("处置结果：%(outcome)s", outcome=outcome),
            link=f"/escalations/{escalation.id}",
        )
    return escalation


def return_to_community(
    actor: User, escalation_id: int, *, reason: str, now: datetime
) -> Escalation:
    """The street hands the need back to the community with a reason; the need stays open with
    the community, which may raise it again.

    :raise IllegalTransition: already returned or resolved.
    """
    escalation = _handled(actor, escalation_id, "return_")
    ESCALATION_FLOW.move(escalation, "return_")
    escalation.return_reason = reason
    escalation.closed_at = now
    escalation.closed_by_id = actor.id
    db.session.flush()
    _tell_community(
        escalation,
        _("街道已退回：%(title)s", title=escalation.need.title),
        _("街道将需求退回社区办理，原因：%(reason)s", reason=reason),
    )
    return escalation

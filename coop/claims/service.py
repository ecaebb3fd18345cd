"""点单认领: claiming projects and deciding claims.

Every change to a project's claims first takes the project's row lock, so slot counting is
serialised per project; the CHECK on ``projects.approved_count`` and the partial unique index on
live claims back the rules up in the database.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from coop import audit
from coop.alliance import queries as alliance_queries
from coop.alliance.models import Membership
from coop.alliance.permissions import liaison_unit_ids, require
from coop.auth.models import User
from coop.claims import errors, permissions, queries
from coop.claims.models import (
    CLAIM_FLOW,
    LIVE,
    LIVE_SQL,
    ORDER_FLOW,
    Claim,
    ClaimantType,
    ClaimStatus,
    ResourceOrder,
    claim_resources,
)
from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.notices import recipients
from coop.notices.changes import moment_text
from coop.notices.service import notify
from coop.people.models import Team
from coop.projects import queries as project_queries
from coop.projects.models import CLAIMABLE, Project, ProjectMode, ProjectStatus
from coop.projects.service import _sync_fullness
from coop.resources.models import Resource, ResourceStatus
from coop.timeutil import COMMUNITY_TZ


def _claimant_team(actor: User, project: Project, team_id: int | None) -> Team:
    """The team of the project's community the actor claims for.

    :raise Invalid: no team chosen, or none of that id in the project's community.
    :raise Forbidden: the actor is neither a current leader of the team nor the community's staff.
    """
    team = db.session.get(Team, team_id) if team_id is not None else None
    if team is None or team.community_id != project.community_id:
        raise Invalid(errors={"team_id": [_("请选择本社区的志愿服务队。")]})
    require(permissions.can_claim_for_team(actor, team))
    return team


def _locked_with_serving_unit(actor: User, project_id: int, now: datetime) -> tuple:
    """For a unit's claim: the project under its lock, and the actor's unit that serves its
    community (the first, by membership) with its membership's row lock, its live agreement and
    the community's limit (``lock_serving_unit``), or None. A unit of hers serving the community
    shows she belongs to it, so her communities need no query of their own.

    :raise NotFound: no such project, or not one she may see.
    """
    project = project_queries.locked_project(project_id)
    unit_ids = liaison_unit_ids(actor)
    serving = None
    if project is not None and unit_ids:
        today = _community_today(now)
        serving = queries.lock_serving_unit(unit_ids, project.community_id, today)
    if project is None or not project_queries.can_see(
        actor, project, community_seen=serving is not None
    ):
        raise NotFound()
    return project, serving


def _claiming_unit(serving, project: Project) -> int:
    """The serving unit's id once it may claim in the project's community: with
    ``_locked_with_serving_unit``, ``_check_unit_may_claim`` in two statements instead of four.

    :raise Forbidden: none of her units serves the community. :raise NoLiveAgreement,
    TooManyOpenClaims: as ``_check_unit_may_claim``.
    """
    if serving is None:
        raise Forbidden(_("只有本社区联盟单位的联络员可以代表单位认领。"))
    if not serving.has_live_agreement:
        raise errors.NoLiveAgreement()
    _check_open_claims(serving.unit_id, project.community_id, serving.max_open_claims)
    return serving.unit_id


def _community_today(now: datetime):
    # Agreements run by the community's calendar: before 08:00 there, UTC is still on yesterday.
    return now.astimezone(COMMUNITY_TZ).date()


def _check_unit_may_claim(unit_id: int, project: Project, now: datetime) -> None:
    """:raise NoLiveAgreement: no agreement today. :raise TooManyOpenClaims: deliver first."""
    today = _community_today(now)
    if alliance_queries.live_agreement(unit_id, project.community_id, today) is None:
        raise errors.NoLiveAgreement()
    # The unit's membership row serialises its claims across projects, so two racing claims
    # cannot both slip under the open-claims limit (the project lock is always taken first).
    db.session.execute(
        sa.select(Membership.id)
        .where(Membership.unit_id == unit_id, Membership.community_id == project.community_id)
        .with_for_update()
    )
    _check_open_claims(unit_id, project.community_id, project.community.max_open_claims)


def _check_open_claims(unit_id: int, community_id: int, limit: int) -> None:
    """:raise TooManyOpenClaims: the unit holds ``limit`` undelivered claims in the community.
    Counted under the unit's membership lock."""
    open_claims = queries.open_claims_of_unit(unit_id, community_id)
    if open_claims >= limit:
        raise errors.TooManyOpenClaims(
            _(
                "贵单位已认领的项目中还有 %(n)d 个未完成，请先完成再认领新的项目。",
                n=open_claims,
            )
        )


def _pledged(unit_id: int, project: Project, resource_ids: list[int]) -> list[Resource]:
    if not resource_ids:
        return []
    resources = list(db.session.scalars(sa.select(Resource).where(Resource.id.in_(resource_ids))))
    if len(resources) != len(set(resource_ids)) or any(
        r.unit_id != unit_id
        or r.community_id != project.community_id
        or r.status is not ResourceStatus.LISTED
        for r in resources
    ):
        raise Invalid(errors={"resource_ids": [_("只能承诺贵单位在本社区已列入清单的资源。")]})
    return resources


def _take_slot(project: Project, claim: Claim) -> None:
    """Approve ``claim`` into a free slot. :raise ProjectFull: none is left."""
    if project.free_slots <= 0:
        raise errors.ProjectFull()
    CLAIM_FLOW.move(claim, "approve")
    project.approved_count += 1
    if project.mode is ProjectMode.TEAM and project.lead_claim_id is None:
        if claim.id is None:
            db.session.flush()
        project.lead_claim_id = claim.id
    _sync_fullness(project)


def _give_slot_back(project: Project, claim: Claim) -> None:
    project.approved_count -= 1
    if project.lead_claim_id == claim.id:
        project.lead_claim_id = db.session.scalar(
            sa.select(Claim.id)
            .where(
                Claim.project_id == project.id,
                Claim.id != claim.id,
                Claim.status.in_((ClaimStatus.APPROVED, ClaimStatus.FULFILLED)),
            )
            .order_by(Claim.decided_at, Claim.id)
            .limit(1)
        )
    _sync_fullness(project)


def _insert_unless_live(dialect: str) -> sa.Insert:
    """INSERT of a claim that does nothing if the claimant holds a live claim on the project
    (the live-claim unique index), returning the new id: no savepoint, no IntegrityError."""
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Claim.__table__)
    return insert.on_conflict_do_nothing(
        index_elements=["project_id", "claimant_key"], index_where=sa.text(LIVE_SQL)
    ).returning(Claim.__table__.c.id)


_INSERT_CLAIM = {name: _insert_unless_live(name) for name in ("postgresql", "sqlite")}


def _claim_in_final_state(
    actor: User,
    project: Project,
    claimant: dict,
    *,
    approve: bool,
    note: str,
    resources,
    now: datetime,
) -> Claim:
    """Insert the claim as it ends up (``approve``: approved into a free slot, else pending),
    with Core, and write the slot and the audit rows the ORM would have.

    The returned Claim is persistent and clean, built from the values inserted rather than
    read back. :raise ProjectFull: no slot left. :raise AlreadyClaimed: the claimant's live
    claim exists.
    """
    if approve and project.free_slots <= 0:
        raise errors.ProjectFull()
    values = {
        "project_id": project.id,
        "unit_id": None,
        "volunteer_id": None,
        "team_id": None,
        **claimant,
        "status": ClaimStatus.APPROVED if approve else ClaimStatus.PENDING,
        "note": note,
        "decision_reason": "",
        "created_by_id": actor.id,
        "created_at": utcnow(),
        "decided_by_id": None,
        "decided_at": now if approve else None,
        "fulfilled_at": None,
    }
    connection = db.session.connection()
    claim_id = connection.scalar(_INSERT_CLAIM[connection.dialect.name], values)
    if claim_id is None:
        raise errors.AlreadyClaimed()
    claim = Claim(id=claim_id, **values)
    make_transient_to_detached(claim)  # as if loaded: the session holds it, nothing to flush
    db.session.add(claim)
    set_committed_value(claim, "resources", list(resources))
    if resources:
        connection.execute(
            claim_resources.insert(),
            [{"claim_id": claim_id, "resource_id": r.id} for r in resources],
        )
    updated = [_slot_taken(connection, project, claim_id)] if approve else []
    audit.record(db.session, created=[claim], updated=updated)
    return claim


_TAKE_SLOT = (
    sa.update(Project.__table__)
    .where(Project.__table__.c.id == sa.bindparam("project_id"))
    .values(version=Project.__table__.c.version + 1)  # as the ORM's version_id_col would
)


def _slot_taken(connection, project: Project, claim_id: int) -> tuple[Project, dict, dict]:
    """``_take_slot`` for a claim inserted approved, as one UPDATE of the locked project; the
    loaded project takes the new values without becoming dirty. Its audit entry."""
    after = {}
    if project.free_slots == 1:
        after["status"] = ProjectStatus.CLAIMED  # _sync_fullness's "fill"
    after["approved_count"] = project.approved_count + 1
    if project.mode is ProjectMode.TEAM and project.lead_claim_id is None:
        after["lead_claim_id"] = claim_id
    before = {key: getattr(project, key) for key in after}
    connection.execute(_TAKE_SLOT, {"project_id": project.id, **after})
    for key, value in {**after, "version": project.version + 1}.items():
        set_committed_value(project, key, value)
    return project, before, after


def claim_project(
    actor: User,
    project_id: int,
    *,
    claimant: ClaimantType,
    now: datetime,
    note: str = "",
    resource_ids: list[int] = (),
    team_id: int | None = None,
) -> Claim:
    """A liaison claims a published project for her unit, a volunteer a routine one for herself,
    or a team's leader (or the community's staff) a routine one for the team.

    :raise NotClaimable: not on the menu, past its deadline, or a team project for a volunteer
    or a volunteer team. :raise Forbidden: not the team's leader nor staff.
    :raise NoLiveAgreement, TooManyOpenClaims: the unit may not claim now.
    :raise AlreadyClaimed: a live claim by the same claimant exists. :raise ProjectFull: no slot.
    """
    if claimant is ClaimantType.UNIT:
        project, serving = _locked_with_serving_unit(actor, project_id, now)
    else:
        project = project_queries.get_project(actor, project_id, for_update=True)
    if project.status is ProjectStatus.CLAIMED:
        raise errors.ProjectFull()
    if project.status not in CLAIMABLE:
        raise errors.NotClaimable()
    if now > project.claim_deadline:
        raise errors.NotClaimable(
            _("该项目的认领已于 %(when)s 截止。", when=_local(project.claim_deadline))
        )
    resources = []
    if claimant is ClaimantType.UNIT:
        unit_id = _claiming_unit(serving, project)
        resources = _pledged(unit_id, project, list(resource_ids))
        values = {"unit_id": unit_id, "claimant_key": f"unit:{unit_id}"}
    elif claimant is ClaimantType.TEAM:
        team = _claimant_team(actor, project, team_id)
        if project.mode is not ProjectMode.ROUTINE:
            raise errors.NotClaimable(_("组团式项目由联盟单位认领，志愿服务队可认领日常型项目。"))
        if resource_ids:
            raise Invalid(errors={"resource_ids": [_("志愿服务队认领不需要承诺资源。")]})
        values = {"team_id": team.id, "claimant_key": f"team:{team.id}"}
    else:
        require(permissions.is_volunteer_of(actor, project.community_id))
        if project.mode is not ProjectMode.ROUTINE:
            raise errors.NotClaimable(_("组团式项目由联盟单位认领，志愿者可认领日常型项目。"))
        if resource_ids:
            raise Invalid(errors={"resource_ids": [_("志愿者认领不需要承诺资源。")]})
        values = {"volunteer_id": actor.id, "claimant_key": f"volunteer:{actor.id}"}
    return _claim_in_final_state(
        actor,
        project,
        {"claimant_type": claimant, **values},
        approve=project.auto_approve,
        note=note,
        resources=resources,
        now=now,
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(COMMUNITY_TZ).strftime("%Y-%m-%d %H:%M")


def _tell_claimant(claim: Claim, project: Project, title: str, body: str) -> None:
    for user_id in recipients.claimant(claim):
        notify(user_id, title, body=body, link=f"/projects/{project.id}")


def _decide(actor: User, claim_id: int) -> tuple[Claim, Project]:
    claim = queries.get_claim(actor, claim_id)
    project = project_queries.get_project(actor, claim.project_id, for_update=True)
    db.session.refresh(claim)
    return claim, project


def approve_claim(actor: User, claim_id: int, *, now: datetime) -> Claim:
    """The secretary approves a pending claim into a free slot. :raise ProjectFull: none left."""
    claim, project = _decide(actor, claim_id)
    require(permissions.can_decide_claims(actor, project.community))
    CLAIM_FLOW.check(claim, "approve")  # an illegal move says so before "full" does
    if claim.unit_id is not None:
        _check_unit_may_claim(claim.unit_id, project, now)
    _take_slot(project, claim)
    claim.decided_by_id, claim.decided_at = actor.id, now
    db.session.flush()
    _tell_claimant(
        claim,
        project,
        _("认领已通过：%(title)s", title=project.title),
        _(
            "社区于 %(when)s 通过了对项目“%(title)s”的认领，请按项目安排开展服务。",
            when=moment_text(now),
            title=project.title,
        ),
    )
    return claim


def reject_claim(actor: User, claim_id: int, *, reason: str, now: datetime) -> Claim:
    """The secretary turns a pending claim down, with a reason the claimant reads."""
    claim, project = _decide(actor, claim_id)
    require(permissions.can_decide_claims(actor, project.community))
    CLAIM_FLOW.move(claim, "reject")
    claim.decision_reason, claim.decided_by_id, claim.decided_at = reason, actor.id, now
    db.session.flush()
    _tell_claimant(
        claim,
        project,
        _("认领未通过：%(title)s", title=project.title),
        _("原因：%(reason)s（%(when)s）", reason=reason, when=moment_text(now)),
    )
    return claim


def withdraw_claim(actor: User, claim_id: int, *, reason: str = "", now: datetime) -> Claim:
    """The claimant takes her claim back; an approved one frees its slot."""
    claim, project = _decide(actor, claim_id)
    require(permissions.is_claimant(actor, claim))
    _withdraw(claim, project, reason=reason, now=now)
    db.session.flush()
    return claim


def _withdraw(claim: Claim, project: Project, *, reason: str, now: datetime) -> None:
    """Withdraw ``claim`` of the locked ``project``; an approved one frees its slot."""
    was_approved = claim.status is ClaimStatus.APPROVED
    CLAIM_FLOW.move(claim, "withdraw")
    claim.decision_reason, claim.decided_at = reason, now
    if was_approved:
        _give_slot_back(project, claim)


def withdraw_claims_of_volunteer(volunteer_id: int, *, reason: str, now: datetime) -> list[Claim]:
    """A departing volunteer's own live claims are withdrawn as her withdrawing would (a unit's
    claims are the unit's and stay). The caller has authorised the departure."""
    done = []
    for claim_id, project_id in queries.live_volunteer_claims_of(volunteer_id):
        project = queries.lock_project(project_id)  # the project first, as everywhere
        claim = db.session.get(Claim, claim_id, populate_existing=True)
        if claim.status not in LIVE:
            continue  # decided while we waited for the lock
        _withdraw(claim, project, reason=reason, now=now)
        done.append(claim)
    db.session.flush()
    return done


def release_claim(actor: User, claim_id: int, *, reason: str, now: datetime) -> Claim:
    """The secretary frees a slot held by a claim that is not being delivered (e.g. stale)."""
    claim, project = _decide(actor, claim_id)
    require(permissions.can_decide_claims(actor, project.community))
    CLAIM_FLOW.move(claim, "release")
    claim.decision_reason, claim.decided_by_id, claim.decided_at = reason, actor.id, now
    _give_slot_back(project, claim)
    db.session.flush()
    _tell_claimant(
        claim,
        project,
        _("认领已释放：%(title)s", title=project.title),
        _(
            "社区于 %(when)s 释放了您对项目“%(title)s”的认领。原因：%(reason)s",
            when=moment_text(now),
            title=project.title,
            reason=reason,
        ),
    )
    return claim


def fulfil_claim(actor: User, claim_id: int, *, now: datetime) -> Claim:
    """The secretary marks the claimant's work delivered; the slot stays taken."""
    claim, project = _decide(actor, claim_id)
    require(permissions.can_decide_claims(actor, project.community))
    CLAIM_FLOW.move(claim, "fulfil")
    claim.fulfilled_at = now
    db.session.flush()
    return claim


def set_lead(actor: User, project_id: int, claim_id: int) -> Project:
    """The secretary picks the lead unit of a team project among its approved claims."""
    project = project_queries.get_project(actor, project_id, for_update=True)
    require(permissions.can_decide_claims(actor, project.community))
    claim = db.session.get(Claim, claim_id)
    if (
        project.mode is not ProjectMode.TEAM
        or claim is None
        or claim.project_id != project.id
        or claim.status not in (ClaimStatus.APPROVED, ClaimStatus.FULFILLED)
    ):
        raise Invalid(errors={"claim_id": [_("请选择本项目已通过的单位认领。")]})
    project.lead_claim_id = claim.id
    db.session.flush()
    return project


def end_claims_of(actor: User, project: Project, *, reason: str) -> None:
    """A cancelled project: pending claims are rejected, approved ones released."""
    for claim in db.session.scalars(
        sa.select(Claim).where(Claim.project_id == project.id, Claim.status.in_(LIVE))
    ):
        action = "reject" if claim.status is ClaimStatus.PENDING else "release"
        CLAIM_FLOW.move(claim, action)
        claim.decision_reason = reason
        _tell_claimant(
            claim,
            project,
            _("项目已取消：%(title)s", title=project.title),
            _("您的认领随之结束。原因：%(reason)s", reason=reason),
        )
    project.approved_count = db.session.scalar(
        sa.select(sa.func.count()).where(
            Claim.project_id == project.id, Claim.status == ClaimStatus.FULFILLED
        )
    )


def order_resource(
    actor: User, project_id: int, resource_id: int, *, note: str = ""
) -> ResourceOrder:
    """资源点单: the secretary asks a unit for one of its listed resources for a project.

    :raise OrderTaken: an order for this resource and project is waiting already.
    :raise UnitHasClaimed: the unit has a live claim on the project (its accepting could only
    add the resource to that claim, so the secretary is told of the claim instead).
    """
    project = project_queries.get_project(actor, project_id, for_update=True)
    require(permissions.can_decide_claims(actor, project.community))
    if project.status not in CLAIMABLE:
        raise errors.NotClaimable()
    resource = db.session.get(Resource, resource_id)
    if (
        resource is None
        or resource.community_id != project.community_id
        or resource.status is not ResourceStatus.LISTED
    ):
        raise Invalid(errors={"resource_id": [_("请选择本社区已列入清单的资源。")]})
    claim = _live_unit_claim(project.id, resource.unit_id)
    if claim is not None:
        raise errors.UnitHasClaimed(
            _(
                "“%(unit)s”已于 %(when)s 认领这个项目（%(status)s），不能再向其点单；"
                "如需该单位的“%(resource)s”，请直接与其联络员商量。",
                unit=claim.unit.name,
                when=_local(claim.created_at),
                status=claim.status.label,
                resource=resource.title,
            )
        )
    order = ResourceOrder(
        project=project,
        resource=resource,
        unit_id=resource.unit_id,
        note=note,
        requested_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(order)
            db.session.flush()
    except sa.exc.IntegrityError as error:
        raise errors.OrderTaken() from error
    body = _(
        "社区希望贵单位以“%(resource)s”支持项目“%(title)s”，请接受或婉拒。",
        resource=resource.title,
        title=project.title,
    )
    if note:
        body += _("留言：%(note)s", note=note)
    for user_id in recipients.liaisons(order.unit_id):
        notify(user_id, _("社区向贵单位点单"), body=body, link="/orders")
    return order


def _live_unit_claim(project_id: int, unit_id: int) -> Claim | None:
    return db.session.scalar(
        sa.select(Claim).where(
            Claim.project_id == project_id,
            Claim.claimant_key == f"unit:{unit_id}",
            Claim.status.in_(LIVE),
        )
    )


def _tell_orderer(order: ResourceOrder, project: Project, title: str, body: str) -> None:
    """Who sent the order hears the answer; an order without a sender, its secretaries."""
    if order.requested_by_id is not None:
        user_ids = [order.requested_by_id]
    else:
        user_ids = recipients.secretaries(project.community_id)
    for user_id in user_ids:
        notify(user_id, title, body=body, link=f"/projects/{project.id}")


def _accepted(order: ResourceOrder, project: Project, now: datetime) -> ResourceOrder:
    _tell_orderer(
        order,
        project,
        _("点单已接受：%(unit)s", unit=order.unit.name),
        _(
            "“%(unit)s”于 %(when)s 接受了项目“%(title)s”的点单（%(resource)s）。",
            unit=order.unit.name,
            when=moment_text(now),
            title=project.title,
            resource=order.resource.title,
        ),
    )
    return order


def accept_order(actor: User, order_id: int, *, now: datetime) -> ResourceOrder:
    """The unit accepts an order: it becomes an approved claim pledging that resource. If the
    unit has meanwhile claimed the project, the resource is pledged on that claim instead, which
    keeps its own status: an order never waits on a claim it cannot become.

    :raise NoLiveAgreement, TooManyOpenClaims, ProjectFull: as for claiming.
    """
    order = queries.get_order(actor, order_id)
    require(order.unit_id in liaison_unit_ids(actor))
    project = project_queries.get_project(actor, order.project_id, for_update=True)
    db.session.refresh(order)
    ORDER_FLOW.move(order, "accept")
    claim = _live_unit_claim(project.id, order.unit_id)
    if claim is not None:
        if order.resource not in claim.resources:
            claim.resources.append(order.resource)
        order.claim = claim
        db.session.flush()
        return _accepted(order, project, now)
    if project.status is ProjectStatus.CLAIMED:
        raise errors.ProjectFull()
    if project.status not in CLAIMABLE:
        raise errors.NotClaimable()
    _check_unit_may_claim(order.unit_id, project, now)
    order.claim = _claim_in_final_state(
        actor,
        project,
        {
            "claimant_type": ClaimantType.UNIT,
            "unit_id": order.unit_id,
            "claimant_key": f"unit:{order.unit_id}",
        },
        approve=True,
        note=order.note,
        resources=[order.resource],
        now=now,
    )
    db.session.flush()
    return _accepted(order, project, now)


def decline_order(actor: User, order_id: int, *, reason: str) -> ResourceOrder:
    """The unit declines, saying why."""
    order = queries.get_order(actor, order_id)
    require(order.unit_id in liaison_unit_ids(actor))
    ORDER_FLOW.move(order, "decline")
    order.reply = reason
    db.session.flush()
    _tell_orderer(
        order,
        order.project,
        _("点单被婉拒：%(unit)s", unit=order.unit.name),
        _(
            "“%(unit)s”婉拒了项目“%(title)s”的点单（%(resource)s）。原因：%(reason)s",
            unit=order.unit.name,
            title=order.project.title,
            resource=order.resource.title,
            reason=reason,
        ),
    )
    return order


def cancel_order(actor: User, order_id: int) -> ResourceOrder:
    """The secretary withdraws an order the unit has not answered."""
    order = queries.get_order(actor, order_id)
    require(permissions.can_decide_claims(actor, order.project.community))
    ORDER_FLOW.move(order, "cancel")
    db.session.flush()
    return order

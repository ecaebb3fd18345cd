"""Named reads of terms, their 六个一 plans, evidence and proposals, scoped to what the actor sees.

A need has no column for when it was resolved; the audit trail has it (every state change is a
row there), so ``resolved_at`` reads the moment it last turned ``resolved``.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coop.activities.models import Activity, ActivityStatus
from coop.alliance.models import Alliance, AllianceOffice, Membership, OfficeRole, Term, Unit
from coop.audit import AuditLog
from coop.auth.models import Role, RoleGrant, User
from coop.errors import NotFound
from coop.extensions import db
from coop.needs.models import Need, NeedStatus
from coop.terms import permissions
from coop.terms.errors import NoPlan
from coop.terms.models import (
    ITEM_EVIDENCE,
    EvidenceType,
    PlanEvidence,
    Proposal,
    TermPlan,
    TermPlanItem,
)
from coop.timeutil import COMMUNITY_TZ, local_midnight

_ONE_DAY = timedelta(days=1)

# Needs that were resolved: still resolved, or closed after it (a rejected need closes too).
WAS_RESOLVED = sa.or_(
    Need.status == NeedStatus.RESOLVED,
    sa.and_(Need.status == NeedStatus.CLOSED, Need.reject_reason == ""),
)


def half_year_of(day: date) -> str:
    """The term's half year as the badge and job periods write it: 2026H2."""
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def half_year_start(day: date) -> date:
    """The first day of the half year (the term) ``day`` falls in: 1 January or 1 July."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def next_half_year_start(day: date) -> date:
    """The day the next term opens after ``day``: 1 July or 1 January."""
    return date(day.year, 7, 1) if day.month <= 6 else date(day.year + 1, 1, 1)


def half_year_end(day: date) -> date:
    """The last day of the half year (the term) ``day`` falls in."""
    return next_half_year_start(day) - timedelta(days=1)


def local_day(moment: datetime) -> date:
    return moment.astimezone(COMMUNITY_TZ).date()


def community_id_of(term: Term) -> int:
    return db.session.scalar(
        sa.select(Alliance.community_id).where(Alliance.id == term.alliance_id)
    )


def get_term(actor: User | None, term_id: int, *, for_update: bool = False) -> Term:
    """:raise NotFound: no such term, or not of the actor's communities."""
    term = db.session.get(Term, term_id, with_for_update=for_update)
    if term is None or not permissions.can_view_term(actor, community_id_of(term)):
        raise NotFound()
    return term


def get_alliance(actor: User | None, alliance_id: int) -> Alliance:
    """:raise NotFound: no such alliance, or not of the actor's communities."""
    alliance = db.session.get(Alliance, alliance_id)
    if alliance is None or not permissions.can_view_term(actor, alliance.community_id):
        raise NotFound()
    return alliance


def plan_of(term_id: int, *, for_update: bool = False) -> TermPlan | None:
    query = (
        sa.select(TermPlan)
        .where(TermPlan.term_id == term_id)
        .options(selectinload(TermPlan.items).selectinload(TermPlanItem.evidence))
    )
    if for_update:
        query = query.with_for_update(of=TermPlan).execution_options(populate_existing=True)
    return db.session.scalar(query)


def require_plan(term_id: int, *, for_update: bool = False) -> TermPlan:
    """:raise NoPlan: the clock has not opened this term's plan."""
    plan = plan_of(term_id, for_update=for_update)
    if plan is None:
        raise NoPlan()
    return plan


def get_item(actor: User | None, item_id: int) -> TermPlanItem:
    """:raise NotFound: no such item, or not of the actor's communities."""
    item = db.session.get(TermPlanItem, item_id)
    if item is None:
        raise NotFound()
    get_term(actor, item.plan.term_id)
    return item


def get_evidence(actor: User | None, evidence_id: int) -> PlanEvidence:
    """:raise NotFound: no such link, or not of the actor's communities."""
    evidence = db.session.get(PlanEvidence, evidence_id)
    if evidence is None:
        raise NotFound()
    get_term(actor, evidence.item.plan.term_id)
    return evidence


def deputy_of(term_id: int) -> AllianceOffice | None:
    return db.session.scalar(
        sa.select(AllianceOffice)
        .where(AllianceOffice.term_id == term_id, AllianceOffice.role == OfficeRole.DEPUTY)
        .options(selectinload(AllianceOffice.unit))
    )


def term_at(alliance_id: int, day: date) -> Term | None:
    """The alliance's term that ``day`` falls in."""
    return db.session.scalar(
        sa.select(Term).where(
            Term.alliance_id == alliance_id, Term.starts_on <= day, Term.ends_on >= day
        )
    )


def latest_term(alliance_id: int) -> Term | None:
    return db.session.scalar(
        sa.select(Term).where(Term.alliance_id == alliance_id).order_by(Term.starts_on.desc())
    )


@dataclass
class TermRow:
    term: Term
    deputy: AllianceOffice | None
    plan: TermPlan | None


def terms_of(alliance_id: int) -> list[TermRow]:
    """The alliance's terms, newest first, each with its deputy and plan (three queries)."""
    terms = list(
        db.session.scalars(
            sa.select(Term).where(Term.alliance_id == alliance_id).order_by(Term.starts_on.desc())
        )
    )
    ids = [t.id for t in terms]
    deputies = {
        o.term_id: o
        for o in db.session.scalars(
            sa.select(AllianceOffice)
            .where(AllianceOffice.term_id.in_(ids), AllianceOffice.role == OfficeRole.DEPUTY)
            .options(selectinload(AllianceOffice.unit))
        )
    }
    plans = {
        p.term_id: p
        for p in db.session.scalars(sa.select(TermPlan).where(TermPlan.term_id.in_(ids)))
    }
    return [TermRow(t, deputies.get(t.id), plans.get(t.id)) for t in terms]


def is_member(unit_id: int, community_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(Membership.id).where(
                Membership.unit_id == unit_id, Membership.community_id == community_id
            )
        )
        is not None
    )


def member_units(community_id: int) -> list[Unit]:
    return list(
        db.session.scalars(
            sa.select(Unit)
            .join(Membership, Membership.unit_id == Unit.id)
            .where(Membership.community_id == community_id)
            .order_by(Unit.kind, Unit.name)
        )
    )


def secretary_ids(community_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(RoleGrant.user_id)
            .where(RoleGrant.role == Role.SECRETARY, RoleGrant.community_id == community_id)
            .distinct()
        )
    )


def resolved_at(need_ids: list[int]) -> dict[int, datetime]:
    """When each need last turned ``resolved``, from the audit trail (absent: never was)."""
    if not need_ids:
        return {}
    rows = db.session.execute(
        sa.select(AuditLog.object_id, AuditLog.at, AuditLog.after)
        .where(
            AuditLog.object_type == Need.__tablename__,
            AuditLog.object_id.in_([str(i) for i in need_ids]),
            AuditLog.action.in_(("create", "update")),
        )
        .order_by(AuditLog.at, AuditLog.id)
    )
    found: dict[int, datetime] = {}
    for object_id, at, after in rows:
        if (after or {}).get("status") == NeedStatus.RESOLVED.value:
            found[int(object_id)] = at
    return found


def linked_keys(plan: TermPlan) -> set[tuple[EvidenceType, int]]:
    return {(e.evidence_type, e.evidence_id) for item in plan.items for e in item.evidence}


def term_window(term: Term) -> tuple[datetime, datetime]:
    """The term's first moment and the first moment after it, community time."""
    return local_midnight(term.starts_on), local_midnight(term.ends_on) + _ONE_DAY


def held_activities(community_id: int, term: Term, now: datetime) -> sa.Select:
    """Sessions of the community that took place in the term (begun by now, not cancelled)."""
    start, finish = term_window(term)
    return (
        sa.select(Activity)
        .where(
            Activity.community_id == community_id,
            Activity.status != ActivityStatus.CANCELLED,
            Activity.starts_at >= start,
            Activity.starts_at < finish,
            Activity.starts_at <= now,
        )
        .order_by(Activity.starts_at.desc(), Activity.id.desc())
    )


def resolved_needs(community_id: int, term: Term) -> list[tuple[Need, datetime]]:
    """The community's needs resolved within the term, with when, latest first."""
    start, finish = term_window(term)
    # A need's updated_at is never earlier than its resolution: a cheap first cut.
    needs = list(
        db.session.scalars(
            sa.select(Need).where(
                Need.community_id == community_id, WAS_RESOLVED, Need.updated_at >= start - _ONE_DAY
            )
        )
    )
    when = resolved_at([n.id for n in needs])
    rows = [(n, when[n.id]) for n in needs if n.id in when and start <= when[n.id] < finish]
    return sorted(rows, key=lambda row: (row[1], row[0].id), reverse=True)


def term_proposals(community_id: int, term_id: int) -> sa.Select:
    return (
        sa.select(Proposal)
        .where(Proposal.community_id == community_id, Proposal.term_id == term_id)
        .order_by(Proposal.created_at.desc(), Proposal.id.desc())
    )


@dataclass
class Candidate:
    evidence_type: EvidenceType
    evidence_id: int
    title: str
    on: date


def candidates(item: TermPlanItem, community_id: int, now: datetime) -> list[Candidate]:
    """What could count for the item: of its evidence type, the community's, in the term, and
    not yet linked anywhere in the plan."""
    plan, term = item.plan, item.plan.term
    taken = linked_keys(plan)
    kind = ITEM_EVIDENCE[item.kind][0]
    if kind is EvidenceType.ACTIVITY:
        rows = [
            Candidate(kind, a.id, a.title, local_day(a.starts_at))
            for a in db.session.scalars(held_activities(community_id, term, now))
        ]
    elif kind is EvidenceType.NEED:
        rows = [
            Candidate(kind, n.id, n.title, local_day(at))
            for n, at in resolved_needs(community_id, term)
        ]
    else:
        rows = [
            Candidate(kind, p.id, p.title, local_day(p.created_at))
            for p in db.session.scalars(term_proposals(community_id, term.id))
        ]
    return [c for c in rows if (c.evidence_type, c.evidence_id) not in taken]


def evidence_details(plan: TermPlan) -> dict[tuple[EvidenceType, int], tuple[str, date | None]]:
    """Title and date of every linked piece of evidence, one query per type."""
    ids: dict[EvidenceType, set[int]] = {t: set() for t in EvidenceType}
    for item in plan.items:
        for e in item.evidence:
            ids[e.evidence_type].add(e.evidence_id)
    found: dict[tuple[EvidenceType, int], tuple[str, date | None]] = {}
    if ids[EvidenceType.ACTIVITY]:
        for a in db.session.scalars(
            sa.select(Activity).where(Activity.id.in_(ids[EvidenceType.ACTIVITY]))
        ):
            found[(EvidenceType.ACTIVITY, a.id)] = (a.title, local_day(a.starts_at))
    if ids[EvidenceType.NEED]:
        need_ids = ids[EvidenceType.NEED]
        when = resolved_at(list(need_ids))
        for n in db.session.scalars(sa.select(Need).where(Need.id.in_(need_ids))):
            at = when.get(n.id)
            found[(EvidenceType.NEED, n.id)] = (n.title, local_day(at) if at else None)
    if ids[EvidenceType.PROPOSAL]:
        for p in db.session.scalars(
            sa.select(Proposal).where(Proposal.id.in_(ids[EvidenceType.PROPOSAL]))
        ):
            found[(EvidenceType.PROPOSAL, p.id)] = (p.title, local_day(p.created_at))
    return found


def proposals_select(community_id: int) -> sa.Select:
    return (
        sa.select(Proposal)
        .where(Proposal.community_id == community_id)
        .order_by(Proposal.created_at.desc(), Proposal.id.desc())
    )


def unit_names(unit_ids: set[int]) -> dict[int, str]:
    if not unit_ids:
        return {}
    return dict(
        db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()
    )


def term_names(term_ids: set[int]) -> dict[int, str]:
    if not term_ids:
        return {}
    return dict(
        db.session.execute(sa.select(Term.id, Term.name).where(Term.id.in_(term_ids))).all()
    )


def term_view(row: TermRow) -> dict:
    """A term as AllianceTermOut and the pages show it."""
    term, plan = row.term, row.plan
    return {
        "id": term.id,
        "alliance_id": term.alliance_id,
        "name": term.name,
        "starts_on": term.starts_on,
        "ends_on": term.ends_on,
        "deputy": row.deputy,
        "plan_status": plan.status if plan else None,
        "plan_status_label": plan.status.label if plan else None,
        "assembly_on": plan.assembly_on if plan else None,
    }


def plan_view(term: Term, plan: TermPlan) -> dict:
    """The plan as PlanOut and the pages show it: each item's count against its target and its
    evidence with titles."""
    details = evidence_details(plan)
    items = []
    for item in plan.items:
        evidence = []
        for e in item.evidence:
            title, on = details.get((e.evidence_type, e.evidence_id), (None, None))
            evidence.append(
                {
                    "id": e.id,
                    "item_id": item.id,
                    "evidence_type": e.evidence_type,
                    "evidence_id": e.evidence_id,
                    "title": title,
                    "on": on,
                    "note": e.note,
                    "linked_at": e.linked_at,
                }
            )
        items.append(
            {
                "id": item.id,
                "kind": item.kind,
                "label": item.kind.label,
                "evidence_type": ITEM_EVIDENCE[item.kind][0],
                "target": item.target,
                "count": len(item.evidence),
                "done": item.done_at is not None,
                "done_at": item.done_at,
                "evidence": evidence,
            }
        )
    return {
        "id": plan.id,
        "term": term_view(TermRow(term, deputy_of(term.id), plan)),
        "status": plan.status,
        "status_label": plan.status.label,
        "assembly_on": plan.assembly_on,
        "done_at": plan.done_at,
        "items": items,
    }

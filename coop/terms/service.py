"""Half-year terms and their 六个一: opened by the clock, led by the deputy the alliance chose.

Rules written down here:

- **Opening** (``open_terms``, the clock on 1 January and 1 July): for every alliance, the half
  year's term (if missing), its plan with the six items at their default targets, and the
  联盟大会 booked on the **first Saturday on or after the 15th of the term's first month** (two
  weeks to prepare, on a day the units' staff are free). The plan waits for the deputy; the
  community's secretaries get one notice asking them to record whom the assembly chose. Opening
  again finds the plan and does nothing, so no second notice. A term whose deputy is already
  recorded opens its plan ``open`` and sends no notice. An alliance with no term today (a
  community set up mid-term) may have its secretary open the half year at once
  (``open_current_term``), the 联盟大会 on a day she picks between today and the term's end.
- **The deputy** is chosen (推选) by the alliance at its assembly (coop.meetings records the
  candidates and the votes or the 协商一致); certifying that choice calls ``choose_deputy``, and
  the clock never picks. Setting it again would replace the choice until the first evidence is
  linked; after that the lead unit is fixed, because the term badge follows it.
- **Evidence** is linked by the secretary once the deputy is recorded (the plan is ``open`` or
  ``done``): an activity of the community held in the term and not cancelled, a need of the
  community resolved in the term, or a proposal filed under the term. One piece counts once per
  plan. An item is done when its evidence reaches its target; the plan is done when all six are,
  and the deputy's unit gets the TERM_LEAD badge for the half year. Unlinking below a target
  reopens the item and the plan and revokes the badge with a reason.

Every function flushes and never commits; every refusal raises before anything is written.
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.activities.models import Activity, ActivityStatus
from coop.alliance import queries as alliance_queries
from coop.alliance.models import Alliance, AllianceOffice, OfficeRole, Term
from coop.auth.models import User
from coop.badges import service as badges
from coop.badges.catalog import TERM_LEAD
from coop.badges.models import Badge, HolderType
from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid
from coop.extensions import db
from coop.jobruns.periods import Cadence
from coop.jobruns.periods import end as period_end
from coop.jobruns.periods import start as period_start
from coop.needs.models import Need, NeedStatus
from coop.notices.service import notify
from coop.terms import permissions, queries
from coop.terms.errors import (
    AlreadyLinked,
    AwaitingDeputy,
    DeputyLocked,
    EvidenceNotCounted,
    EvidenceNotFound,
    NoCurrentTerm,
    NotAMember,
    TermAlreadyOpen,
    WrongEvidenceType,
)
from coop.terms.models import (
    ITEM_EVIDENCE,
    EvidenceType,
    PlanEvidence,
    PlanStatus,
    Proposal,
    TermPlan,
    TermPlanItem,
)

SATURDAY = 5


def assembly_date(starts_on: date) -> date:
    """The 联盟大会: the first Saturday on or after the 15th of the term's first month."""
    fifteenth = starts_on.replace(day=15)
    return fifteenth + timedelta(days=(SATURDAY - fifteenth.weekday()) % 7)


def term_name(starts_on: date) -> str:
    if starts_on.month <= 6:
        return _("%(year)d年上半年", year=starts_on.year)
    return _("%(year)d年下半年", year=starts_on.year)


# ---------------------------------------------------------------- opening (the clock)


def open_terms(period: str, *, now: datetime) -> dict:
    """Open the half year (``2026H2``) for every alliance: term, plan, 联盟大会, one notice.
    Idempotent. :raise BadPeriod: not a half year."""
    counts = {"alliances": 0, "terms": 0, "plans": 0, "notices": 0}
    for alliance_id in db.session.scalars(sa.select(Alliance.id).order_by(Alliance.id)).all():
        opened = open_term_for(alliance_id, period, now=now)
        counts["alliances"] += 1
        for key, value in opened.items():
            counts[key] += value
    return counts


def open_term_for(
    alliance_id: int, period: str, *, now: datetime, assembly_on: date | None = None
) -> dict:
    """Open the half year for one alliance; returns what it created. Idempotent. The 联盟大会
    is booked on ``assembly_on``, by default the rule's day (``assembly_date``)."""
    counts = {"terms": 0, "plans": 0, "notices": 0}
    alliance = db.session.get(Alliance, alliance_id)
    starts_on = period_start(Cadence.HALF_YEARLY, period).date()
    ends_on = period_end(Cadence.HALF_YEARLY, period).date() - timedelta(days=1)
    term = db.session.scalar(
        sa.select(Term).where(Term.alliance_id == alliance.id, Term.starts_on == starts_on)
    )
    if term is None:
        term = Term(
            alliance_id=alliance.id, name=term_name(starts_on), starts_on=starts_on, ends_on=ends_on
        )
        db.session.add(term)
        db.session.flush()
        counts["terms"] += 1
    if queries.plan_of(term.id) is not None:
        return counts
    chosen = queries.deputy_of(term.id) is not None
    plan = TermPlan(
        term_id=term.id,
        status=PlanStatus.OPEN if chosen else PlanStatus.AWAITING_DEPUTY,
        opened_at=now,
    )
    for position, (kind, (_type, target)) in enumerate(ITEM_EVIDENCE.items()):
        plan.items.append(TermPlanItem(kind=kind, position=position, target=target))
    db.session.add(plan)
    db.session.flush()  # the unique term_id stops a second plan if another opener raced us
    counts["plans"] += 1
    from coop.meetings.service import book_assembly  # meetings builds on terms

    book_assembly(term, alliance.community_id, day=assembly_on or assembly_date(starts_on))
    if not chosen:
        for user_id in queries.secretary_ids(alliance.community_id):
            notify(
                user_id,
                _("新一届轮值副书记请在联盟大会上推选后录入"),
                body=_(
                    "%(term)s已开始，联盟大会定于 %(date)s 召开。请在大会上推选本届轮值副书记，"
                    "再在系统中录入推选结果；六个一计划随后开始登记。",
                    term=term.name,
                    date=plan.assembly_on.isoformat(),
                ),
                link=f"/terms/{term.id}",
            )
            counts["notices"] += 1
    return counts


def suggested_assembly_day(today: date, ends_on: date) -> date:
    """For a term opened mid-way: the first Saturday at least two weeks ahead (time to
    prepare, as the rule's day gives), or the term's last day if that comes first."""
    day = today + timedelta(days=14)
    return min(day + timedelta(days=(SATURDAY - day.weekday()) % 7), ends_on)


def open_current_term(
    actor: User, alliance_id: int, *, assembly_on: date | None, now: datetime
) -> Term:
    """The secretary opens the half year's term now, for an alliance that has none today (a
    community set up mid-term, which the clock reaches only at the next half year): the term,
    its plan and the 联盟大会 on the day she chooses, as ``open_term_for`` does. A 联盟大会 she
    has already scheduled in this half year becomes the term's, and no day is asked for.

    :raise NotFound: not an alliance she sees. :raise Forbidden: she is not its secretary.
    :raise TermAlreadyOpen: the half year's term exists. :raise Invalid: no assembly day, one
    not between today and the term's last day, or one other than the scheduled assembly's.
    """
    from coop.meetings.queries import half_year_assembly  # meetings builds on terms

    alliance = queries.get_alliance(actor, alliance_id)
    permissions.require(permissions.can_manage_term(actor, alliance.community_id))
    # Two secretaries opening at once: the second waits here, then finds the term.
    db.session.execute(sa.select(Alliance.id).where(Alliance.id == alliance.id).with_for_update())
    today = queries.local_day(now)
    if queries.term_at(alliance.id, today) is not None:
        raise TermAlreadyOpen()
    ends_on = queries.half_year_end(today)
    scheduled = half_year_assembly(alliance.community_id, today)
    if scheduled is not None:
        if assembly_on is not None and assembly_on != scheduled.local_day:
            message = _(
                "这半年的联盟大会已安排在 %(day)s，开启任期后就是本届的联盟大会；"
                "如需改期，请先取消它。",
                day=scheduled.local_day.isoformat(),
            )
            raise Invalid(errors={"assembly_on": [message]})
    elif assembly_on is None:
        raise Invalid(errors={"assembly_on": [_("请选择联盟大会的日期。")]})
    elif not today <= assembly_on <= ends_on:
        message = _(
            "联盟大会的日期应在今天（%(today)s）到本届任期结束（%(end)s）之间。",
            today=today.isoformat(),
            end=ends_on.isoformat(),
        )
        raise Invalid(errors={"assembly_on": [message]})
    open_term_for(alliance.id, queries.half_year_of(today), now=now, assembly_on=assembly_on)
    return queries.term_at(alliance.id, today)


# ---------------------------------------------------------------- the deputy


def _managed_term(actor: User, term_id: int, *, for_update: bool = False) -> tuple[Term, int]:
    """:raise NotFound: not her community's. :raise Forbidden: she does not manage it."""
    term = queries.get_term(actor, term_id, for_update=for_update)
    community_id = queries.community_id_of(term)
    permissions.require(permissions.can_manage_term(actor, community_id))
    return term, community_id


def choose_deputy(actor: User, term_id: int, *, unit_id: int, holder_name: str) -> AllianceOffice:
    """Set the term's 轮值副书记 to the unit the alliance chose (secretary only); the plan opens.
    Called by ``coop.meetings.service.certify_election``, never from a form where she types a
    unit. Setting it again replaces the choice until evidence is linked.

    :raise NotFound, Forbidden: not her community's term / not its secretary.
    :raise NotAMember: the unit does not serve the community (422).
    :raise DeputyLocked: evidence is already linked to the plan (409).
    """
    term, community_id = _managed_term(actor, term_id, for_update=True)
    if not queries.is_member(unit_id, community_id):
        raise NotAMember()
    plan = queries.plan_of(term.id, for_update=True)
    office = queries.deputy_of(term.id)
    if office is not None and plan is not None and queries.linked_keys(plan):
        raise DeputyLocked()
    if office is None:
        office = AllianceOffice(
            alliance_id=term.alliance_id, role=OfficeRole.DEPUTY, term_id=term.id
        )
        db.session.add(office)
    office.unit_id, office.holder_name = unit_id, holder_name.strip()
    if plan is not None and plan.status is PlanStatus.AWAITING_DEPUTY:
        plan.status = PlanStatus.OPEN
    db.session.flush()
    return office


# ---------------------------------------------------------------- evidence


def _check_evidence(
    evidence_type: EvidenceType, evidence_id: int, community_id: int, term: Term, now: datetime
) -> None:
    """:raise EvidenceNotFound: not the community's. :raise EvidenceNotCounted: not in the term."""
    start, finish = queries.term_window(term)
    dates = _(
        "%(start)s 至 %(end)s", start=term.starts_on.isoformat(), end=term.ends_on.isoformat()
    )
    if evidence_type is EvidenceType.ACTIVITY:
        activity = db.session.get(Activity, evidence_id)
        if activity is None or activity.community_id != community_id:
            raise EvidenceNotFound(_("本社区没有这个活动。"))
        if activity.status is ActivityStatus.CANCELLED:
            raise EvidenceNotCounted(_("活动“%(title)s”已取消，不能计入。", title=activity.title))
        if not start <= activity.starts_at < finish:
            raise EvidenceNotCounted(
                _(
                    "活动“%(title)s”不在本届任期（%(dates)s）内举办。",
                    title=activity.title,
                    dates=dates,
                )
            )
        if activity.starts_at > now:
            raise EvidenceNotCounted(
                _("活动“%(title)s”还没有举办，举办后才能计入。", title=activity.title)
            )
    elif evidence_type is EvidenceType.NEED:
        need = db.session.get(Need, evidence_id)
        if need is None or need.community_id != community_id:
            raise EvidenceNotFound(_("本社区没有这条需求。"))
        resolved = queries.resolved_at([need.id]).get(need.id)
        was_resolved = need.status is NeedStatus.RESOLVED or (
            need.status is NeedStatus.CLOSED and not need.reject_reason
        )
        if resolved is None or not was_resolved:
            raise EvidenceNotCounted(_("需求“%(title)s”还没有解决。", title=need.title))
        if not start <= resolved < finish:
            raise EvidenceNotCounted(
                _(
                    "需求“%(title)s”不是在本届任期（%(dates)s）内解决的。",
                    title=need.title,
                    dates=dates,
                )
            )
    else:
        proposal = db.session.get(Proposal, evidence_id)
        if proposal is None or proposal.community_id != community_id:
            raise EvidenceNotFound(_("本社区没有这条合理化建议。"))
        if proposal.term_id != term.id:
            raise EvidenceNotCounted(
                _("合理化建议“%(title)s”不是本届形成的。", title=proposal.title)
            )


def link_evidence(
    actor: User,
    item_id: int,
    *,
    evidence_type: EvidenceType,
    evidence_id: int,
    note: str = "",
    now: datetime | None = None,
) -> PlanEvidence:
    """Count an activity held, a need resolved or a proposal formed towards a 六个一 item
    (secretary only, once the deputy is recorded). May finish the item, the plan and award the
    term badge.

    :raise NotFound, Forbidden: not her community's item / not its secretary.
    :raise AwaitingDeputy, AlreadyLinked: (409).
    :raise WrongEvidenceType, EvidenceNotFound, EvidenceNotCounted: (422).
    """
    now = now or utcnow()
    item = queries.get_item(actor, item_id)
    term, community_id = _managed_term(actor, item.plan.term_id)
    plan = queries.require_plan(term.id, for_update=True)  # one linker at a time per plan
    item = next(i for i in plan.items if i.id == item_id)
    if plan.status is PlanStatus.AWAITING_DEPUTY:
        raise AwaitingDeputy()
    expected = ITEM_EVIDENCE[item.kind][0]
    evidence_type = EvidenceType(evidence_type)
    if evidence_type is not expected:
        raise WrongEvidenceType(
            _("“%(item)s”的佐证应为%(type)s。", item=item.kind.label, type=type_label(expected))
        )
    _check_evidence(evidence_type, evidence_id, community_id, term, now)
    if (evidence_type, evidence_id) in queries.linked_keys(plan):
        raise AlreadyLinked()
    evidence = PlanEvidence(
        evidence_type=evidence_type,
        evidence_id=evidence_id,
        note=note.strip(),
        linked_by_id=actor.id,
        linked_at=now,
    )
    item.evidence.append(evidence)
    db.session.flush()
    _settle(plan, term, community_id, now=now, changed=item)
    return evidence


def unlink_evidence(actor: User, evidence_id: int, *, now: datetime | None = None) -> TermPlanItem:
    """Take a piece of evidence off its item (secretary only). Falling below the target reopens
    the item and the plan and revokes the term badge with a reason. Returns the item.

    :raise NotFound, Forbidden: not her community's / not its secretary.
    :raise AwaitingDeputy: (409; nothing can be linked before the deputy anyway).
    """
    now = now or utcnow()
    evidence = queries.get_evidence(actor, evidence_id)
    term, community_id = _managed_term(actor, evidence.item.plan.term_id)
    plan = queries.require_plan(term.id, for_update=True)
    if plan.status is PlanStatus.AWAITING_DEPUTY:
        raise AwaitingDeputy()
    item = next(i for i in plan.items if i.id == evidence.item_id)
    item.evidence.remove(evidence)
    db.session.flush()
    _settle(plan, term, community_id, now=now, changed=item)
    return item


def _settle(
    plan: TermPlan, term: Term, community_id: int, *, now: datetime, changed: TermPlanItem
) -> None:
    """Bring the items' and the plan's done state and the term badge in line with the counts."""
    for item in plan.items:
        reached = len(item.evidence) >= item.target
        if reached and item.done_at is None:
            item.done_at = now
        elif not reached and item.done_at is not None:
            item.done_at = None
    all_done = all(item.done_at is not None for item in plan.items)
    deputy = queries.deputy_of(term.id)
    period = queries.half_year_of(term.starts_on)
    if all_done and plan.status is not PlanStatus.DONE:
        plan.status, plan.done_at = PlanStatus.DONE, now
        if deputy is not None and deputy.unit_id is not None:
            badges.grant(
                TERM_LEAD,
                holder_type=HolderType.UNIT,
                holder_id=deputy.unit_id,
                community_id=community_id,
                period=period,
                evidence={
                    "term_id": term.id,
                    "plan_id": plan.id,
                    "items": {i.kind.value: len(i.evidence) for i in plan.items},
                },
                now=now,
            )
    elif not all_done and plan.status is PlanStatus.DONE:
        plan.status, plan.done_at = PlanStatus.OPEN, None
        award = _term_award(deputy, community_id, period)
        if award is not None:
            badges.revoke(
                award,
                reason=_(
                    "撤下佐证后，六个一中的“%(item)s”未达目标（%(count)d/%(target)d）。",
                    item=changed.kind.label,
                    count=len(changed.evidence),
                    target=changed.target,
                ),
                now=now,
            )
    db.session.flush()


def _term_award(deputy: AllianceOffice | None, community_id: int, period: str):
    if deputy is None or deputy.unit_id is None:
        return None
    badge_id = db.session.scalar(sa.select(Badge.id).where(Badge.code == TERM_LEAD))
    if badge_id is None:
        return None
    return badges.find_award(badge_id, HolderType.UNIT, deputy.unit_id, community_id, period)


def term_award(term: Term, community_id: int):
    """The term badge of the term's lead unit, if ever awarded (it may be revoked)."""
    return _term_award(
        queries.deputy_of(term.id), community_id, queries.half_year_of(term.starts_on)
    )


def type_label(evidence_type: EvidenceType) -> str:
    return {
        EvidenceType.ACTIVITY: _("本届举办的活动"),
        EvidenceType.NEED: _("本届解决的需求"),
        EvidenceType.PROPOSAL: _("本届形成的合理化建议"),
    }[evidence_type]


def candidates(actor: User, item_id: int, *, now: datetime | None = None):
    """What the secretary could link to the item: the community's activities held, needs
    resolved or proposals filed in the term, not yet linked in the plan."""
    item = queries.get_item(actor, item_id)
    term = item.plan.term
    return queries.candidates(item, queries.community_id_of(term), now or utcnow())


# ---------------------------------------------------------------- proposals


def add_proposal(
    actor: User,
    community_id: int,
    *,
    title: str,
    body: str = "",
    unit_id: int | None = None,
    now: datetime | None = None,
) -> Proposal:
    """File a 合理化建议 under the alliance's current term (secretary only).

    :raise NotFound, Forbidden: not her community / not its secretary.
    :raise NoCurrentTerm: the alliance has no term today (409).
    :raise NotAMember: the proposing unit does not serve the community (422).
    """
    now = now or utcnow()
    community = alliance_queries.get_community(actor, community_id)
    if not permissions.can_record_proposal(actor, community.id):
        raise Forbidden()
    alliance = community.alliance
    term = queries.term_at(alliance.id, queries.local_day(now)) if alliance else None
    if term is None:
        raise NoCurrentTerm()
    if unit_id is not None and not queries.is_member(unit_id, community.id):
        raise NotAMember()
    proposal = Proposal(
        community_id=community.id,
        term_id=term.id,
        title=title.strip(),
        body=body.strip(),
        unit_id=unit_id,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(proposal)
    db.session.flush()
    return proposal

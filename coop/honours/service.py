"""Honours: the community nominates (with the holder's record computed and kept), the street
approves, sends back with a reason or later revokes with a reason. Nothing is deleted. Services
take the actor, flush and never commit."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.alliance.models import (
    DEFAULT_PIONEER_WEIGHTS,
    Community,
    Honour,
    HonourKind,
    HonourStatus,
    Membership,
    PioneerWeights,
    Unit,
)
from coop.auth.models import Role, RoleGrant, User
from coop.errors import NotFound
from coop.extensions import db
from coop.honours import index, permissions
from coop.honours.errors import (
    AlreadyHonoured,
    BadWeights,
    NotAMember,
    OwnNomination,
    ReasonRequired,
    TeamNotHere,
    WrongState,
    YearNotOpen,
)
from coop.notices import recipients
from coop.notices.service import notify
from coop.people.models import Team, TeamMember
from coop.timeutil import COMMUNITY_TZ

MAX_REASON = 500
MAX_CITATION = 1000


def _street_admins(street_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(RoleGrant.user_id)
            .where(RoleGrant.role == Role.STREET_ADMIN, RoleGrant.street_id == street_id)
            .distinct()
            .order_by(RoleGrant.user_id)
        )
    )


def holder_name(honour: Honour) -> str:
    if honour.unit_id is not None:
        return db.session.get(Unit, honour.unit_id).name
    return db.session.get(Team, honour.team_id).name


def _holder_people(honour: Honour) -> list[int]:
    """The unit's liaisons, or the team's current leaders."""
    if honour.unit_id is not None:
        return recipients.liaisons(honour.unit_id)
    return list(
        db.session.scalars(
            sa.select(TeamMember.user_id).where(
                TeamMember.team_id == honour.team_id,
                TeamMember.is_leader,
                TeamMember.left_on.is_(None),
            )
        )
    )


def _link(honour: Honour) -> str:
    return f"/honours/{honour.id}"


def _record(community_id: int, kind: HonourKind, holder_id: int, year: int, now: datetime) -> dict:
    if kind is HonourKind.PIONEER:
        record = index.unit_record(community_id, holder_id, year, now)
        return record.snapshot(year, index.weights_for(community_id))
    team = next(r for r in index.team_records(community_id, year) if r.team_id == holder_id)
    return team.snapshot(year)


def _live(kind: HonourKind, holder_id: int, year: int) -> Honour | None:
    column = Honour.unit_id if kind is HonourKind.PIONEER else Honour.team_id
    return db.session.scalar(
        sa.select(Honour).where(
            Honour.kind == kind,
            column == holder_id,
            Honour.year == year,
            Honour.status != HonourStatus.REVOKED,
        )
    )


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(errors={"reason": [_("请填写理由。")]})
    if len(reason) > MAX_REASON:
        raise ReasonRequired(
            _("理由不能超过 %(n)d 字。", n=MAX_REASON), errors={"reason": [_("理由过长。")]}
        )
    return reason


def nominate(
    actor: User,
    community_id: int,
    *,
    kind: HonourKind | str,
    holder_id: int,
    year: int,
    citation: str = "",
    now: datetime,
) -> Honour:
    """Nominate a member unit for 同心共建先锋 or a team of the community for 最美志愿服务队, for
    this year or last, with its record computed now and kept. A returned nomination of the same
    holder and year is resubmitted (record recomputed). :raise NotFound, Forbidden, NotAMember,
    TeamNotHere, YearNotOpen, AlreadyHonoured:"""
    community = db.session.get(Community, community_id)
    if community is None or not permissions.can_view_honours(actor, community):
        raise NotFound()
    permissions.require(permissions.can_nominate(actor, community))
    kind = HonourKind(kind)
    this_year = now.astimezone(COMMUNITY_TZ).year
    if year not in (this_year, this_year - 1):
        raise YearNotOpen(errors={"year": [_("只能提名今年或去年的荣誉。")]})
    citation = (citation or "").strip()
    if len(citation) > MAX_CITATION:
        raise ReasonRequired(
            _("推荐理由不能超过 %(n)d 字。", n=MAX_CITATION),
            errors={"citation": [_("推荐理由过长。")]},
        )
    if kind is HonourKind.PIONEER:
        member = db.session.scalar(
            sa.select(Membership.id).where(
                Membership.unit_id == holder_id, Membership.community_id == community.id
            )
        )
        if member is None:
            raise NotAMember(errors={"holder_id": [_("该单位不是本社区联盟的成员单位。")]})
    else:
        team = db.session.get(Team, holder_id)
        if team is None or team.community_id != community.id:
            raise TeamNotHere(errors={"holder_id": [_("该志愿服务队不属于本社区。")]})
    record = _record(community.id, kind, holder_id, year, now)
    existing = _live(kind, holder_id, year)
    if existing is not None:
        if existing.status is not HonourStatus.RETURNED or existing.community_id != community.id:
            raise AlreadyHonoured()
        honour = existing
        honour.status = HonourStatus.NOMINATED
        honour.record = record
        honour.citation = citation
        honour.nominated_by_id = actor.id
        honour.nominated_at = now
        honour.decided_by_id = honour.decided_at = None
        db.session.flush()
    else:
        honour = Honour(
            kind=kind,
            community_id=community.id,
            unit_id=holder_id if kind is HonourKind.PIONEER else None,
            team_id=holder_id if kind is HonourKind.TEAM else None,
            year=year,
            status=HonourStatus.NOMINATED,
            citation=citation,
            record=record,
            nominated_by_id=actor.id,
            nominated_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(honour)
                db.session.flush()
        except sa.exc.IntegrityError as error:  # a racing nomination of the same holder and year
            raise AlreadyHonoured() from error
    name = holder_name(honour)
    for user_id in _street_admins(community.street_id):
        notify(
            user_id,
            _(
                "%(community)s提名%(title)s：%(name)s",
                community=community.name,
                title=honour.title,
                name=name,
            ),
            body=_("%(year)d 年度，待街道审批。", year=year),
            link=_link(honour),
        )
    return honour


def _decidable(actor: User, honour_id: int) -> Honour:
    honour = db.session.get(Honour, honour_id, with_for_update=True)
    if honour is None or not permissions.can_view_honours(actor, honour.community):
        raise NotFound()
    permissions.require(permissions.can_decide(actor, honour.community))
    return honour


def approve(actor: User, honour_id: int, *, now: datetime) -> Honour:
    """The street approves a waiting nomination; never the one who nominated it.
    :raise NotFound, Forbidden, OwnNomination, WrongState:"""
    honour = _decidable(actor, honour_id)
    if honour.nominated_by_id == actor.id:
        raise OwnNomination()
    if honour.status is not HonourStatus.NOMINATED:
        raise WrongState()
    honour.status = HonourStatus.APPROVED
    honour.decided_by_id, honour.decided_at = actor.id, now
    db.session.flush()
    name = holder_name(honour)
    title = _(
        "荣誉已授予：%(name)s获评%(year)d 年度%(title)s",
        name=name,
        year=honour.year,
        title=honour.title,
    )
    told = set()
    for user_id in [*recipients.secretaries(honour.community_id), *_holder_people(honour)]:
        if user_id not in told:
            told.add(user_id)
            notify(user_id, title, link=_link(honour))
    return honour


def send_back(actor: User, honour_id: int, *, reason: str, now: datetime) -> Honour:
    """The street sends a waiting nomination back with a reason; the community may resubmit.
    :raise NotFound, Forbidden, OwnNomination, WrongState, ReasonRequired:"""
    honour = _decidable(actor, honour_id)
    if honour.nominated_by_id == actor.id:
        raise OwnNomination()
    if honour.status is not HonourStatus.NOMINATED:
        raise WrongState()
    honour.return_reason = _reason(reason)
    honour.status = HonourStatus.RETURNED
    honour.decided_by_id, honour.decided_at = actor.id, now
    db.session.flush()
    for user_id in recipients.secretaries(honour.community_id):
        notify(
            user_id,
            _("提名被退回：%(name)s（%(title)s）", name=holder_name(honour), title=honour.title),
            body=honour.return_reason,
            link=_link(honour),
        )
    return honour


def revoke(actor: User, honour_id: int, *, reason: str, now: datetime) -> Honour:
    """The street revokes an approved honour with a reason; the row and the reason stay.
    :raise NotFound, Forbidden, WrongState, ReasonRequired:"""
    honour = _decidable(actor, honour_id)
    if honour.status is not HonourStatus.APPROVED:
        raise WrongState()
    honour.revoke_reason = _reason(reason)
    honour.status = HonourStatus.REVOKED
    honour.revoked_by_id, honour.revoked_at = actor.id, now
    db.session.flush()
    told = set()
    title = _(
        "荣誉已撤销：%(name)s（%(year)d 年度%(title)s）",
        name=holder_name(honour),
        year=honour.year,
        title=honour.title,
    )
    for user_id in [*recipients.secretaries(honour.community_id), *_holder_people(honour)]:
        if user_id not in told:
            told.add(user_id)
            notify(user_id, title, body=honour.revoke_reason, link=_link(honour))
    return honour


def set_weights(actor: User, community_id: int, weights: dict, *, now: datetime) -> dict:
    """The secretary sets the 先锋指数 weights: whole numbers 0–100 that sum to 100.
    :raise NotFound, Forbidden, BadWeights:"""
    community = db.session.get(Community, community_id)
    if community is None or not permissions.can_view_honours(actor, community):
        raise NotFound()
    permissions.require(permissions.can_nominate(actor, community))
    clean: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for part in DEFAULT_PIONEER_WEIGHTS:
        value = weights.get(part)
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            errors[part] = [_("请填写 0–100 的整数。")]
            continue
        if not 0 <= number <= 100:
            errors[part] = [_("请填写 0–100 的整数。")]
        clean[part] = number
    if errors:
        raise BadWeights(errors=errors)
    if sum(clean.values()) != 100:
        raise BadWeights(
            _("各项权重合计须为 100，现为 %(n)d。", n=sum(clean.values())),
            errors={"_schema": [_("合计须为 100。")]},
        )
    row = db.session.scalar(
        sa.select(PioneerWeights).where(PioneerWeights.community_id == community.id)
    )
    if row is None:
        row = PioneerWeights(community_id=community.id)
        db.session.add(row)
    for part, number in clean.items():
        setattr(row, part, number)
    row.updated_by_id, row.updated_at = actor.id, now
    db.session.flush()
    return row.as_dict()

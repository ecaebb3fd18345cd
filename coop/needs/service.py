"""The demand list's rules: recording, residents' own needs, and moving a need along."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.alliance import queries as alliance_queries
from coop.alliance.models import Neighbourhood
from coop.alliance.permissions import require
from coop.audit import AuditLog, current_actor_id
from coop.auth.models import User
from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid
from coop.extensions import db
from coop.needs import permissions, queries, time_limits
from coop.needs.errors import NeedFinished, NeedNotEditable
from coop.needs.models import (
    NEED_FLOW,
    Beneficiary,
    Need,
    NeedHandover,
    NeedSource,
    NeedStatus,
    commitment_for,
)
from coop.notices import recipients
from coop.notices.changes import moment_text
from coop.notices.service import notify
from coop.versioning import check_version


def _check_neighbourhood(community_id: int, neighbourhood_id: int | None) -> None:
    if neighbourhood_id is None:
        return
    neighbourhood = db.session.get(Neighbourhood, neighbourhood_id)
    if neighbourhood is None or neighbourhood.community_id != community_id:
        raise Invalid(errors={"neighbourhood_id": [_("请选择本社区的邻里单元。")]})


def record_need(actor: User, community_id: int, **fields) -> Need:
    """The secretary records a need as it arrives; it goes straight onto the list.

    :raise Forbidden: she does not manage the community. :raise Invalid: foreign neighbourhood.
    """
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_manage_needs(actor, community))
    if fields.get("beneficiary_group") is None:  # staff classify what they record
        raise Invalid(errors={"beneficiary_group": [_("此项必填。")]})
    _check_neighbourhood(community.id, fields.get("neighbourhood_id"))
    need = Need(
        community_id=community.id,
        created_by_id=actor.id,
        owner_id=actor.id,  # 首问负责: who recorded it answers for it
        status=NeedStatus.LISTED,
        **fields,
    )
    db.session.add(need)
    db.session.flush()
    return need


def submit_need(actor: User, community_id: int, **fields) -> Need:
    """A resident raises her own need from her phone; the secretary then lists or rejects it.

    :raise Forbidden: she is not a resident or volunteer of the community.
    """
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_submit_need(actor, community))
    _check_neighbourhood(community.id, fields.get("neighbourhood_id"))
    resident = getattr(actor, "resident", None)
    fields.setdefault("beneficiary_group", Beneficiary.RESIDENTS)  # staff reclassify if needed
    need = Need(
        community_id=community.id,
        source=NeedSource.RESIDENT,
        requester_id=actor.id,
        requester_name=actor.display_name,
        requester_phone=actor.phone or "",
        requester_address=resident.address if resident else "",
        created_by_id=actor.id,
        status=NeedStatus.SUBMITTED,
        **fields,
    )
    db.session.add(need)
    db.session.flush()
    return need


def editable_fields(actor: User, need: Need) -> frozenset[str]:
    """What the actor may change in the need now: the fields of its 编辑 page.

    :raise Forbidden: neither its community's staff nor its requester. :raise NeedNotEditable:
    its state allows her no change (the message names the state).
    """
    staff = permissions.can_manage_needs(actor, need.community)
    if not staff and not permissions.is_requester(actor, need):
        raise Forbidden()
    allowed = permissions.need_edit_fields(actor, need)
    if not allowed:
        raise NeedNotEditable.because(need, staff=staff)
    return allowed


def edit_need(actor: User, need_id: int, *, version: int, **changes) -> Need:
    """Correct a need within what its state lets the actor change (``editable_fields``); only
    the fields given change.

    :raise Forbidden, NeedNotEditable: see ``editable_fields``; NeedNotEditable also when a
    need past the list gets more than its notes. :raise VersionConflict: someone saved it since
    ``version``. :raise Invalid: a field she may not change, another community's neighbourhood.
    """
    need = queries.get_need(actor, need_id, for_update=True)
    public = changes.pop("public", None)
    if public is not None:  # on the 公示栏 or not: staff decide in any state
        require(permissions.can_manage_needs(actor, need.community))
    allowed = editable_fields(actor, need) if changes or public is None else frozenset()
    check_version(need, version)
    refused = changes.keys() - allowed
    if refused and allowed == {"notes"}:
        raise NeedNotEditable.because(need, staff=True, notes_only=True)
    if refused:
        raise Invalid(errors={name: [_("此项不能修改。")] for name in sorted(refused)})
    _check_neighbourhood(need.community_id, changes.get("neighbourhood_id"))
    reclassified = False
    for name, value in changes.items():
        if getattr(need, name) != value:
            setattr(need, name, value)
            reclassified |= name in ("category", "urgency")
    if public is not None and need.public != public:  # after a new group, which may hide it
        need.public = public
    if reclassified and need.status in time_limits.OPEN:
        # A corrected urgency or category is what it always was: its commitment, from arrival
        # (the time to solve a reopened need from its reopening).
        respond, resolve = commitment_for(
            db.session.connection(), need.community_id, need.category, need.urgency
        )
        need.respond_by = need.created_at + respond
        need.resolve_by = time_limits.clock_start(need) + resolve
    db.session.flush()
    return need


def set_need_public(actor: User, need_id: int, public: bool) -> Need:
    """Show a need (anonymised) on the community's 公示栏, or keep a sensitive one off it; its
    staff decide, in any state. :raise Forbidden: not its community's staff."""
    need = queries.get_need(actor, need_id, for_update=True)
    require(permissions.can_manage_needs(actor, need.community))
    if need.public != public:
        need.public = public
        db.session.flush()
    return need


def _move(actor: User, need_id: int, action: str) -> Need:
    need = queries.get_need(actor, need_id, for_update=True)
    require(permissions.can_manage_needs(actor, need.community))
    NEED_FLOW.move(need, action)
    if need.owner_id is None and action in ("list", "reject"):
        need.owner_id = actor.id  # 首问负责: a resident's need is hers who answered it first
    return need


def _tell_requester(need: Need, title: str, body: str) -> None:
    """The resident who raised the need hears each step of it (needs staff recorded have none)."""
    if need.requester_id is not None:
        notify(need.requester_id, title, body=body, link=f"/needs/{need.id}")


def list_need(actor: User, need_id: int) -> Need:
    """Accept a submitted need onto the demand list. :raise IllegalTransition: not submitted."""
    need = _move(actor, need_id, "list")
    db.session.flush()
    _tell_requester(
        need,
        _("您的需求已受理"),
        _(
            "“%(title)s”已于 %(when)s 列入社区服务需求清单，社区会尽快安排。",
            title=need.title,
            when=moment_text(utcnow()),
        ),
    )
    return need


def reject_need(actor: User, need_id: int, *, reason: str) -> Need:
    """Decline a need with a reason the resident reads on her phone."""
    need = _move(actor, need_id, "reject")
    need.reject_reason = reason
    db.session.flush()
    _tell_requester(
        need,
        _("您的需求未能受理"),
        _("“%(title)s”未能受理，原因：%(reason)s", title=need.title, reason=reason),
    )
    return need


def _tell_resolved(need: Need) -> None:
    body = _("“%(title)s”已于 %(when)s 解决。", title=need.title, when=moment_text(utcnow()))
    if need.resolution:
        body += need.resolution
    _tell_requester(need, _("您的需求已解决"), body)


def resolve_need(actor: User, need_id: int, *, resolution: str = "") -> Need:
    """Mark a need solved, on the list or in a project."""
    need = _move(actor, need_id, "resolve")
    need.resolution = resolution
    db.session.flush()
    _tell_resolved(need)
    return need


def close_need(actor: User, need_id: int) -> Need:
    """Archive a resolved or rejected need."""
    need = _move(actor, need_id, "close")
    db.session.flush()
    return need


def reveal_requester(actor: User, need_id: int, *, reason: str) -> dict:
    """The requester's full phone and address, for staff only, with the reason logged.

    :raise Forbidden: the actor may not reveal personal data.
    """
    need = queries.get_need(actor, need_id)
    require(permissions.can_reveal_requester(actor, need))
    db.session.add(
        AuditLog(
            at=utcnow(),
            actor_id=current_actor_id.get() or actor.id,
            action="reveal",
            object_type="needs",
            object_id=str(need.id),
            before=None,
            after={"fields": ["requester_phone", "requester_address"], "reason": reason},
        )
    )
    db.session.flush()
    return {"phone": need.requester_phone, "address": need.requester_address}


def compile_into(project, need_ids: list[int]) -> list[Need]:
    """Put listed needs of the project's community into it (the projects service calls this).

    :raise Invalid: a need is not the community's or is not on the list.
    """
    needs = list(
        db.session.scalars(
            sa.select(Need).where(Need.id.in_(need_ids)).with_for_update().order_by(Need.id)
        )
    )
    if len(needs) != len(set(need_ids)) or any(
        n.community_id != project.community_id for n in needs
    ):
        raise Invalid(errors={"need_ids": [_("请选择本社区清单中的需求。")]})
    for need in needs:
        if need.project_id != project.id:
            if need.status is not NeedStatus.LISTED:
                raise Invalid(errors={"need_ids": [_("只有“已列入清单”的需求可以纳入项目。")]})
            NEED_FLOW.move(need, "compile")
            need.project_id = project.id
            _tell_requester(
                need,
                _("您的需求已纳入服务项目"),
                _(
                    "“%(need)s”已于 %(when)s 纳入项目“%(project)s”，社区正在安排人员服务。",
                    need=need.title,
                    when=moment_text(utcnow()),
                    project=project.title,
                ),
            )
    return needs


def reopen_need(need: Need, *, now: datetime) -> None:
    """A low rating sends a solved (or archived) need back to the list (回访; the ratings
    service calls this): open again, as if this solution had not been, until solved again.
    It leaves its finished project, loses the solution's stamps and text, and is due afresh
    from ``now`` by the commitment in force (docs/decisions.md, "A reopened need"). The earlier
    solution stays in its record (the audit log) and the rating that reopened it."""
    NEED_FLOW.move(need, "reopen")
    need.project_id = None  # out of the finished project, as ``release`` does
    need.in_project_at = need.resolved_at = need.closed_at = None
    need.resolution = ""
    _respond, resolve = commitment_for(
        db.session.connection(), need.community_id, need.category, need.urgency
    )
    need.resolve_by = now + resolve


def release_need(need: Need) -> None:
    """Take a need out of its project and put it back on the list; the stamp of entering it
    goes too (the 公示栏 would show 纳入项目 reached), and a next project stamps anew."""
    if need.status is NeedStatus.IN_PROJECT:
        NEED_FLOW.move(need, "release")
    need.project_id = None
    need.in_project_at = None


def release_from(project) -> None:
    """A cancelled project gives its open needs back to the list."""
    for need in list(project.needs):
        if need.status is NeedStatus.IN_PROJECT:
            release_need(need)


def resolve_with(project) -> None:
    """A completed project resolves the needs it was compiled from."""
    for need in project.needs:
        if need.status is NeedStatus.IN_PROJECT:
            NEED_FLOW.move(need, "resolve")
            need.resolution = _("已通过项目“%(title)s”解决。", title=project.title)
            _tell_resolved(need)


def resolve_by_street(need: Need, resolution: str) -> None:
    """The street solved a need raised to it (街道吹哨): solved like any other, resident told."""
    NEED_FLOW.move(need, "resolve")
    need.resolution = resolution
    _tell_resolved(need)


def community_staff(community_id: int) -> list[User]:
    """Who may own the community's needs: its secretaries and 社区工作者, by name."""
    ids = recipients.secretaries(community_id)
    return list(
        db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.display_name))
    )


def hand_over_need(actor: User, need_id: int, *, to_id: int, reason: str) -> NeedHandover:
    """首问负责: the community's staff pass an open need to another of its staff (or give an
    unowned one its first owner), with a reason; the new owner is told.

    :raise Forbidden: the actor does not manage the community. :raise NeedFinished: the need
    is no longer open. :raise Invalid: ``to_id`` is not staff of the need's community, or
    already owns it.
    """
    need = queries.get_need(actor, need_id, for_update=True)
    require(permissions.can_manage_needs(actor, need.community))
    if need.status not in time_limits.OPEN:
        raise NeedFinished()
    if to_id not in recipients.secretaries(need.community_id):
        raise Invalid(errors={"to_id": [_("请选择本社区的工作人员。")]})
    if to_id == need.owner_id:
        raise Invalid(errors={"to_id": [_("这位工作人员已是负责人。")]})
    handover = NeedHandover(
        need=need, from_id=need.owner_id, to_id=to_id, by_id=actor.id, reason=reason, at=utcnow()
    )
    db.session.add(handover)
    need.owner_id = to_id
    db.session.flush()
    if to_id != actor.id:
        notify(
            to_id,
            _("您成为需求负责人：%(title)s", title=need.title),
            body=_(
                "%(who)s 将这条需求交给您负责，原因：%(reason)s",
                who=actor.display_name,
                reason=reason,
            ),
            link=f"/needs/{need.id}",
        )
    return handover

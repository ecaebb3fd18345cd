"""The project list's rules: compile from needs, publish, run, complete, cancel."""

from datetime import datetime

from flask_babel import gettext as _

from coop.activities import queries as activities_queries
from coop.activities import service as activities_service
from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, require
from coop.auth.models import User
from coop.claims import queries as claims_queries
from coop.errors import Invalid
from coop.extensions import db
from coop.needs import service as needs_service
from coop.notices import changes as words
from coop.notices.service import notify
from coop.projects import permissions, queries
from coop.projects.errors import ProjectNotEditable
from coop.projects.models import PROJECT_FLOW, Project, ProjectMode, ProjectStatus
from coop.versioning import check_version, touch


def _check_shape(fields: dict) -> None:
    """Rules across fields, checked again whenever a PATCH changes one of them."""
    errors = {}
    if fields["mode"] is ProjectMode.ROUTINE and fields["slots"] != 1:
        errors["slots"] = [_("日常型项目只有 1 个认领名额。")]
    if fields["ends_at"] <= fields["starts_at"]:
        errors["ends_at"] = [_("结束时间必须晚于开始时间。")]
    if fields["claim_deadline"] > fields["starts_at"]:
        errors["claim_deadline"] = [_("认领截止时间不能晚于项目开始时间。")]
    if errors:
        raise Invalid(errors=errors)


def create_project(actor: User, community_id: int, *, need_ids: list[int], **fields) -> Project:
    """The secretary compiles a draft project from listed needs of her community.

    :raise Forbidden: she does not manage the community. :raise Invalid: bad shape or needs.
    """
    community = alliance_queries.get_community(actor, community_id)
    require(can_manage_community(actor, community))
    fields.setdefault("slots", 1)
    _check_shape(fields)
    project = Project(community_id=community.id, created_by_id=actor.id, **fields)
    db.session.add(project)
    db.session.flush()
    needs_service.compile_into(project, need_ids)
    db.session.flush()
    db.session.refresh(project, ["needs"])
    return project


def editable_fields(actor: User, project: Project) -> frozenset[str]:
    """What the secretary may change in the project now: the fields of its 编辑 page.

    :raise Forbidden: she does not manage its community. :raise ProjectNotEditable: it is past
    claiming (the message names its state).
    """
    require(can_manage_community(actor, project.community))
    allowed = permissions.project_edit_fields(actor, project)
    if not allowed:
        raise ProjectNotEditable(
            _("项目当前为“%(state)s”，不能再修改。", state=project.status.label)
        )
    return allowed


def edit_project(
    actor: User, project_id: int, *, version: int, now: datetime, **changes
) -> Project:
    """Change a project by the rules that created it; only the fields given change. A draft
    changes whole; a published or claimed one keeps its needs, category, mode and approval
    rule, its slots never drop below the approved claims, its sessions stay within its days and
    a new claim deadline lies ahead. Its live claimants are told what changed, and volunteers
    signed up for its coming sessions what changed in its schedule.

    :raise Forbidden, ProjectNotEditable: see ``editable_fields``; ProjectNotEditable also for
    a DRAFT_ONLY field of a published project. :raise VersionConflict: someone saved it since
    ``version``. :raise Invalid: the field named breaks a rule.
    """
    project = queries.get_project(actor, project_id, for_update=True)
    allowed = editable_fields(actor, project)
    check_version(project, version)
    if changes.keys() - allowed:
        raise ProjectNotEditable(_("项目发布后不能再修改需求、类别、方式和审核规则。"))
    if changes.get("slots", project.slots) < project.approved_count:
        message = _("名额不能少于已通过的认领数（%(n)d 个）。", n=project.approved_count)
        raise Invalid(errors={"slots": [message]})
    shape = {
        name: changes.get(name, getattr(project, name))
        for name in ("mode", "slots", "starts_at", "ends_at", "claim_deadline")
    }
    _check_shape(shape)
    moved = shape["claim_deadline"] != project.claim_deadline
    # A draft's deadline is checked when it is published; claimants may rely on a live one.
    if moved and project.status is not ProjectStatus.DRAFT and shape["claim_deadline"] <= now:
        raise Invalid(errors={"claim_deadline": [_("认领截止时间不能早于现在。")]})
    if (shape["starts_at"], shape["ends_at"]) != (project.starts_at, project.ends_at):
        activities_service.check_sessions_within(
            project, starts_at=shape["starts_at"], ends_at=shape["ends_at"]
        )
    before = _told(project)
    if "need_ids" in changes:
        wanted = set(changes.pop("need_ids"))
        if wanted != {need.id for need in project.needs}:
            for need in list(project.needs):
                if need.id not in wanted:
                    needs_service.release_need(need)
            needs_service.compile_into(project, sorted(wanted))
            touch(project, "title")  # its needs are part of what the version covers
    for name, value in changes.items():
        if getattr(project, name) != value:
            setattr(project, name, value)
    _sync_fullness(project)
    db.session.flush()
    db.session.refresh(project, ["needs"])
    _tell_about_changes(project, before, now)
    return project


def _told(project: Project) -> dict:
    return {
        "title": project.title,
        "time": (project.starts_at, project.ends_at),
        "schedule": project.schedule,
        "claim_deadline": project.claim_deadline,
        "slots": project.slots,
        "volunteer_capacity": project.volunteer_capacity,
        "description": project.description,
    }


def _tell_about_changes(project: Project, before: dict, now: datetime) -> None:
    """One notice each: to the live claimants with every change, to the volunteers signed up
    for its coming sessions (who are not claimants) with the changes to its schedule."""
    after = _told(project)
    changed = {name for name in after if after[name] != before[name]}
    if not changed:
        return
    lines = {}
    if "title" in changed:
        lines["title"] = words.changed(_("项目名称"), before["title"], after["title"])
    if "time" in changed:
        old, new = (words.span_text(*x["time"]) for x in (before, after))
        lines["time"] = words.changed(_("时间"), old, new)
    if "schedule" in changed:
        old, new = (x["schedule"] or _("（未填）") for x in (before, after))
        lines["schedule"] = words.changed(_("服务时间安排"), old, new)
    if "claim_deadline" in changed:
        old, new = (words.moment_text(x["claim_deadline"]) for x in (before, after))
        lines["claim_deadline"] = words.changed(_("认领截止"), old, new)
    if "slots" in changed:
        lines["slots"] = words.changed(_("认领名额"), before["slots"], after["slots"])
    if "volunteer_capacity" in changed:
        old, new = before["volunteer_capacity"], after["volunteer_capacity"]
        lines["volunteer_capacity"] = words.changed(_("需要志愿者人数"), old, new)
    if "description" in changed:
        lines["description"] = _("项目内容有更新，请查看项目页。")
    title = _("项目“%(title)s”有变更", title=project.title)
    link = f"/projects/{project.id}"
    claimants = claims_queries.live_claimant_user_ids(project.id)
    for user_id in sorted(claimants):
        notify(user_id, title, body=words.body(list(lines.values())), link=link)
    schedule = [lines[name] for name in ("time", "schedule") if name in lines]
    if schedule:
        volunteers = activities_queries.volunteers_signed_up_for_project(project.id, now)
        for user_id in sorted(volunteers - claimants):
            notify(user_id, title, body=words.body(schedule), link=link)


def _sync_fullness(project: Project) -> None:
    """Published ↔ claimed follows whether every slot is taken."""
    if project.status is ProjectStatus.PUBLISHED and project.free_slots == 0:
        PROJECT_FLOW.move(project, "fill")
    elif project.status is ProjectStatus.CLAIMED and project.free_slots > 0:
        PROJECT_FLOW.move(project, "reopen")


def publish_project(actor: User, project_id: int, *, now: datetime) -> Project:
    """Put a draft on the menu. :raise Invalid: no needs, or the claim deadline has passed."""
    project = queries.get_project(actor, project_id, for_update=True)
    require(can_manage_community(actor, project.community))
    PROJECT_FLOW.check(project, "publish")
    if not project.needs:
        raise Invalid(errors={"need_ids": [_("项目至少要来自一条需求。")]})
    if project.claim_deadline <= now:
        raise Invalid(errors={"claim_deadline": [_("认领截止时间已过，请先修改。")]})
    PROJECT_FLOW.move(project, "publish")
    project.published_at = now
    db.session.flush()
    return project


def start_project(actor: User, project_id: int) -> Project:
    """Work begins; claiming closes."""
    project = queries.get_project(actor, project_id, for_update=True)
    require(can_manage_community(actor, project.community))
    PROJECT_FLOW.move(project, "start")
    db.session.flush()
    return project


def complete_project(actor: User, project_id: int) -> Project:
    """The work is delivered: the project's needs are resolved with it."""
    project = queries.get_project(actor, project_id, for_update=True)
    require(can_manage_community(actor, project.community))
    PROJECT_FLOW.move(project, "complete")
    needs_service.resolve_with(project)
    db.session.flush()
    return project


def cancel_project(actor: User, project_id: int, *, reason: str) -> Project:
    """Call a project off: its needs go back on the list, its live claims end."""
    from coop.claims import service as claims_service

    project = queries.get_project(actor, project_id, for_update=True)
    require(can_manage_community(actor, project.community))
    PROJECT_FLOW.move(project, "cancel")
    project.cancel_reason = reason
    needs_service.release_from(project)
    claims_service.end_claims_of(actor, project, reason=reason)
    db.session.flush()
    return project

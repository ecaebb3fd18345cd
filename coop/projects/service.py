"""The project list's rules: compile from needs, publish, run, complete, cancel."""

from datetime import datetime

from flask_babel import gettext as _

from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, require
from coop.auth.models import User
from coop.errors import Conflict, Invalid
from coop.extensions import db
from coop.needs import service as needs_service
from coop.projects import queries
from coop.projects.models import PROJECT_FLOW, Project, ProjectMode, ProjectStatus

DRAFT_ONLY = {"need_ids", "mode", "auto_approve", "category"}


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


def update_project(actor: User, project_id: int, **fields) -> Project:
    """Change a draft freely; a published project keeps its needs, mode and approval rule.

    :raise Conflict: the project is past publishing, or fewer slots than approved claims.
    """
    project = queries.get_project(actor, project_id, for_update=True)
    require(can_manage_community(actor, project.community))
    editable = (ProjectStatus.DRAFT, ProjectStatus.PUBLISHED, ProjectStatus.CLAIMED)
    if project.status not in editable:
        raise Conflict(_("项目已开始实施，不能再修改。"))
    if project.status is not ProjectStatus.DRAFT and DRAFT_ONLY & fields.keys():
        raise Conflict(_("项目发布后不能再修改需求、类别、方式和审核规则。"))
    if fields.get("slots", project.slots) < project.approved_count:
        raise Conflict(_("名额不能少于已通过的认领数。"))
    shape = {
        name: fields.get(name, getattr(project, name))
        for name in ("mode", "slots", "starts_at", "ends_at", "claim_deadline")
    }
    _check_shape(shape)
    if "need_ids" in fields:
        wanted = set(fields.pop("need_ids"))
        for need in list(project.needs):
            if need.id not in wanted:
                needs_service.release_need(need)
        needs_service.compile_into(project, sorted(wanted))
    for name, value in fields.items():
        setattr(project, name, value)
    _sync_fullness(project)
    db.session.flush()
    db.session.refresh(project, ["needs"])
    return project


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

"""Who may change a project, and what, in its current state."""

from coop.alliance.permissions import can_manage_community
from coop.auth.models import User
from coop.projects.models import Project, ProjectStatus

# What may be edited in which state (docs/decisions.md, "Day one"): a draft whole; once
# published, claimants have read it, so its needs, category, mode and approval rule stay.
EDITABLE = (ProjectStatus.DRAFT, ProjectStatus.PUBLISHED, ProjectStatus.CLAIMED)
DRAFT_ONLY = frozenset({"need_ids", "mode", "auto_approve", "category"})
PROJECT_FIELDS = frozenset(
    {
        "title",
        "description",
        "slots",
        "volunteer_capacity",
        "schedule",
        "starts_at",
        "ends_at",
        "claim_deadline",
        *DRAFT_ONLY,
    }
)


def project_edit_fields(actor: User | None, project: Project) -> frozenset[str]:
    """What the actor may change in the project now (empty: nothing): the community's
    secretary edits a draft whole, a published or fully claimed project but its DRAFT_ONLY."""
    if not can_manage_community(actor, project.community) or project.status not in EDITABLE:
        return frozenset()
    if project.status is ProjectStatus.DRAFT:
        return PROJECT_FIELDS
    return PROJECT_FIELDS - DRAFT_ONLY


def can_edit_project(actor: User | None, project: Project) -> bool:
    """Whether the project's 编辑 page has anything for the actor to change now."""
    return bool(project_edit_fields(actor, project))

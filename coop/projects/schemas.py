import marshmallow as ma
from flask import request
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.categories import Category
from coop.claims import queries as claims_queries
from coop.claims.models import ClaimantType
from coop.projects.models import ProjectMode, ProjectStatus
from coop.schemas import Id, Int, LocalDateTime, Trimmed, length, version_field


def preload_claimants(projects) -> None:
    """Look up the approved claimants of a page of projects in one query, for ProjectOut."""
    memo = request.environ.setdefault("coop.claimants", {})
    wanted = [p.id for p in projects if p.id not in memo]
    if wanted:
        found = claims_queries.approved_claims_by_project(wanted)
        memo.update({project_id: found.get(project_id, []) for project_id in wanted})


class ClaimantOut(ma.Schema):
    claim_id = fields.Integer(attribute="id")
    claimant_type = fields.Enum(ClaimantType, by_value=True)
    name = fields.String(attribute="claimant_name")


class Claimants(fields.List):
    """Who holds the project's slots: its approved and fulfilled claims."""

    def __init__(self, **kwargs):
        super().__init__(fields.Nested(ClaimantOut), dump_only=True, **kwargs)

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        preload_claimants([obj])
        return request.environ["coop.claimants"][obj.id]


class ProjectOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    title = fields.String()
    description = fields.String()
    category = fields.Enum(Category, by_value=True)
    category_label = fields.Function(lambda p: p.category.label)
    mode = fields.Enum(ProjectMode, by_value=True)
    mode_label = fields.Function(lambda p: p.mode.label)
    status = fields.Enum(ProjectStatus, by_value=True)
    status_label = fields.Function(lambda p: p.status.label)
    slots = fields.Integer()
    approved_count = fields.Integer()
    free_slots = fields.Integer()
    volunteer_capacity = fields.Integer()
    schedule = fields.String()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    claim_deadline = LocalDateTime()
    auto_approve = fields.Boolean()
    need_ids = fields.Function(lambda p: [n.id for n in p.needs])
    lead_claim_id = fields.Integer(allow_none=True)
    claimants = Claimants()
    cancel_reason = fields.String()
    published_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()
    version = fields.Integer()


class MenuGroupOut(ma.Schema):
    category = fields.Enum(Category, by_value=True)
    label = fields.String()
    projects = fields.List(fields.Nested(ProjectOut))


class ProjectArgs(PageArgs):
    """The API's query; the list page filters its community's projects by status and category."""

    community_id = Id()
    status = fields.Enum(ProjectStatus, by_value=True)
    category = fields.Enum(Category, by_value=True)
    mode = fields.Enum(ProjectMode, by_value=True)
    q = Trimmed(validate=length(max=64))


class MenuArgs(ma.Schema):
    community_id = Id()


class ProjectPatch(ma.Schema):
    """What the secretary may change; a PATCH loads it partially."""

    title = Trimmed(required=True, validate=length(min=2, max=128))
    description = Trimmed(load_default="", validate=length(max=2000))
    category = fields.Enum(Category, by_value=True, required=True)
    mode = fields.Enum(ProjectMode, by_value=True, required=True)
    need_ids = fields.List(Id(), load_default=list)
    slots = Int(load_default=1, validate=ma.validate.Range(min=1, max=50, error="名额应为 1–50。"))
    volunteer_capacity = Int(
        load_default=0, validate=ma.validate.Range(min=0, max=10000, error="人数应为 0–10000。")
    )
    schedule = Trimmed(load_default="", validate=length(max=128))
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(required=True)
    claim_deadline = LocalDateTime(required=True)
    auto_approve = fields.Boolean(load_default=False)


class ProjectIn(ProjectPatch):
    community_id = Id(required=True)


class ProjectEdit(ProjectPatch):
    """PATCH /projects/{id}: the fields sent change (``patch_of``), if its state allows."""

    version = version_field()


class ProjectForm(ProjectPatch):
    """The 从需求生成项目 page (the community is in its URL): she ticks at least one listed need,
    and a routine project's slots box is ignored, as its hint says (日常型固定为 1)."""

    need_ids = fields.List(
        Id(),
        required=True,
        validate=ma.validate.Length(min=1, error="请至少选择一条需求。"),
        error_messages={"required": "请至少选择一条需求。"},
    )

    @ma.post_load
    def _routine_has_one_slot(self, data, **kwargs):
        if data.get("mode") is ProjectMode.ROUTINE:
            data["slots"] = 1
        return data


class EditProjectForm(ProjectForm):
    """The 编辑 page: the creation form's rules, loaded ``only`` with what the project's state
    lets the secretary change (``permissions.project_edit_fields``)."""

    version = version_field()


class LeadIn(ma.Schema):
    claim_id = Id(required=True)

import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.categories import Category
from coop.matching.models import CandidateType, SuggestionStatus, TargetType
from coop.projects.models import ProjectMode
from coop.schemas import Id, LocalDateTime, Trimmed, length


class SuggestionOut(ma.Schema):
    id = fields.Integer(
        allow_none=True,
        metadata={"description": "the stored suggestion; null for a need's open suggestion"},
    )
    ranking_id = fields.Integer(
        allow_none=True,
        dump_default=None,
        metadata={
            "description": "a need's open suggestion: the row of its stored ranking, to"
            " dismiss it by (POST /needs/{need_id}/suggestions/{ranking_id}/dismiss); else null"
        },
    )
    target_type = fields.Enum(TargetType, by_value=True)
    target_id = fields.Integer()
    candidate_type = fields.Enum(CandidateType, by_value=True)
    candidate_type_label = fields.Function(lambda s: s.candidate_type.label)
    candidate_id = fields.Integer()
    candidate_name = fields.String(metadata={"description": "单位名、资源名或志愿者姓名"})
    candidate_unit = fields.String(metadata={"description": "a resource's unit; else empty"})
    score = fields.Float()
    rank = fields.Integer(metadata={"description": "1 is the best open suggestion of its type"})
    reasons = fields.List(fields.String(), metadata={"description": "Chinese phrases, best first"})
    matched_words = fields.List(
        fields.String(),
        attribute="matched",
        dump_default=list,
        metadata={
            "description": "a need's suggestion: the words of the need that the candidate's"
            " text shares, rarest first (shown as 楼道 · 照明 · 维修); else empty"
        },
    )
    status = fields.Enum(SuggestionStatus, by_value=True)
    status_label = fields.Function(lambda s: s.status.label)
    computed_at = LocalDateTime()
    acted_at = LocalDateTime(allow_none=True)


class BoardArgs(ma.Schema):
    """The board: its projects and its needs each have their own page."""

    project_page = fields.Integer(load_default=1, validate=PageArgs().fields["page"].validate)
    page = fields.Integer(load_default=1, validate=PageArgs().fields["page"].validate)


class SuggestionArgs(ma.Schema):
    candidate_type = fields.Enum(CandidateType, by_value=True)
    status = fields.Enum(SuggestionStatus, by_value=True)


class MatchOut(ma.Schema):
    projects = fields.Integer(metadata={"description": "projects still needing claimants"})
    needs = fields.Integer(metadata={"description": "listed needs not yet in a project"})
    suggestions = fields.Integer(metadata={"description": "open project suggestions written"})
    rankings = fields.Integer(
        metadata={"description": "ranking rows written for the listed needs, each its own"}
    )


class SuggestionOrderIn(ma.Schema):
    note = Trimmed(load_default="", validate=length(max=500))


class FittingProjectOut(ma.Schema):
    project_id = fields.Integer(attribute="project.id")
    community_id = fields.Integer(attribute="project.community_id")
    title = fields.String(attribute="project.title")
    category = fields.Enum(Category, by_value=True, attribute="project.category")
    mode = fields.Enum(ProjectMode, by_value=True, attribute="project.mode")
    free_slots = fields.Integer(attribute="project.free_slots")
    starts_at = LocalDateTime(attribute="project.starts_at")
    claim_deadline = LocalDateTime(attribute="project.claim_deadline")
    suggestion_id = fields.Integer(attribute="suggestion.id")
    score = fields.Float(attribute="suggestion.score")
    reasons = fields.List(fields.String(), attribute="suggestion.reasons")
    invited = fields.Function(
        lambda row: row.suggestion.status is SuggestionStatus.ACTED,
        metadata={"description": "the secretary has invited the unit to claim it"},
    )


class ServedIn(ma.Schema):
    neighbourhood_ids = fields.List(Id(), load_default=list)

"""Schemas of the project-list pages' forms."""

from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.categories import Category
from coop.projects.models import ProjectMode, ProjectStatus
from coop.schemas import Trimmed, length
from coop.timeutil import COMMUNITY_TZ


class LocalDateTime(fields.Field):
    """A datetime-local input (2026-11-23T09:30) read as Beijing time, loaded as aware UTC."""

    default_error_messages = {"invalid": "请按 年-月-日 时:分 填写时间，例如 2026-11-23 09:30。"}

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError as error:
            raise self.make_error("invalid") from error
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=COMMUNITY_TZ)
        return moment.astimezone(UTC)

    def _serialize(self, value, attr, obj, **kwargs):
        return value.astimezone(COMMUNITY_TZ).strftime("%Y-%m-%dT%H:%M") if value else None


class ProjectArgs(PageArgs):
    status = fields.Enum(ProjectStatus, by_value=True)
    category = fields.Enum(Category, by_value=True)


class ProjectIn(ma.Schema):
    need_ids = fields.List(
        fields.Integer(),
        required=True,
        validate=ma.validate.Length(min=1, error="请至少选择一条需求。"),
        error_messages={"required": "请至少选择一条需求。"},
    )
    title = Trimmed(required=True, validate=length(min=2, max=128))
    description = Trimmed(load_default="", validate=length(max=2000))
    category = fields.Enum(Category, by_value=True, required=True)
    mode = fields.Enum(ProjectMode, by_value=True, required=True)
    slots = fields.Integer(
        load_default=1, validate=ma.validate.Range(min=1, max=50, error="名额应为 1–50。")
    )
    volunteer_capacity = fields.Integer(
        load_default=0, validate=ma.validate.Range(min=0, max=10000, error="人数应为 0–10000。")
    )
    schedule = Trimmed(load_default="", validate=length(max=128))
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(required=True)
    claim_deadline = LocalDateTime(required=True)
    auto_approve = fields.Boolean(load_default=False)

    @ma.post_load
    def _routine_has_one_slot(self, data, **kwargs):
        """日常型 is one claimant's recurring service: the form does not ask, it sets 1."""
        if data.get("mode") is ProjectMode.ROUTINE:
            data["slots"] = 1
        return data


class OrderIn(ma.Schema):
    resource_id = fields.Integer(required=True)
    note = Trimmed(load_default="", validate=length(max=500))


class LeadIn(ma.Schema):
    claim_id = fields.Integer(required=True)

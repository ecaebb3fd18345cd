"""The 公示栏's query and its JSON: plain values from ``coop.public.queries``, nothing else."""

import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.categories import Category
from coop.needs.models import NeedStatus, Urgency
from coop.projects.models import ProjectStatus
from coop.public.queries import NEEDS_PER_PAGE, SHOWN_STATUSES

Hours = fields.Function(lambda o: float(o.hours), metadata={"type": "number"})


class BoardArgs(ma.Schema):
    """The board's filters (the page's and the API's): a state shown on the board, a category."""

    status = fields.Enum(
        NeedStatus,
        by_value=True,
        validate=ma.validate.OneOf(SHOWN_STATUSES, error="请从给定的选项中选择。"),
    )
    category = fields.Enum(Category, by_value=True)


class BoardPageArgs(BoardArgs):
    page = PageArgs._declared_fields["page"]


class BoardApiArgs(BoardArgs, PageArgs):
    per_page = fields.Integer(
        load_default=NEEDS_PER_PAGE,
        validate=ma.validate.Range(min=1, max=200, error="每页条数应为 1–200。"),
    )


class StepOut(ma.Schema):
    code = fields.String(
        metadata={
            "description": "received, listed, in_project, claimed, activities, resolved, rated"
        }
    )
    label = fields.String()
    on = fields.Date(allow_none=True, metadata={"description": "The day, in Asia/Shanghai"})
    detail = fields.String()
    reached = fields.Boolean(metadata={"description": "Passed, even where its day is unknown"})


class BoardNeedOut(ma.Schema):
    id = fields.Integer()
    summary = fields.String(metadata={"description": "A generic line; never the staff's title"})
    category = fields.Enum(Category, by_value=True)
    category_label = fields.Function(lambda n: n.category.label)
    neighbourhood = fields.String()
    urgency = fields.Enum(Urgency, by_value=True)
    urgency_label = fields.Function(lambda n: n.urgency.label)
    received_on = fields.Date()
    status = fields.Enum(NeedStatus, by_value=True)
    status_label = fields.Function(lambda n: n.status.label)
    timeline = fields.List(fields.Nested(StepOut))


class BoardActivityOut(ma.Schema):
    title = fields.String()
    on = fields.Date()
    place = fields.String()
    hours = Hours


class BoardProjectOut(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    category = fields.Enum(Category, by_value=True)
    category_label = fields.Function(lambda p: p.category.label)
    status = fields.Enum(ProjectStatus, by_value=True)
    status_label = fields.Function(lambda p: p.status.label)
    units = fields.List(fields.String(), metadata={"description": "Partner units that claimed it"})
    activities = fields.List(fields.Nested(BoardActivityOut))
    hours = Hours


class MonthOut(ma.Schema):
    month = fields.String(metadata={"description": "YYYY-MM, so far"})
    activities = fields.Integer()
    verified_hours = fields.Function(lambda m: float(m.verified_hours), metadata={"type": "number"})
    people_served = fields.Integer(metadata={"description": "Needs solved this month"})
    units_taking_part = fields.Integer()


class HonourOut(ma.Schema):
    unit = fields.String()
    title = fields.String()
    period = fields.String(metadata={"description": "YYYY-MM (monthly badge) or YYYY (annual)"})


class NeedsPageOut(ma.Schema):
    items = fields.List(fields.Nested(BoardNeedOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class BoardOut(ma.Schema):
    community_id = fields.Integer()
    community_name = fields.String()
    street_name = fields.String()
    needs = fields.Nested(
        NeedsPageOut, attribute="needs_page", metadata={"description": "Newest first"}
    )
    projects = fields.List(fields.Nested(BoardProjectOut))
    month = fields.Nested(MonthOut)
    honours = fields.List(fields.Nested(HonourOut))


class PublicIn(ma.Schema):
    """The need page's switch: on the 公示栏 or not."""

    public = fields.Boolean(required=True)

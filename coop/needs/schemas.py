import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.auth.current import current_actor
from coop.categories import Category
from coop.dbtypes import utcnow
from coop.needs import permissions, time_limits
from coop.needs.commitments import MAX_RESOLVE_DAYS, MAX_RESPOND_HOURS
from coop.needs.models import Beneficiary, NeedSource, NeedStatus, Urgency
from coop.needs.ratings import star_label
from coop.people.schemas import PHONE
from coop.privacy import mask_address, mask_phone
from coop.schemas import Id, Int, LocalDateTime, Trimmed, length, month, version_field

# A JSON body may send "" for no phone; a form's blank box never reaches the validator.
PHONE_OR_BLANK = ma.validate.Regexp(f"^$|{PHONE.regex.pattern}", error=PHONE.error)


def _for_who_may_know(value):
    """Who asked is for the community's staff, the street and the requester herself, as on the
    pages; everyone else gets no requester fields at all."""

    def get(need):
        actor = current_actor()
        if permissions.can_see_all_needs(actor, need.community) or permissions.is_requester(
            actor, need
        ):
            return value(need)
        return ma.missing

    return get


class RatingOut(ma.Schema):
    id = fields.Integer()
    need_id = fields.Integer()
    round = fields.Integer(
        metadata={"description": "Which resolution of the need it rates (1, 2 …)"}
    )
    stars = fields.Integer()
    stars_label = fields.Function(lambda r: star_label(r.stars))
    comment = fields.String()
    on_behalf = fields.Boolean(
        metadata={"description": "代评: recorded by staff for the requester"}
    )
    reopened = fields.Boolean(
        metadata={"description": "2 stars or fewer: the need went back to the list"}
    )
    created_at = LocalDateTime()


class RatingIn(ma.Schema):
    """POST /needs/{id}/rating and the rating form on the need's page."""

    stars = Int(required=True, validate=ma.validate.Range(min=1, max=5, error="请选择 1 到 5 星。"))
    comment = Trimmed(load_default="", validate=length(max=500))
    on_behalf = fields.Boolean(
        load_default=False,
        metadata={
            "description": "代评 by the community's staff, for a requester without an account"
        },
    )


def _ratings(need):
    """The need's ratings, for its community's staff, the street and the requester only."""
    actor = current_actor()
    if permissions.can_see_all_needs(actor, need.community) or permissions.is_requester(
        actor, need
    ):
        return RatingOut(many=True).dump(need.ratings)
    return ma.missing


class NeedOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    neighbourhood_id = fields.Integer(allow_none=True)
    neighbourhood_name = fields.Function(lambda n: n.neighbourhood.name if n.neighbourhood else "")
    title = fields.String()
    description = fields.String()
    category = fields.Enum(Category, by_value=True)
    category_label = fields.Function(lambda n: n.category.label)
    source = fields.Enum(NeedSource, by_value=True)
    source_label = fields.Function(lambda n: n.source.label)
    beneficiary_group = fields.Enum(Beneficiary, by_value=True)
    beneficiary_group_label = fields.Function(lambda n: n.beneficiary_group.label)
    urgency = fields.Enum(Urgency, by_value=True)
    urgency_label = fields.Function(lambda n: n.urgency.label)
    status = fields.Enum(NeedStatus, by_value=True)
    status_label = fields.Function(lambda n: n.status.label)
    # Staff, the street and the requester only (absent for others); phone and address masked
    # even then: the full values come only from /reveal, with a logged reason.
    requester_name = fields.Function(
        _for_who_may_know(lambda n: n.requester_name), metadata={"type": "string"}
    )
    requester_phone = fields.Function(
        _for_who_may_know(lambda n: mask_phone(n.requester_phone)), metadata={"type": "string"}
    )
    requester_address = fields.Function(
        _for_who_may_know(lambda n: mask_address(n.requester_address)),
        metadata={"type": "string"},
    )
    reject_reason = fields.String()
    resolution = fields.String()
    # Staff's working notes, for the community's staff and the street only.
    notes = fields.Function(
        lambda n: (
            n.notes if permissions.can_see_all_needs(current_actor(), n.community) else ma.missing
        ),
        metadata={"type": "string", "description": "Staff and the street only"},
    )
    project_id = fields.Integer(allow_none=True)
    public = fields.Boolean(metadata={"description": "Shown (anonymised) on the 公示栏"})
    created_at = LocalDateTime()
    # 服务承诺: answer by / solve by, fixed when it came in; overdue as the lists flag it.
    respond_by = LocalDateTime(allow_none=True)
    resolve_by = LocalDateTime(allow_none=True)
    overdue = fields.Function(
        lambda n: time_limits.is_overdue(n, utcnow()), metadata={"type": "boolean"}
    )
    # 首问负责: the staff member answerable for it.
    owner_id = fields.Integer(allow_none=True)
    owner_name = fields.Function(
        lambda n: n.owner.display_name if n.owner else None,
        metadata={"type": "string", "nullable": True},
    )
    version = fields.Integer()
    resolution_round = fields.Integer(metadata={"description": "How many times it was solved"})
    ratings = fields.Function(
        _ratings,
        metadata={
            "type": "array",
            "items": {"type": "object"},
            "description": "满意度评价 per resolution (staff, the street, the requester only)",
        },
    )


class NeedFilters(ma.Schema):
    """The demand list's filters: its page, its Excel export and the API read the same ones."""

    status = fields.Enum(NeedStatus, by_value=True)
    category = fields.Enum(Category, by_value=True)
    source = fields.Enum(NeedSource, by_value=True)
    beneficiary_group = fields.Enum(Beneficiary, by_value=True)
    urgency = fields.Enum(Urgency, by_value=True)
    neighbourhood_id = Id()
    q = Trimmed(validate=length(max=64))
    # The dashboard's figures link here: a month (YYYY-MM, community time) a need came in or
    # was solved in.
    created_in = fields.String(validate=month(error="月份格式应为 YYYY-MM。"))
    resolved_in = fields.String(validate=month(error="月份格式应为 YYYY-MM。"))


class NeedArgs(NeedFilters, PageArgs):
    """The API's query; the list page takes the community from its URL and shows all of it."""

    community_id = Id()
    mine = fields.Boolean(load_default=False)


class NeedPatch(ma.Schema):
    """The need's own fields; a PATCH loads them partially. A resident's submission keeps only
    what describes the need: source and requester come from who she is."""

    neighbourhood_id = Id(allow_none=True, load_default=None)
    title = Trimmed(required=True, validate=length(min=2, max=128))
    description = Trimmed(load_default="", validate=length(max=2000))
    category = fields.Enum(Category, by_value=True, required=True)
    source = fields.Enum(NeedSource, by_value=True, load_default=NeedSource.HALL)
    # Required when the secretary records a need; a resident may leave it to her (全体居民).
    beneficiary_group = fields.Enum(Beneficiary, by_value=True)
    urgency = fields.Enum(Urgency, by_value=True, load_default=Urgency.NORMAL)
    requester_name = Trimmed(load_default="", validate=length(max=64))
    requester_phone = Trimmed(load_default="", validate=PHONE_OR_BLANK)
    requester_address = Trimmed(load_default="", validate=length(max=255))
    notes = Trimmed(load_default="", validate=length(max=2000))


class NeedIn(NeedPatch):
    community_id = Id(required=True)


class NeedEdit(NeedPatch):
    """PATCH /needs/{id}: the fields sent change (``patch_of``), if its state allows."""

    version = version_field()
    public = fields.Boolean(
        metadata={"description": "Shown (anonymised) on the 公示栏; staff only, in any state"}
    )


class RecordNeedForm(NeedPatch):
    """The secretary's 登记需求 page (the community is in its URL): she picks the source and whom
    the need serves. The API defaults the source to 社区大厅 instead."""

    source = fields.Enum(NeedSource, by_value=True, required=True)
    beneficiary_group = fields.Enum(Beneficiary, by_value=True, required=True)


class EditNeedForm(RecordNeedForm):
    """The 编辑 page: the record form's rules, loaded ``only`` with what the need's state lets
    the editor change (``permissions.need_edit_fields``)."""

    version = version_field()


# What a resident does not say about her own need: who she is says it; staff keep the notes.
NOT_FOR_RESIDENTS = (*sorted(permissions.REQUESTER_FIELDS), "notes")


class ResolveIn(ma.Schema):
    resolution = Trimmed(load_default="", validate=length(max=500))


class RevealOut(ma.Schema):
    phone = fields.String()
    address = fields.String()


class HandoverIn(ma.Schema):
    to_id = Id(required=True, metadata={"description": "A staff member of the need's community"})
    reason = Trimmed(required=True, validate=length(min=2, max=200))


class HandoverOut(ma.Schema):
    id = fields.Integer()
    need_id = fields.Integer()
    from_id = fields.Integer(allow_none=True)
    from_name = fields.Function(lambda h: h.from_user.display_name if h.from_user else None)
    to_id = fields.Integer()
    to_name = fields.Function(lambda h: h.to_user.display_name)
    by_id = fields.Integer()
    reason = fields.String()
    at = LocalDateTime()


class CommitmentCell(ma.Schema):
    category = fields.Enum(Category, by_value=True, required=True)
    urgency = fields.Enum(Urgency, by_value=True, required=True)
    respond_hours = Int(
        required=True,
        validate=ma.validate.Range(min=1, max=MAX_RESPOND_HOURS, error="答复时限应为 1–720 小时。"),
    )
    resolve_days = Int(
        required=True,
        validate=ma.validate.Range(min=1, max=MAX_RESOLVE_DAYS, error="办结时限应为 1–365 天。"),
    )


class CommitmentsIn(ma.Schema):
    """The whole table: each of the 5 categories × 3 urgencies once."""

    items = fields.List(fields.Nested(CommitmentCell), required=True)


class CommitmentCellOut(CommitmentCell):
    is_default = fields.Boolean(metadata={"description": "Not set by the community"})


class CommitmentsOut(ma.Schema):
    community_id = fields.Integer()
    items = fields.List(fields.Nested(CommitmentCellOut))

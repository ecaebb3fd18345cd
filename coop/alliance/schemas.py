import marshmallow as ma
from marshmallow import fields

from coop.alliance.models import OfficeRole, UnitKind
from coop.apidoc import PageArgs
from coop.auth.current import actor_community_ids
from coop.schemas import Date, Id, Trimmed, VersionIn, length, not_after_today
from coop.timeutil import local_today


class NeighbourhoodOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    households = fields.Integer()


class MechanismOut(ma.Schema):
    name = fields.String()
    description = fields.String()


class TermOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()


class OfficeOut(ma.Schema):
    role = fields.Enum(OfficeRole, by_value=True)
    holder_name = fields.String()
    unit_id = fields.Integer(allow_none=True)
    term_id = fields.Integer(allow_none=True)


class AllianceOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    founded_on = fields.Date(allow_none=True)
    mechanisms = fields.List(fields.Nested(MechanismOut))
    offices = fields.List(fields.Nested(OfficeOut))
    terms = fields.List(fields.Nested(TermOut))


class CommunityOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    street = fields.Function(lambda c: {"id": c.street.id, "name": c.street.name})
    address = fields.String()
    neighbourhoods = fields.List(fields.Nested(NeighbourhoodOut))
    alliance = fields.Nested(AllianceOut, allow_none=True)


class MonthRatesOut(ma.Schema):
    month = fields.String(metadata={"example": "2026-12"})
    response_rate = fields.Float(allow_none=True)
    responded_in_time = fields.Integer()
    response_decided = fields.Integer()
    resolution_rate = fields.Float(allow_none=True)
    resolved_in_time = fields.Integer()
    resolution_decided = fields.Integer()
    median_hours_to_resolve = fields.Float(allow_none=True)
    resolved = fields.Integer()
    satisfaction_rate = fields.Float(allow_none=True)
    satisfied = fields.Integer()
    rated = fields.Integer()


class StatsOut(ma.Schema):
    community_id = fields.Integer()
    neighbourhoods = fields.Integer()
    alliance_units = fields.Integer()
    alliance_units_by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    units_with_live_agreement = fields.Integer()
    volunteers = fields.Integer()
    party_member_volunteers = fields.Integer()
    mechanisms = fields.Integer()
    honoured_units = fields.Integer(
        metadata={"description": "同心共建先锋 units of the latest year awarded"}
    )
    honoured_year = fields.Integer(allow_none=True)
    needs_by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    projects_by_category = fields.Dict(keys=fields.String(), values=fields.Integer())
    projects_by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    listed_resources_by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    claims_fulfilled = fields.Integer()
    activities_held = fields.Integer()
    people_visited = fields.Integer()
    assemblies_held = fields.Integer(
        metadata={
            "description": "联盟大会 held in the current and the previous half-year term (meeting records)"
        }
    )
    assemblies_expected = fields.Integer(metadata={"description": "联盟大会 a year: 2"})
    # 三率 of the current month, as fractions 0–1 (null: nothing to count yet); see
    # coop.needs.rates for what each counts.
    response_rate = fields.Float(allow_none=True)
    resolution_rate = fields.Float(allow_none=True)
    median_hours_to_resolve = fields.Float(allow_none=True)
    satisfaction_rate = fields.Float(allow_none=True)
    rates_by_month = fields.List(
        fields.Nested(MonthRatesOut), metadata={"description": "The last 6 months, newest first"}
    )


class AgreementOut(ma.Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    community_id = fields.Integer()
    signed_on = fields.Date()
    starts_on = fields.Date()
    ends_on = fields.Date()
    scope = fields.String()
    ended_on = fields.Date(allow_none=True)
    end_reason = fields.String()
    status = fields.Function(lambda a: a.status(local_today()))
    version = fields.Integer()


class UnitOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.Enum(UnitKind, by_value=True)
    kind_label = fields.Function(lambda u: u.kind.label)
    address = fields.String()
    description = fields.String()
    version = fields.Integer()
    # Only what concerns the caller's own communities: another community's agreements are not hers.
    community_ids = fields.Function(
        lambda u: sorted(actor_community_ids() & {m.community_id for m in u.memberships})
    )
    agreements = fields.Function(
        lambda u: AgreementOut(many=True).dump(
            a for a in u.agreements if a.community_id in actor_community_ids()
        )
    )
    has_live_agreement = fields.Function(
        lambda u: any(
            a.is_live(local_today())
            for a in u.agreements
            if a.community_id in actor_community_ids()
        )
    )


class UnitArgs(PageArgs):
    community_id = Id()
    kind = fields.Enum(UnitKind, by_value=True)
    q = Trimmed(validate=length(max=64))


class UnitDetails(ma.Schema):
    """A unit's own details: its creation form and its edit form share these rules."""

    name = Trimmed(required=True, validate=length(min=2, max=128))
    kind = fields.Enum(UnitKind, by_value=True, required=True)
    address = Trimmed(load_default="", validate=length(max=255))
    contact_name = Trimmed(load_default="", validate=length(max=64))
    contact_phone = Trimmed(
        load_default="",
        validate=ma.validate.Regexp(r"^[0-9+\- ]{0,20}$", error="请填写有效的电话号码。"),
    )
    description = Trimmed(load_default="", validate=length(max=2000))


class UnitIn(UnitDetails):
    joined_on = Date(
        load_default=local_today, validate=not_after_today(error="加入日期不能晚于今天。")
    )


class UnitEdit(UnitDetails, VersionIn):
    """Correcting a unit's details (a PATCH loads it partially: ``coop.schemas.patch_of``)."""


class AgreementEnd(ma.Schema):
    """When an agreement runs out: set when it is recorded, corrected afterwards."""

    ends_on = Date(required=True)


class AgreementIn(AgreementEnd):
    signed_on = Date(required=True)
    starts_on = Date(required=True)
    scope = Trimmed(required=True, validate=length(min=2, max=2000))

    @ma.validates_schema
    def _dates_in_order(self, data, **kwargs):
        if {"starts_on", "ends_on"} <= data.keys() and data["ends_on"] <= data["starts_on"]:
            raise ma.ValidationError("到期日期必须晚于生效日期。", "ends_on")
        if "signed_on" in data and data["signed_on"] > local_today():
            raise ma.ValidationError("签订日期不能晚于今天。", "signed_on")


class AgreementEdit(AgreementEnd, VersionIn):
    """Correcting an agreement's end date; the service checks it against the start and the
    unit's other agreements, as when it was recorded."""


class AgreementEndIn(ma.Schema):
    ended_on = Date(load_default=local_today)
    reason = Trimmed(required=True, validate=length(min=2, max=500))


COMPARISON_SORTS = (
    "name",
    "needs_in",
    "needs_solved",
    "activities_held",
    "verified_hours",
    "units_taking_part",
    "points_issued",
    "points_spent",
)


class ComparisonArgs(ma.Schema):
    """The street's comparison: a month (YYYY-MM) or a year (YYYY), and the column to sort by
    (a leading "-" sorts the largest first). The page and its Excel export read the same."""

    period = fields.String(
        validate=ma.validate.Regexp(
            r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2]))?$",
            error="期间应为年份（YYYY）或月份（YYYY-MM）。",
        )
    )
    sort = fields.String(
        load_default="name",
        validate=ma.validate.OneOf(
            [*COMPARISON_SORTS, *(f"-{s}" for s in COMPARISON_SORTS)], error="不能按此列排序。"
        ),
    )

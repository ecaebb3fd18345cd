import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.auth.models import Role
from coop.people.service import PERSON_ROLES
from coop.privacy import mask_phone
from coop.schemas import CommaList, Date, Id, Trimmed, VersionIn, length
from coop.timeutil import local_today

PHONE = ma.validate.Regexp(
    r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$", error="请填写 11 位手机号或带区号的座机号。"
)


class PersonIn(ma.Schema):
    role = fields.Enum(
        Role,
        by_value=True,
        required=True,
        validate=ma.validate.OneOf(PERSON_ROLES, error="请从给定的选项中选择。"),
    )
    # Blank: she signs in with her phone number (or a generated name when she has none).
    username = Trimmed(
        load_default="",
        validate=ma.validate.Regexp(
            r"^$|^[A-Za-z0-9_.-]{3,64}$",
            error="用户名为 3–64 位字母、数字或 _ . -；不填则用手机号登录。",
        ),
    )
    display_name = Trimmed(required=True, validate=length(min=1, max=64))
    phone = Trimmed(
        load_default="",
        # blank (the default) is no phone; the OpenAPI default must match the pattern
        validate=ma.validate.Regexp(f"^$|{PHONE.regex.pattern}", error=PHONE.error),
    )
    unit_id = Id(load_default=None)
    is_party_member = fields.Boolean(load_default=False)
    work_unit_id = Id(load_default=None)
    skills = CommaList(
        load_default=list,
        error_messages={"too_long": "每项技能最多 32 个字，多项用逗号或顿号分隔。"},
    )
    neighbourhood_id = Id(load_default=None)
    address = Trimmed(load_default="", validate=length(max=255))
    joined_on = Date(load_default=local_today)

    @ma.validates_schema(skip_on_field_errors=False)
    def _liaison_needs_unit(self, data, **kwargs):
        if data.get("role") is Role.UNIT_LIAISON and data.get("unit_id") is None:
            raise ma.ValidationError("单位联络员需要选择所在单位。", "unit_id")


class PersonOut(ma.Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    phone = fields.Function(lambda u: mask_phone(u.phone))
    roles = fields.Function(lambda u: [r.value for r in u.roles])
    is_active = fields.Boolean()


class AddedOut(ma.Schema):
    """PersonOut of the person just added, and her invitation code."""

    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    phone = fields.String(metadata={"description": "masked, 138****1234"})
    roles = fields.List(fields.String())
    invitation_code = fields.String(
        metadata={
            "description": "Her one-time invitation code (ABCD-EFGH), given only in this "
            "answer: she sets her own password with it at /invite"
        }
    )


class PeopleArgs(PageArgs):
    role = fields.Enum(Role, by_value=True)
    q = Trimmed(validate=length(max=64))
    # 在用 / 已停用; blank or absent: everyone
    status = Trimmed(
        validate=ma.validate.OneOf(["", "active", "inactive"], error="请从给定的选项中选择。")
    )

    @ma.post_load
    def _active(self, data, **kwargs):
        data["active"] = {"active": True, "inactive": False}.get(data.get("status", ""))
        return data


class AnonymiseIn(ma.Schema):
    """The page's confirmation: she ticks that she knows it cannot be undone."""

    confirm = fields.Boolean(
        required=True,
        error_messages={"required": "请确认您已了解此操作不可撤销。"},
        validate=ma.validate.Equal(True, error="请确认您已了解此操作不可撤销。"),
    )


# Her details as PersonIn checks them: the same field objects, so one copy of the rules.
PersonEdit = VersionIn.from_dict(
    {
        name: PersonIn._declared_fields[name]
        for name in (
            "display_name",
            "phone",
            "skills",
            "is_party_member",
            "work_unit_id",
            "neighbourhood_id",
            "address",
        )
    },
    name="PersonEdit",
)


class PersonDetailOut(PersonOut):
    """One person, for her editors: the version to send back and her profile, phone masked."""

    version = fields.Integer()
    is_party_member = fields.Function(
        lambda u: u.volunteer.is_party_member if u.volunteer else None, allow_none=True
    )
    skills = fields.Function(lambda u: u.volunteer.skills if u.volunteer else None, allow_none=True)
    work_unit_id = fields.Function(
        lambda u: u.volunteer.work_unit_id if u.volunteer else None, allow_none=True
    )
    neighbourhood_id = fields.Function(
        lambda u: u.resident.neighbourhood_id if u.resident else None, allow_none=True
    )

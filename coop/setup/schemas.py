"""What the set-up page, the street admin's forms and the API load and answer."""

import marshmallow as ma
from marshmallow import fields

from coop.apidoc import page_schema
from coop.auth.invitations import has_password
from coop.auth.models import Role, StaffTitle
from coop.people.schemas import PHONE
from coop.privacy import mask_phone
from coop.schemas import Date, Id, Int, Trimmed, length, not_after_today
from coop.setup.models import GridPost

USERNAME = [
    length(min=3, max=64),
    ma.validate.Regexp(r"^[A-Za-z0-9_.-]+$", error="用户名只能包含字母、数字和 _ . -"),
]
HOUSEHOLDS = ma.validate.Range(min=0, max=100000, error="户数应为 0–100000 的整数。")


class SetUpIn(ma.Schema):
    """``flask setup``: the phone may wait."""

    street_name = Trimmed(required=True, validate=length(min=2, max=64))
    display_name = Trimmed(required=True, validate=length(min=1, max=64))
    username = Trimmed(required=True, validate=USERNAME)
    phone = Trimmed(
        load_default="", validate=ma.validate.Regexp(f"^$|{PHONE.regex.pattern}", error=PHONE.error)
    )
    password = fields.String(required=True, validate=length(min=8, max=128))


class SetUpForm(SetUpIn):
    """She is at the keyboard and types her own password, twice: a typo would lock her out."""

    phone = Trimmed(required=True, validate=PHONE)
    password_repeat = fields.String(required=True, validate=length(max=128))

    @ma.validates_schema
    def _repeated(self, data, **kwargs):
        if data.get("password") != data.get("password_repeat"):
            raise ma.ValidationError("两次输入的密码不一致。", "password_repeat")


class CommunityIn(ma.Schema):
    name = Trimmed(required=True, validate=length(min=2, max=64))
    street_id = Id(
        load_default=None, metadata={"description": "needed only by an admin of several streets"}
    )
    address = Trimmed(load_default="", validate=length(max=255))
    description = Trimmed(load_default="", validate=length(max=2000))
    alliance_name = Trimmed(
        load_default="",
        validate=length(max=64),
        metadata={"description": "blank: “<community name>党建联盟”"},
    )
    founded_on = Date(
        load_default=None,
        validate=not_after_today(error="成立日期不能晚于今天。"),
        metadata={"description": "the alliance's; blank: today"},
    )


class NeighbourhoodIn(ma.Schema):
    name = Trimmed(required=True, validate=length(min=1, max=64))
    description = Trimmed(load_default="", validate=length(max=2000))
    households = Int(load_default=0, validate=HOUSEHOLDS)


class NeighbourhoodPatch(ma.Schema):
    """Only the fields sent change."""

    name = Trimmed(validate=length(min=1, max=64))
    description = Trimmed(validate=length(max=2000))
    households = Int(validate=HOUSEHOLDS)


class _NewPersonIn(ma.Schema):
    """A person found by phone, or added by name and phone (then invited)."""

    display_name = Trimmed(
        load_default="",
        validate=length(max=64),
        metadata={"description": "needed when nobody has this phone yet"},
    )
    username = Trimmed(
        load_default=None,
        validate=USERNAME,
        metadata={"description": "for a new person; blank: her phone (made up if that is taken)"},
    )


class CommunityStaffIn(_NewPersonIn):
    title = fields.Enum(StaffTitle, by_value=True, required=True)
    phone = Trimmed(required=True, validate=PHONE)


class StreetAdminIn(_NewPersonIn):
    phone = Trimmed(required=True, validate=PHONE)


class GridPostIn(_NewPersonIn):
    post = fields.Enum(GridPost, by_value=True, required=True)
    user_id = Id(load_default=None, metadata={"description": "a person of the community"})
    phone = Trimmed(
        load_default="",
        validate=ma.validate.Regexp(f"^$|{PHONE.regex.pattern}", error=PHONE.error),
        metadata={"description": "instead of user_id: found by phone, or a new person"},
    )


class PersonBriefOut(ma.Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    phone = fields.Function(lambda u: mask_phone(u.phone))
    invited = fields.Function(
        lambda u: not has_password(u),
        metadata={"description": "added by staff and has not yet set her password"},
    )


class PostHolderOut(ma.Schema):
    id = fields.Integer(metadata={"description": "the role grant's id"})
    role = fields.Enum(Role, by_value=True)
    title = fields.Function(
        lambda g: (g.title or StaffTitle.SECRETARY).value if g.role is Role.SECRETARY else None
    )
    title_label = fields.Function(lambda g: g.label)
    community_id = fields.Integer(allow_none=True)
    street_id = fields.Integer(allow_none=True)
    user = fields.Nested(PersonBriefOut)
    created_at = fields.DateTime()


class _WithCode:
    """An appointment's grant or post, with the new person's invitation code (shown once)."""

    def __init__(self, row, invitation_code: str | None):
        self._row = row
        self.invitation_code = invitation_code

    def __getattr__(self, name):
        return getattr(self._row, name)


def with_code(row, person) -> _WithCode:
    return _WithCode(row, person.invitation_code)


PostHolderPage = page_schema(PostHolderOut)


class AppointedOut(PostHolderOut):
    invitation_code = fields.String(
        allow_none=True,
        metadata={"description": "only when a new person was added: give it to her, once"},
    )


class GridPostOut(ma.Schema):
    id = fields.Integer()
    neighbourhood_id = fields.Integer()
    post = fields.Enum(GridPost, by_value=True)
    post_label = fields.Function(lambda a: a.post.label)
    user = fields.Nested(PersonBriefOut)


class GridPostAppointedOut(GridPostOut):
    invitation_code = fields.String(allow_none=True)


class GridOut(ma.Schema):
    id = fields.Function(lambda g: g.neighbourhood.id)
    community_id = fields.Function(lambda g: g.neighbourhood.community_id)
    name = fields.Function(lambda g: g.neighbourhood.name)
    description = fields.Function(lambda g: g.neighbourhood.description)
    households = fields.Function(lambda g: g.neighbourhood.households)
    leader = fields.Nested(GridPostOut, allow_none=True)
    members = fields.List(fields.Nested(GridPostOut))
    members_needed = fields.Integer(metadata={"description": "ceil(households / 150)"})
    members_short = fields.Integer()


GridPage = page_schema(GridOut)

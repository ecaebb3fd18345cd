import marshmallow as ma
from marshmallow import fields

from coop.auth.models import Role
from coop.schemas import Trimmed, length


class TokenIn(ma.Schema):
    username = Trimmed(required=True, validate=length(min=1, max=64))
    password = fields.String(required=True, validate=length(min=1, max=256))


class PasswordChangeIn(ma.Schema):
    current_password = fields.String(required=True, validate=length(min=1, max=256))
    new_password = fields.String(required=True, validate=length(min=8, max=128))


class PasswordChangeForm(PasswordChangeIn):
    """The page asks for the new password twice: a typo would lock her out."""

    new_password_repeat = fields.String(required=True, validate=length(max=128))

    @ma.validates_schema
    def _repeated(self, data, **kwargs):
        if data.get("new_password") != data.get("new_password_repeat"):
            raise ma.ValidationError("两次输入的新密码不一致。", "new_password_repeat")


class InvitationIn(ma.Schema):
    code = Trimmed(required=True, validate=length(min=1, max=32))
    new_password = fields.String(required=True, validate=length(min=8, max=128))


class InvitationForm(InvitationIn):
    new_password_repeat = fields.String(required=True, validate=length(max=128))

    @ma.validates_schema
    def _repeated(self, data, **kwargs):
        if data.get("new_password") != data.get("new_password_repeat"):
            raise ma.ValidationError("两次输入的新密码不一致。", "new_password_repeat")


class TokenOut(ma.Schema):
    token = fields.String()
    expires_at = fields.DateTime()


class GrantOut(ma.Schema):
    role = fields.Enum(Role, by_value=True)
    # 社区书记 or 社区工作者 on a secretary grant: its title, when it has one.
    role_label = fields.Function(lambda g: g.label)
    title = fields.Function(lambda g: g.title.value if g.title else None)
    street_id = fields.Integer(allow_none=True)
    community_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)


class MeOut(ma.Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    grants = fields.List(fields.Nested(GrantOut))
    community_ids = fields.List(fields.Integer())
    unit_ids = fields.List(fields.Integer())
    volunteer = fields.Dict(allow_none=True)

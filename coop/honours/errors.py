"""Refusals of the honours rules: 409 for the state of a nomination, 422 for what cannot be
nominated."""

from flask_babel import lazy_gettext as _l

from coop.errors import Conflict, Forbidden, Invalid


class AlreadyHonoured(Conflict):
    code = "already_honoured"
    default_message = _l("该对象本年度已有这一荣誉的提名或授予，不能重复提名。")


class NotAMember(Invalid):
    code = "not_a_member"
    default_message = _l("该单位不是本社区联盟的成员单位，不能提名。")


class TeamNotHere(Invalid):
    code = "team_not_here"
    default_message = _l("该志愿服务队不属于本社区，不能提名。")


class YearNotOpen(Invalid):
    code = "year_not_open"
    default_message = _l("只能提名今年或去年的荣誉。")


class WrongState(Conflict):
    code = "wrong_state"
    default_message = _l("这条提名当前的状态不允许这样操作。")


class ReasonRequired(Invalid):
    code = "reason_required"
    default_message = _l("请填写理由。")


class OwnNomination(Forbidden):
    code = "own_nomination"
    default_message = _l("提名人不能审批自己的提名：由街道审批。")


class BadWeights(Invalid):
    code = "bad_weights"
    default_message = _l("各项权重须为 0–100 的整数，且合计为 100。")

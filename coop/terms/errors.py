"""Refusals of the 六个一 rules: 409 for the plan's state, 422 for evidence that does not fit."""

from flask_babel import lazy_gettext as _l

from coop.errors import Conflict, Invalid, NotFound


class NoPlan(NotFound):
    code = "no_plan"
    default_message = _l("这一届还没有六个一计划，等系统在半年开始时开启。")


class NoCurrentTerm(Conflict):
    code = "no_current_term"
    default_message = _l("联盟当前没有任期，不能登记合理化建议。")


class TermAlreadyOpen(Conflict):
    code = "term_already_open"
    default_message = _l("本届任期已经开启。")


class AwaitingDeputy(Conflict):
    code = "awaiting_deputy"
    default_message = _l("请先录入联盟大会推选的轮值副书记，再登记六个一的佐证。")


class DeputyLocked(Conflict):
    code = "deputy_locked"
    default_message = _l("本届六个一已登记佐证，不能再更换轮值副书记。")


class AlreadyLinked(Conflict):
    code = "already_linked"
    default_message = _l("这项佐证已经计入本届六个一，不能重复计入。")


class NotAMember(Invalid):
    code = "not_a_member"
    default_message = _l("该单位不是本社区的联盟单位。")


class WrongEvidenceType(Invalid):
    code = "wrong_evidence_type"
    default_message = _l("这一项的佐证类型不对。")


class EvidenceNotFound(Invalid):
    code = "evidence_not_found"
    default_message = _l("本社区没有这项佐证。")


class EvidenceNotCounted(Invalid):
    """Cancelled, not held yet, not resolved, or outside the term's dates."""

    code = "evidence_not_counted"
    default_message = _l("这项佐证不在本届任期内，不能计入。")

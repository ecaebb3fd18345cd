"""The printables' named refusals (mapped to 4xx by coop.errors)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coop.errors import Conflict


class LedgerFailed(Conflict):
    """The queue could not make the 台账; staff ask for the month again."""

    code = "pdf_failed"
    default_message = _l("台账PDF生成失败，请重新申请这个月的台账；如仍失败，请联系管理员。")

    def __init__(self, reason: str = ""):
        message = None
        if reason:
            message = _(
                "台账PDF生成失败（原因：%(reason)s），请重新申请这个月的台账；"
                "如仍失败，请联系管理员。",
                reason=reason,
            )
        super().__init__(message)

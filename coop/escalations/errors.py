from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coop.errors import Conflict


class NeedNotEscalatable(Conflict):
    code = "need_not_escalatable"
    default_message = _l("只有待审核、已列入清单或已纳入项目的需求可以上报街道。")

    @classmethod
    def because(cls, need) -> "NeedNotEscalatable":
        return cls(
            _(
                "需求当前为“%(state)s”，不能上报街道：只有尚未解决的需求可以吹哨。",
                state=need.status.label,
            )
        )


class AlreadyEscalated(Conflict):
    code = "already_escalated"
    default_message = _l("该需求已上报街道，正在等待街道处置，不能重复上报。")


class NeedNoLongerOpen(Conflict):
    code = "need_no_longer_open"
    default_message = _l("需求已不在办理中（已被社区关闭或不予受理），请退回社区。")

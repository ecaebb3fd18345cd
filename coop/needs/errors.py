from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coop.errors import Conflict


class NeedNotEditable(Conflict):
    code = "need_not_editable"
    default_message = _l("需求已纳入项目或已办结，不能再修改。")

    @classmethod
    def because(cls, need, *, staff: bool, notes_only: bool = False) -> "NeedNotEditable":
        """The refusal naming the need's state and what is still possible."""
        state = need.status.label
        if notes_only:
            return cls(_("需求当前为“%(state)s”，只能修改备注。", state=state))
        if staff:
            return cls(_("需求当前为“%(state)s”，不能再修改。", state=state))
        return cls(_("需求当前为“%(state)s”，如需修改请联系社区工作人员。", state=state))


class NeedNotRateable(Conflict):
    code = "need_not_resolved"
    default_message = _l("需求还没有解决，解决后才能评价。")


class AlreadyRated(Conflict):
    code = "already_rated"
    default_message = _l("这次解决已经评价过了，每次解决只能评价一次。")


class NeedFinished(Conflict):
    code = "need_finished"
    default_message = _l("需求已办结或未受理，无需再移交。")

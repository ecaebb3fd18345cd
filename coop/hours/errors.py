from flask_babel import lazy_gettext as _l

from coop.errors import Conflict, Forbidden


class OwnHours(Forbidden):
    code = "own_hours"
    default_message = _l("不能核实自己的服务时长。")


class SecondPersonNeeded(Forbidden):
    code = "second_person_needed"
    default_message = _l("补录的时长需由另一位工作人员核实。")


class AlreadyReversed(Conflict):
    code = "already_reversed"
    default_message = _l("这条记录已经冲正过了。")

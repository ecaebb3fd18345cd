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


class RecordExists(Conflict):
    """One live record of service per volunteer and activity; the message names it."""

    code = "record_exists"
    default_message = _l("该志愿者在这场活动已有服务记录，如需更正，请先冲正该记录，再重新补录。")


class StillCheckedIn(Conflict):
    code = "still_checked_in"
    default_message = _l("该志愿者已签到、尚未签退：请为其代签退，签退即生成服务记录。")

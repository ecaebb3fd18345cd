from flask_babel import lazy_gettext as _l

from coop.errors import Conflict, Invalid


class ActivityFull(Conflict):
    code = "activity_full"
    default_message = _l("该活动名额已满，可以加入候补名单。")


class OverlappingSignup(Conflict):
    code = "overlapping_signup"
    default_message = _l("您已报名同一时间的另一场活动。")


class AlreadySignedUp(Conflict):
    code = "already_signed_up"
    default_message = _l("您已报名这场活动。")


class NotSignedUp(Conflict):
    code = "not_signed_up"
    default_message = _l("您还没有报名这场活动。")


class CheckinClosed(Conflict):
    code = "checkin_closed"
    default_message = _l("现在不在签到时间内（活动开始前 30 分钟至活动结束）。")


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"
    default_message = _l("已经签到过了。")


class NotCheckedIn(Conflict):
    code = "not_checked_in"
    default_message = _l("请先签到，再签退。")


class AlreadyCheckedOut(Conflict):
    code = "already_checked_out"
    default_message = _l("已经签退过了。")


class NotStartedYet(Conflict):
    code = "not_started_yet"
    default_message = _l("活动还没有开始，开始后才能签退。")


class ActivityCancelled(Conflict):
    code = "activity_cancelled"
    default_message = _l("该活动已取消。")


class ActivityStarted(Conflict):
    code = "activity_started"
    default_message = _l("活动已经开始，不能再修改。")


class WrongCode(Invalid):
    code = "wrong_code"
    default_message = _l("签到码不正确，请核对后重新输入。")

    def __init__(self):
        super().__init__(errors={"code": [str(self.default_message)]})

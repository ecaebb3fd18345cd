from flask_babel import lazy_gettext as _l

from coop.errors import Conflict, Forbidden


class AlreadyDeactivated(Conflict):
    code = "already_deactivated"
    default_message = _l("此人已停用。")


class NotDeactivated(Conflict):
    code = "not_deactivated"
    default_message = _l("此人未停用。")


class StillActive(Conflict):
    code = "still_active"
    default_message = _l("只能注销已停用人员的个人信息，请先停用。")


class AlreadyAnonymised(Conflict):
    code = "already_anonymised"
    default_message = _l("此人的个人信息已注销。")


class StaffNotDeactivated(Forbidden):
    code = "staff_not_deactivated"
    default_message = _l("社区工作人员由街道管理员任免，不能在人员名单中停用。")

from flask_babel import lazy_gettext as _l

from coop.errors import Conflict


class NeedNotEditable(Conflict):
    code = "need_not_editable"
    default_message = _l("需求已纳入项目或已办结，不能再修改。")

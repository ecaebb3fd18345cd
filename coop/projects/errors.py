from flask_babel import lazy_gettext as _l

from coop.errors import Conflict


class ProjectNotEditable(Conflict):
    code = "project_not_editable"
    default_message = _l("项目当前状态下不能修改。")

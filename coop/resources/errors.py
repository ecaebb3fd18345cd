from flask_babel import lazy_gettext as _l

from coop.errors import Conflict


class ResourceNotEditable(Conflict):
    """An offer is corrected only while the unit still holds it (offered, or returned)."""

    code = "resource_not_editable"
    default_message = _l("已列入清单的资源不能修改，请撤回后重新发布。")

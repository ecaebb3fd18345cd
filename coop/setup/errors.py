from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coop.errors import Conflict, DomainError, Invalid


class NotSetUp(DomainError):
    """Nothing but the set-up works before the street and its first admin exist."""

    status = 503
    code = "not_set_up"
    default_message = _l("系统尚未完成初始设置：请先在 /setup 页面建立街道和第一位街道管理员。")


class AlreadySetUp(Conflict):
    code = "already_set_up"
    default_message = _l("系统已经完成初始设置，请直接登录。")


class CommunityNameTaken(Invalid):
    code = "community_name_taken"
    default_message = _l("本街道已有同名的社区。")

    def __init__(self):
        super().__init__(errors={"name": [str(self.default_message)]})


class NeighbourhoodNameTaken(Invalid):
    code = "neighbourhood_name_taken"
    default_message = _l("本社区已有同名的邻里单元。")

    def __init__(self):
        super().__init__(errors={"name": [str(self.default_message)]})


class UsernameTaken(Invalid):
    code = "username_taken"
    default_message = _l("该用户名已被使用，请换一个。")

    def __init__(self):
        super().__init__(errors={"username": [str(self.default_message)]})


class AlreadyAppointed(Conflict):
    code = "already_appointed"
    default_message = _l("此人已担任这一职务；如需改任，请先免去原职务。")


class SecretaryTaken(Conflict):
    code = "secretary_taken"
    default_message = _l("本社区已有社区书记；如需更换，请先免去现任书记。")

    def __init__(self, incumbent: str):
        message = _(
            "本社区已有社区书记%(name)s；如需更换，请先免去现任书记，或将此人任命为副书记或"
            "社区工作者。",
            name=incumbent,
        )
        super().__init__(message, errors={"title": [message]})


class GridLeaderTaken(Conflict):
    code = "grid_leader_taken"
    default_message = _l("这个网格已有网格长；如需更换，请先免去现任网格长。")


class LastStreetAdmin(Conflict):
    code = "last_street_admin"
    default_message = _l("这是本街道最后一位街道管理员，不能免去：请先任命另一位街道管理员。")

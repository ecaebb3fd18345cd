from flask_babel import lazy_gettext as _l

from coop.errors import Conflict


class NotInvitable(Conflict):
    code = "not_invitable"
    default_message = _l("只能邀请推荐给项目的联盟单位认领。")


class NotOrderable(Conflict):
    code = "not_orderable"
    default_message = _l("只能就推荐给项目的资源点单。")


class NoLiaison(Conflict):
    code = "no_liaison"
    default_message = _l("该单位还没有联络员账号，无法发送邀请。")


class ProjectClosed(Conflict):
    code = "not_claimable"
    default_message = _l("该项目已不在认领中，不能再邀请认领。")


class SuggestionReplaced(Conflict):
    code = "suggestion_replaced"
    default_message = _l("推荐已重新计算，请刷新页面后再操作。")

from flask_babel import lazy_gettext as _l

from coop.errors import Conflict


class ProjectFull(Conflict):
    code = "project_full"
    default_message = _l("该项目的认领名额已满。")


class AlreadyClaimed(Conflict):
    code = "already_claimed"
    default_message = _l("您已认领过该项目，请勿重复认领。")


class NotClaimable(Conflict):
    code = "not_claimable"
    default_message = _l("该项目当前不接受认领。")


class NoLiveAgreement(Conflict):
    code = "no_live_agreement"
    default_message = _l("贵单位与本社区没有生效中的《共驻共建协议书》，暂不能认领。")


class TooManyOpenClaims(Conflict):
    code = "too_many_open_claims"
    default_message = _l("贵单位已认领的项目中还有 %(n)d 个未完成，请先完成再认领新的项目。")


class OrderTaken(Conflict):
    code = "order_exists"
    default_message = _l("已向该单位就此资源点单，请等待回复。")


class UnitHasClaimed(Conflict):
    """资源点单 to a unit that already claimed the project; the message names its claim."""

    code = "unit_has_claimed"
    default_message = _l("该单位已认领这个项目，不能再向其点单。")

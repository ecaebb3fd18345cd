from flask_babel import lazy_gettext as _l

from coop.errors import Conflict, Forbidden
from coop.ledger.errors import InsufficientPoints
from coop.pictures import BadPicture

__all__ = [
    "BadPicture",
    "InsufficientPoints",
    "LimitReached",
    "NotOnShelf",
    "OutOfStock",
    "OwnRedemption",
    "RedemptionOverdue",
]


class OutOfStock(Conflict):
    code = "out_of_stock"
    default_message = _l("这件物品已经兑完了，请等补货后再来。")


class NotOnShelf(Conflict):
    code = "not_on_shelf"
    default_message = _l("这件物品已下架，暂不能兑换。")


class LimitReached(Conflict):
    code = "limit_reached"
    default_message = _l("本月您兑换这件物品的次数已达上限。")


class RedemptionOverdue(Conflict):
    code = "redemption_overdue"
    default_message = _l("这个预约已超过领取期限，不能再领取；冻结的积分将自动退回。")


class OwnRedemption(Forbidden):
    code = "own_redemption"
    default_message = _l("不能为自己的兑换办理领取，请另一位工作人员办理。")

from flask_babel import lazy_gettext as _l

from coop.errors import Conflict


class InsufficientPoints(Conflict):
    code = "insufficient_points"
    default_message = _l("积分不足。")

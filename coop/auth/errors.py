from flask_babel import lazy_gettext as _l

from coop.errors import Unauthorized


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    default_message = _l("用户名或密码不正确。")


class InvalidToken(Unauthorized):
    code = "invalid_token"
    default_message = _l("令牌无效、已过期或已撤销，请重新获取。")

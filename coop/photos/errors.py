from flask_babel import lazy_gettext as _l

from coop.errors import Conflict


class TooManyPhotos(Conflict):
    code = "too_many_photos"
    default_message = _l("这场活动的照片已达 60 张，请先删除一些再添加。")

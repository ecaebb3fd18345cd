"""The five project categories shared by needs, resources and projects."""

import enum

from flask_babel import lazy_gettext as _l

from coop.dbtypes import labelled


class Category(enum.StrEnum):
    RED_EDUCATION = "红色教育"
    POLICY = "政策宣讲"
    CARE = "关心关爱"
    GOVERNANCE = "社会治理"
    CONVENIENCE = "便民服务"


labelled(
    Category,
    {
        Category.RED_EDUCATION: _l("红色教育"),
        Category.POLICY: _l("政策宣讲"),
        Category.CARE: _l("关心关爱"),
        Category.GOVERNANCE: _l("社会治理"),
        Category.CONVENIENCE: _l("便民服务"),
    },
)

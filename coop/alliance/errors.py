from flask_babel import lazy_gettext as _l

from coop.errors import Conflict, Invalid


class UnitNameTaken(Invalid):
    code = "unit_name_taken"
    default_message = _l("已有同名的联盟单位。")

    def __init__(self):
        super().__init__(errors={"name": [str(self.default_message)]})


class TooManyCommunities(Conflict):
    code = "too_many_communities"
    default_message = _l("按“双报到”要求，一个单位最多服务 3 个社区。")


class AlreadyMember(Conflict):
    code = "already_member"
    default_message = _l("该单位已是本社区联盟成员。")


class NotAMember(Conflict):
    code = "not_a_member"
    default_message = _l("该单位不是本社区联盟成员，请先加入联盟。")


class AgreementOverlaps(Conflict):
    code = "agreement_overlaps"
    default_message = _l("该单位在这段时间已有协议，请先终止原协议或调整起止日期。")


class AgreementAlreadyEnded(Conflict):
    code = "agreement_already_ended"
    default_message = _l("该协议已经终止或已到期。")

"""Refusals of the meeting and 推选 rules: 409 for a state that forbids it, 422 for bad input."""

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coop.errors import Conflict, Invalid


class MeetingInPast(Invalid):
    code = "meeting_in_past"
    default_message = _l("会议时间已经过去，不能再安排；请填写今后的时间。")


class AssemblyExists(Conflict):
    """联盟大会 is held once a half year: a second one in the same half year is refused."""

    code = "assembly_exists"
    default_message = _l("这半年已经安排了联盟大会。")

    def __init__(self, day: date):
        message = _(
            "这半年已安排联盟大会（%(day)s）。联盟大会每半年一次：如需改期，请先取消原定的大会"
            "再重新安排；其他议题请安排联席会议。",
            day=day.isoformat(),
        )
        super().__init__(message, errors={"kind": [message]})


class MeetingNotOpen(Conflict):
    code = "meeting_not_open"
    default_message = _l("这次会议已取消，不能再登记。")


class MeetingNotStarted(Conflict):
    code = "meeting_not_started"
    default_message = _l("会议还没有开始，开始后才能签到、登记出席和记录纪要。")


class CheckinClosed(Conflict):
    code = "checkin_closed"
    default_message = _l("签到已结束：会议当天结束后不能再扫码签到，请联系社区书记登记。")


class WrongCode(Invalid):
    code = "wrong_code"
    default_message = _l("签到码不对，请重新扫描会场的二维码。")


class NotInvited(Invalid):
    code = "not_invited"
    default_message = _l("该单位没有受邀参加这次会议。")


class NoLiaisonUnit(Conflict):
    code = "no_liaison_unit"
    default_message = _l("您不是受邀单位的联络员，不能为单位签到。")


class AlreadyPresent(Conflict):
    code = "already_present"
    default_message = _l("本单位已经签到。")


class NotAMember(Invalid):
    code = "not_a_member"
    default_message = _l("该单位不是本社区的联盟单位。")


class AlreadyLinkedResolution(Conflict):
    code = "resolution_already_linked"
    default_message = _l("这条决议已经转成项目或计入六个一。")


class ElectionExists(Conflict):
    code = "election_exists"
    default_message = _l("本届已经开始推选，请在原推选中继续登记。")


class ElectionCertified(Conflict):
    code = "election_certified"
    default_message = _l("推选结果已经确认，不能再修改。")


class NoLiveAgreement(Invalid):
    code = "no_live_agreement"
    default_message = _l("候选单位必须是协议有效的联盟成员单位。")


class NotACandidate(Invalid):
    code = "not_a_candidate"
    default_message = _l("只能投给已提名的候选单位。")


class NotAVoter(Invalid):
    code = "not_a_voter"
    default_message = _l("只有本社区的联盟成员单位可以投票。")


class AlreadyVoted(Conflict):
    code = "already_voted"
    default_message = _l("该单位已经投过票，每个单位只有一票。")


class NoVotes(Conflict):
    code = "no_votes"
    default_message = _l("还没有登记任何投票或同意的单位，不能确认结果。")


class TiedVote(Conflict):
    code = "tied_vote"
    default_message = _l("得票最多的候选单位票数相同，请再次协商或投票后再确认。")


class WrongMethod(Conflict):
    code = "wrong_method"
    default_message = _l("这次推选的方式不是这一种。")


class ConsensusNeedsOneCandidate(Invalid):
    code = "consensus_one_candidate"
    default_message = _l("协商一致只能有一个候选单位。")

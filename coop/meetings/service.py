"""The alliance's meetings and the 推选 of its rotating deputy.

Rules written down here:

- **Scheduling** (secretary): a 联盟大会 or 联席会议 at a time still ahead (a time already past is
  refused: a meeting is scheduled, not back-filled), with a place and an agenda. Every member unit
  of the community is invited (one attendance row each) and each unit's liaison gets a notice.
  The meeting belongs to the alliance's term its day falls in (one scheduled before its term
  opened joins it when it does). The clock books each term's assembly itself when it opens the
  term (``book_assembly``, no liaison notice that early), unless the secretary has scheduled
  it: a 联盟大会 is held once a half year, so a second one not cancelled is refused.
- **Attendance**: from an hour before the start to the end of the meeting's day, a liaison of an
  invited unit scans the QR shown on the meeting page (the code is in the link) and signs in; her
  unit is marked present. The secretary may tick or untick a unit from the start on. The first
  unit present makes the meeting ``held``.
- **Minutes and 决议** are written once the meeting has started (writing them also marks it held).
  Each 决议 has an owner unit of the alliance and a due date not before the meeting; it may turn
  once into a draft project (coop.projects) or count under one of the term's 六个一 items.
- **推选**: one per term. The secretary nominates candidates (member units with a live agreement)
  and records either one vote per member unit, or 协商一致 with the units that agreed. Certifying
  needs at least one vote and a single leader; it sets the term's deputy through
  ``coop.terms.service.choose_deputy`` and nothing changes afterwards.

Every function flushes and never commits; every refusal raises before anything is written.
"""

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.alliance import queries as alliance_queries
from coop.alliance.models import AllianceOffice, Community, Term
from coop.auth.models import Role, RoleGrant, User
from coop.categories import Category
from coop.errors import Invalid
from coop.extensions import db
from coop.meetings import errors, permissions, queries
from coop.meetings.models import (
    Attendance,
    AttendanceVia,
    DeputyElection,
    ElectionCandidate,
    ElectionMethod,
    ElectionVote,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Resolution,
)
from coop.notices.service import notify
from coop.projects import service as projects_service
from coop.projects.models import Project, ProjectMode
from coop.terms import queries as terms_queries
from coop.terms import service as terms_service
from coop.terms.models import TermPlanItem
from coop.timeutil import COMMUNITY_TZ, local_midnight

CHECKIN_OPENS_BEFORE = timedelta(hours=1)
DEFAULT_ASSEMBLY_TIME = time(9, 0)


def _managed_community(actor: User, community_id: int) -> Community:
    """:raise NotFound: not hers to see. :raise Forbidden: not her community to run."""
    community = alliance_queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_meetings(actor, community.id))
    return community


def _managed_meeting(actor: User, meeting_id: int) -> Meeting:
    meeting = queries.get_meeting(actor, meeting_id, for_update=True)
    permissions.require(permissions.can_manage_meetings(actor, meeting.community_id))
    return meeting


def _require_started(meeting: Meeting, now: datetime, *, early: timedelta = timedelta()) -> None:
    if meeting.status is MeetingStatus.CANCELLED:
        raise errors.MeetingNotOpen()
    if now < meeting.starts_at - early:
        raise errors.MeetingNotStarted()


def _invite_members(meeting: Meeting) -> list[Attendance]:
    rows = [
        Attendance(unit_id=unit.id) for unit in terms_queries.member_units(meeting.community_id)
    ]
    meeting.attendances.extend(rows)
    return rows


def liaison_ids(unit_ids: list[int]) -> list[int]:
    if not unit_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(RoleGrant.user_id)
            .where(RoleGrant.role == Role.UNIT_LIAISON, RoleGrant.unit_id.in_(unit_ids))
            .distinct()
            .order_by(RoleGrant.user_id)
        )
    )


def schedule_meeting(
    actor: User,
    community_id: int,
    *,
    kind: MeetingKind,
    title: str,
    starts_at: datetime,
    place: str,
    agenda: str = "",
    now: datetime,
) -> Meeting:
    """Schedule a 联盟大会 or 联席会议 (secretary); every member unit is invited and each
    liaison is told.

    :raise NotFound, Forbidden: not her community / not its secretary.
    :raise MeetingInPast: the time has already passed (422).
    :raise AssemblyExists: a 联盟大会 when the half year has one not cancelled (409).
    """
    community = _managed_community(actor, community_id)
    if starts_at <= now:
        raise errors.MeetingInPast()
    day = starts_at.astimezone(COMMUNITY_TZ).date()
    if kind is MeetingKind.ASSEMBLY:
        _refuse_second_assembly(community, day)
    alliance = community.alliance
    term = terms_queries.term_at(alliance.id, day) if alliance else None
    meeting = Meeting(
        community_id=community.id,
        term_id=term.id if term else None,
        kind=MeetingKind(kind),
        title=title.strip(),
        starts_at=starts_at,
        place=place.strip(),
        agenda=agenda.strip(),
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(meeting)
    invited = _invite_members(meeting)
    db.session.flush()
    when = starts_at.astimezone(COMMUNITY_TZ).strftime("%Y-%m-%d %H:%M")
    for user_id in liaison_ids([a.unit_id for a in invited]):
        notify(
            user_id,
            _("会议通知：%(title)s", title=meeting.title),
            body=_(
                "%(kind)s定于 %(when)s 在%(place)s召开，请贵单位派员参加。到场后扫描会场二维码签到。",
                kind=meeting.kind.label,
                when=when,
                place=meeting.place,
            ),
            link=f"/meetings/{meeting.id}",
        )
    return meeting


def _lock_community(community_id: int) -> None:
    """The community's row lock: two schedulings of its 联盟大会 (the clock's booking among
    them) are decided one after the other."""
    db.session.execute(
        sa.select(Community.id).where(Community.id == community_id).with_for_update()
    )


def _refuse_second_assembly(community: Community, day: date) -> None:
    """:raise AssemblyExists: the half year of ``day`` has its 联盟大会."""
    _lock_community(community.id)
    existing = queries.half_year_assembly(community.id, day)
    if existing is not None:
        raise errors.AssemblyExists(existing.local_day)


def adopt_meetings(term: Term, community_id: int) -> None:
    """The community's meetings scheduled in the term's half year before it opened (a 联盟大会
    booked a half year ahead, say) become the term's."""
    db.session.execute(
        sa.update(Meeting)
        .where(
            Meeting.community_id == community_id,
            Meeting.term_id.is_(None),
            queries.held_within(term.starts_on, term.ends_on),
        )
        .values(term_id=term.id)
        .execution_options(synchronize_session="fetch")  # her Meeting in the session too
    )


def book_assembly(term: Term, community_id: int, *, day: date) -> Meeting:
    """The clock's booking of the term's 联盟大会 when it opens the term (09:00 on ``day``);
    member units are invited. No liaison notice this early: the secretary's own notice asks her
    to prepare it. Idempotent: an existing assembly of the term is returned, the one she
    scheduled before the term opened too (``adopt_meetings`` made it the term's)."""
    _lock_community(community_id)
    adopt_meetings(term, community_id)
    existing = queries.term_assembly(term.id)
    if existing is not None:
        return existing
    meeting = Meeting(
        community_id=community_id,
        term_id=term.id,
        kind=MeetingKind.ASSEMBLY,
        title=_("%(term)s联盟大会", term=term.name),
        starts_at=datetime.combine(day, DEFAULT_ASSEMBLY_TIME, COMMUNITY_TZ),
        place=_("社区党群服务中心"),
        agenda=_("1. 通报上一届六个一完成情况\n2. 推选本届轮值副书记\n3. 商议本届六个一计划"),
    )
    db.session.add(meeting)
    _invite_members(meeting)
    db.session.flush()
    return meeting


def cancel_meeting(actor: User, meeting_id: int, *, reason: str, now: datetime) -> Meeting:
    """Call off a meeting not yet held (secretary); the invited liaisons are told.

    :raise MeetingNotOpen: already cancelled or held (409). :raise Invalid: no reason.
    """
    meeting = _managed_meeting(actor, meeting_id)
    if meeting.status is not MeetingStatus.SCHEDULED:
        raise errors.MeetingNotOpen(_("只有待召开的会议可以取消。"))
    if not reason.strip():
        raise Invalid(errors={"reason": [_("请填写取消的原因。")]})
    meeting.status, meeting.cancel_reason = MeetingStatus.CANCELLED, reason.strip()
    db.session.flush()
    for user_id in liaison_ids([a.unit_id for a in meeting.attendances]):
        notify(
            user_id,
            _("会议取消：%(title)s", title=meeting.title),
            body=reason.strip(),
            link=f"/meetings/{meeting.id}",
        )
    return meeting


def _checkin_window_closes(meeting: Meeting) -> datetime:
    return local_midnight(meeting.local_day + timedelta(days=1))


def check_in(
    actor: User, meeting_id: int, *, code: str, attendee_name: str = "", now: datetime
) -> Attendance:
    """A liaison signs in for her invited unit with the code in the meeting's QR.

    :raise WrongCode (422), MeetingNotStarted, CheckinClosed, MeetingNotOpen (409).
    :raise NoLiaisonUnit: she is no liaison of an invited unit (409). :raise AlreadyPresent (409).
    """
    meeting = queries.get_meeting(actor, meeting_id, for_update=True)
    if code.strip() != meeting.checkin_code:
        raise errors.WrongCode()
    _require_started(meeting, now, early=CHECKIN_OPENS_BEFORE)
    if now >= _checkin_window_closes(meeting):
        raise errors.CheckinClosed()
    units = permissions.liaison_unit_ids(actor)
    attendance = next((a for a in meeting.attendances if a.unit_id in units), None)
    if attendance is None:
        raise errors.NoLiaisonUnit()
    if attendance.present_at is not None:
        raise errors.AlreadyPresent()
    attendance.present_at, attendance.via = now, AttendanceVia.QR
    attendance.attendee_name = (attendee_name.strip() or actor.display_name)[:64]
    attendance.marked_by_id = actor.id
    meeting.status = MeetingStatus.HELD
    db.session.flush()
    return attendance


def mark_attendance(
    actor: User, meeting_id: int, *, unit_id: int, present: bool, now: datetime
) -> Attendance:
    """The secretary ticks (or unticks) an invited unit present, from an hour before the start.

    :raise NotInvited (422), MeetingNotStarted, MeetingNotOpen (409).
    """
    meeting = _managed_meeting(actor, meeting_id)
    _require_started(meeting, now, early=CHECKIN_OPENS_BEFORE)
    attendance = next((a for a in meeting.attendances if a.unit_id == unit_id), None)
    if attendance is None:
        raise errors.NotInvited()
    if present and attendance.present_at is None:
        attendance.present_at, attendance.via = now, AttendanceVia.STAFF
        attendance.marked_by_id = actor.id
        meeting.status = MeetingStatus.HELD
    elif not present:
        attendance.present_at = attendance.via = None
        attendance.attendee_name, attendance.marked_by_id = "", actor.id
    db.session.flush()
    return attendance


def record_minutes(actor: User, meeting_id: int, *, minutes: str, now: datetime) -> Meeting:
    """Write (or rewrite) the minutes once the meeting has started (secretary); it is held.

    :raise MeetingNotStarted, MeetingNotOpen (409). :raise Invalid: empty minutes.
    """
    meeting = _managed_meeting(actor, meeting_id)
    _require_started(meeting, now)
    if not minutes.strip():
        raise Invalid(errors={"minutes": [_("请填写会议纪要。")]})
    meeting.minutes, meeting.minutes_at = minutes.strip(), now
    meeting.status = MeetingStatus.HELD
    db.session.flush()
    return meeting


def add_resolution(
    actor: User,
    meeting_id: int,
    *,
    text: str,
    owner_unit_id: int,
    due_on: date,
    now: datetime,
) -> Resolution:
    """Record a 决议 with its owner unit and due date (secretary, once the meeting started).

    :raise MeetingNotStarted, MeetingNotOpen (409). :raise NotAMember: owner not of the alliance.
    :raise Invalid: due before the meeting.
    """
    meeting = _managed_meeting(actor, meeting_id)
    _require_started(meeting, now)
    if not terms_queries.is_member(owner_unit_id, meeting.community_id):
        raise errors.NotAMember()
    if due_on < meeting.local_day:
        raise Invalid(errors={"due_on": [_("完成期限不能早于会议日期。")]})
    resolution = Resolution(
        text=text.strip(),
        owner_unit_id=owner_unit_id,
        due_on=due_on,
        created_by_id=actor.id,
        created_at=now,
    )
    meeting.resolutions.append(resolution)
    meeting.status = MeetingStatus.HELD
    db.session.flush()
    return resolution


def _managed_resolution(actor: User, resolution_id: int) -> Resolution:
    resolution = queries.get_resolution(actor, resolution_id)
    _managed_meeting(actor, resolution.meeting_id)
    db.session.refresh(resolution, with_for_update=True)
    if resolution.project_id is not None or resolution.plan_item_id is not None:
        raise errors.AlreadyLinkedResolution()
    return resolution


def resolution_to_project(
    actor: User, resolution_id: int, *, category: Category, now: datetime
) -> Project:
    """Turn a 决议 into a draft routine project of the community (secretary), once; the draft
    runs from tomorrow to the due date and she completes it on the project's edit page.

    :raise AlreadyLinkedResolution (409).
    """
    resolution = _managed_resolution(actor, resolution_id)
    meeting = resolution.meeting
    today = now.astimezone(COMMUNITY_TZ).date()
    starts_at = datetime.combine(today + timedelta(days=1), time(9), COMMUNITY_TZ)
    ends_at = datetime.combine(resolution.due_on, time(18), COMMUNITY_TZ)
    if ends_at <= starts_at:
        ends_at = starts_at + timedelta(days=7)
    title = resolution.text.splitlines()[0][:120]
    project = projects_service.create_project(
        actor,
        meeting.community_id,
        need_ids=[],
        title=title if len(title) >= 2 else _("决议落实：%(t)s", t=title),
        description=_(
            "来自%(meeting)s（%(day)s）的决议：%(text)s\n牵头单位：%(unit)s；完成期限：%(due)s。",
            meeting=meeting.title,
            day=meeting.local_day.isoformat(),
            text=resolution.text,
            unit=resolution.owner_unit.name,
            due=resolution.due_on.isoformat(),
        ),
        category=Category(category),
        mode=ProjectMode.ROUTINE,
        starts_at=starts_at,
        ends_at=ends_at,
        claim_deadline=starts_at,
    )
    resolution.project_id = project.id
    db.session.flush()
    return project


def resolution_to_plan_item(actor: User, resolution_id: int, *, item_id: int) -> Resolution:
    """Count a 决议 under one of the term's 六个一 items (secretary), once.

    :raise AlreadyLinkedResolution (409). :raise Invalid: the item is not of the meeting's term.
    """
    resolution = _managed_resolution(actor, resolution_id)
    item = db.session.get(TermPlanItem, item_id)
    if item is None or item.plan.term_id != resolution.meeting.term_id:
        raise Invalid(errors={"item_id": [_("请选择这次会议所在任期的六个一事项。")]})
    resolution.plan_item_id = item.id
    db.session.flush()
    return resolution


def resolutions_of_item(item_id: int) -> list[Resolution]:
    """The 决议 counted under a 六个一 item (the term page shows them with their meeting)."""
    return list(
        db.session.scalars(
            sa.select(Resolution).where(Resolution.plan_item_id == item_id).order_by(Resolution.id)
        )
    )


def resolution_of_project(project_id: int) -> Resolution | None:
    """The 决议 a project came from, if any (the project page links back)."""
    return db.session.scalar(sa.select(Resolution).where(Resolution.project_id == project_id))


# ---------------------------------------------------------------- 推选


def _managed_term(actor: User, term_id: int) -> tuple[Term, int]:
    term = terms_queries.get_term(actor, term_id, for_update=True)
    community_id = terms_queries.community_id_of(term)
    permissions.require(permissions.can_manage_meetings(actor, community_id))
    return term, community_id


def eligible_unit_ids(community_id: int, today: date) -> set[int]:
    """Who may stand: member units with a live agreement."""
    members = {u.id for u in terms_queries.member_units(community_id)}
    return members & alliance_queries.live_agreement_unit_ids(community_id, today)


def start_election(
    actor: User,
    term_id: int,
    *,
    method: ElectionMethod,
    candidate_unit_ids: list[int],
    meeting_id: int | None = None,
    today: date,
) -> DeputyElection:
    """Open the term's 推选 with its nominated candidates (secretary); one per term.

    :raise ElectionExists (409). :raise NoLiveAgreement: a candidate is no member with a live
    agreement (422). :raise ConsensusNeedsOneCandidate (422). :raise Invalid: no candidate, or a
    meeting that is not the term's.
    """
    term, community_id = _managed_term(actor, term_id)
    if queries.election_of(term.id) is not None:
        raise errors.ElectionExists()
    method = ElectionMethod(method)
    ids = list(dict.fromkeys(candidate_unit_ids))
    if not ids:
        raise Invalid(errors={"candidate_unit_ids": [_("请至少提名一个候选单位。")]})
    if not set(ids) <= eligible_unit_ids(community_id, today):
        raise errors.NoLiveAgreement()
    if method is ElectionMethod.CONSENSUS and len(ids) != 1:
        raise errors.ConsensusNeedsOneCandidate()
    if meeting_id is not None:
        meeting = queries.get_meeting(actor, meeting_id)
        if meeting.term_id != term.id:
            raise Invalid(errors={"meeting_id": [_("请选择本届任期内的会议。")]})
    election = DeputyElection(term_id=term.id, meeting_id=meeting_id, method=method)
    election.candidates.extend(ElectionCandidate(unit_id=uid) for uid in ids)
    db.session.add(election)
    db.session.flush()
    return election


def _open_election(actor: User, election_id: int) -> tuple[DeputyElection, int]:
    election = queries.get_election(actor, election_id, for_update=True)
    _term, community_id = _managed_term(actor, election.term_id)
    if election.certified_at is not None:
        raise errors.ElectionCertified()
    return election, community_id


def record_vote(
    actor: User, election_id: int, *, voter_unit_id: int, candidate_unit_id: int, now: datetime
) -> ElectionVote:
    """Record one member unit's vote (secretary, for a vote 推选).

    :raise ElectionCertified, WrongMethod, AlreadyVoted (409). :raise NotAVoter, NotACandidate (422).
    """
    election, community_id = _open_election(actor, election_id)
    if election.method is not ElectionMethod.VOTE:
        raise errors.WrongMethod()
    if not terms_queries.is_member(voter_unit_id, community_id):
        raise errors.NotAVoter()
    if candidate_unit_id not in {c.unit_id for c in election.candidates}:
        raise errors.NotACandidate()
    if any(v.voter_unit_id == voter_unit_id for v in election.votes):
        raise errors.AlreadyVoted()
    vote = ElectionVote(
        voter_unit_id=voter_unit_id,
        candidate_unit_id=candidate_unit_id,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    election.votes.append(vote)
    db.session.flush()  # the unique (election, voter) index backs the one-vote rule
    return vote


def record_agreement(
    actor: User, election_id: int, *, unit_ids: list[int], now: datetime
) -> list[ElectionVote]:
    """协商一致: record the member units that agreed on the single candidate (secretary).

    :raise ElectionCertified, WrongMethod, AlreadyVoted (409). :raise NotAVoter (422).
    :raise Invalid: no unit given.
    """
    election, community_id = _open_election(actor, election_id)
    if election.method is not ElectionMethod.CONSENSUS:
        raise errors.WrongMethod()
    ids = list(dict.fromkeys(unit_ids))
    if not ids:
        raise Invalid(errors={"unit_ids": [_("请勾选同意的单位。")]})
    if any(not terms_queries.is_member(uid, community_id) for uid in ids):
        raise errors.NotAVoter()
    voted = {v.voter_unit_id for v in election.votes}
    if voted & set(ids):
        raise errors.AlreadyVoted(_("勾选的单位中有已经登记同意的单位。"))
    candidate = election.candidates[0].unit_id
    rows = [
        ElectionVote(
            voter_unit_id=uid, candidate_unit_id=candidate, recorded_by_id=actor.id, recorded_at=now
        )
        for uid in ids
    ]
    election.votes.extend(rows)
    db.session.flush()
    return rows


def certify_election(
    actor: User, election_id: int, *, holder_name: str, now: datetime
) -> AllianceOffice:
    """Certify the result (secretary): the leading candidate becomes the term's 轮值副书记 and
    leads its 六个一.

    :raise ElectionCertified, NoVotes, TiedVote (409); and what ``choose_deputy`` raises.
    """
    election, _community_id = _open_election(actor, election_id)
    if not election.votes:
        raise errors.NoVotes()
    ranked = queries.tally(election)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        raise errors.TiedVote()
    if not holder_name.strip():
        raise Invalid(errors={"holder_name": [_("请填写担任轮值副书记的同志姓名。")]})
    winner = ranked[0][0]
    office = terms_service.choose_deputy(
        actor, election.term_id, unit_id=winner.id, holder_name=holder_name
    )
    election.chosen_unit_id, election.holder_name = winner.id, holder_name.strip()
    election.certified_at, election.certified_by_id = now, actor.id
    db.session.flush()
    return office

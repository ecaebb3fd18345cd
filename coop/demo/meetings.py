"""The alliance's own life in the demo (DESIGN.md §3): its 联盟大会, 联席会议 and 推选.

- **Ended terms**: each one's 联盟大会 was held on the day the clock books (the first Saturday on
  or after the 15th of the term's first month) — all member units but one present, 康达物业公司
  by its liaison's QR sign-in and the rest ticked by staff —, minuted, with one 决议; the deputy
  was chosen there by one vote per member unit and certified. These are history, so they are
  written as rows (the service refuses to schedule a meeting in the past); the deputies rotate
  through the units in order, as before.
- **The current term** (``load_current``, run by demo.terms after the clock opened the term):
  the assembly the clock booked is held on a day already past — its booked day, or this very
  morning when the term is younger than that — so the figures do not depend on today's date.
  Attendance, minutes, two 决议 (one counted under the 六个一) and the 推选 go through
  ``coop.meetings.service`` as the secretary would; certifying sets the deputy, who leads the
  term's 六个一. A 联席会议 is scheduled a fortnight ahead, so the liaisons have an invitation.
"""

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from coop.alliance.models import AllianceOffice, Community, OfficeRole, Term, Unit
from coop.auth.models import User
from coop.extensions import db
from coop.meetings import queries, service
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
from coop.terms import queries as terms_queries
from coop.terms.models import ItemKind
from coop.terms.service import assembly_date
from coop.timeutil import COMMUNITY_TZ, local_midnight

PLACE = "社区党群服务中心二楼会议室"
HOLDERS = ["赵志刚", "孙丽娟", "周海涛", "吴晓燕", "郑国平", "冯雪梅"]
AGENDA = "1. 通报上一届六个一完成情况\n2. 推选本届轮值副书记\n3. 商议本届六个一计划和共建项目"
ABSENT = "晨光幼儿园"  # its agreement lapsed; it sends nobody
QR_UNIT = "康达物业公司"  # its liaison (the demo's 周物业) signs in by the QR


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, COMMUNITY_TZ)


def _minutes(term: Term, present: int, deputy: Unit) -> str:
    return (
        f"{term.name}联盟大会在{PLACE}召开，{present}家成员单位出席。\n"
        f"一、社区党委通报上一届六个一完成情况。\n"
        f"二、成员单位一单位一票推选{deputy.name}担任本届轮值副书记单位，牵头本届六个一。\n"
        f"三、会议商定本届共建重点：老年助餐、车棚充电、四点半课堂。"
    )


def load_history(today: date, community: Community, units: list[Unit]) -> None:
    """Ended terms: a held, minuted 联盟大会 and a certified 推选 each (rows, as history)."""
    alliance = community.alliance
    ended = list(
        db.session.scalars(
            sa.select(Term)
            .where(Term.alliance_id == alliance.id, Term.ends_on < today)
            .order_by(Term.starts_on)
        )
    )
    for index, term in enumerate(ended):
        deputy = units[index % len(units)]
        runner_up = units[(index + 1) % len(units)]
        starts_at = _at(assembly_date(term.starts_on), time(9))
        meeting = Meeting(
            community_id=community.id,
            term_id=term.id,
            kind=MeetingKind.ASSEMBLY,
            title=f"{term.name}联盟大会",
            starts_at=starts_at,
            place=PLACE,
            agenda=AGENDA,
            status=MeetingStatus.HELD,
            created_at=starts_at - timedelta(days=10),
        )
        present = 0
        for unit in units:
            attendance = Attendance(unit_id=unit.id)
            if unit.name != ABSENT:
                present += 1
                attendance.present_at = starts_at - timedelta(minutes=10)
                attendance.via = AttendanceVia.QR if unit.name == QR_UNIT else AttendanceVia.STAFF
                attendance.attendee_name = "周物业" if unit.name == QR_UNIT else ""
            meeting.attendances.append(attendance)
        meeting.minutes = _minutes(term, present, deputy)
        meeting.minutes_at = starts_at + timedelta(hours=3)
        meeting.resolutions.append(
            Resolution(
                text="组织成员单位开展一次助力创城志愿服务",
                owner_unit_id=deputy.id,
                due_on=term.ends_on,
                created_at=meeting.minutes_at,
            )
        )
        db.session.add(meeting)
        holder = HOLDERS[index % len(HOLDERS)]
        election = DeputyElection(
            term_id=term.id,
            meeting=meeting,
            method=ElectionMethod.VOTE,
            chosen_unit_id=deputy.id,
            holder_name=holder,
            certified_at=starts_at + timedelta(hours=2),
            created_at=starts_at,
        )
        election.candidates = [
            ElectionCandidate(unit_id=deputy.id),
            ElectionCandidate(unit_id=runner_up.id),
        ]
        voters = [u for u in units if u.name != ABSENT]
        for position, voter in enumerate(voters):
            choice = runner_up if position % 4 == 3 else deputy  # three in four for the deputy
            election.votes.append(
                ElectionVote(
                    voter_unit_id=voter.id,
                    candidate_unit_id=choice.id,
                    recorded_at=starts_at + timedelta(hours=1),
                )
            )
        db.session.add(election)
        db.session.add(
            AllianceOffice(
                alliance_id=alliance.id,
                role=OfficeRole.DEPUTY,
                holder_name=holder,
                unit_id=deputy.id,
                term_id=term.id,
            )
        )
    db.session.flush()


def load_current(
    today: date, community: Community, secretary: User, *, now: datetime, joint: bool = False
) -> None:
    """The current term: the booked assembly held on a past day, its attendance, minutes, 决议
    and the certified 推选, all through the service; then a 联席会议 ahead when ``joint``."""
    term = terms_queries.term_at(community.alliance.id, today)
    meeting = queries.term_assembly(term.id)
    booked = _at(min(meeting.local_day, today), time(9))
    meeting.starts_at = (
        booked if booked <= now else max(now - timedelta(minutes=30), local_midnight(today))
    )
    meeting.agenda = AGENDA
    meeting.place = PLACE
    db.session.flush()
    members = terms_queries.member_units(community.id)
    for unit in members:
        if unit.name != ABSENT:
            service.mark_attendance(secretary, meeting.id, unit_id=unit.id, present=True, now=now)
    rotation = queries.rotation(community.alliance.id, members)
    eligible = service.eligible_unit_ids(community.id, today)
    never = [row.unit for row in rotation if not row.terms and row.unit.id in eligible]
    candidates = never[:2]
    election = service.start_election(
        secretary,
        term.id,
        method=ElectionMethod.VOTE,
        candidate_unit_ids=[u.id for u in candidates],
        meeting_id=meeting.id,
        today=today,
    )
    for position, voter in enumerate(members):
        if voter.name == ABSENT:
            continue
        choice = candidates[1] if position % 3 == 2 and len(candidates) > 1 else candidates[0]
        service.record_vote(
            secretary, election.id, voter_unit_id=voter.id, candidate_unit_id=choice.id, now=now
        )
    holder = HOLDERS[len(HOLDERS) - 1 - community.id % len(HOLDERS)]
    service.certify_election(secretary, election.id, holder_name=holder, now=now)
    present = sum(1 for a in meeting.attendances if a.present_at)
    service.record_minutes(
        secretary, meeting.id, minutes=_minutes(term, present, candidates[0]), now=now
    )
    first = service.add_resolution(
        secretary,
        meeting.id,
        text="在阳光苑设老年助餐点，成员单位协助配送",
        owner_unit_id=candidates[0].id,
        due_on=term.ends_on,
        now=now,
    )
    plan = terms_queries.require_plan(term.id)
    item = next(i for i in plan.items if i.kind is ItemKind.CONCERNS_RESOLVED)
    service.resolution_to_plan_item(secretary, first.id, item_id=item.id)
    service.add_resolution(
        secretary,
        meeting.id,
        text="新建电动车棚加装充电计时装置",
        owner_unit_id=members[0].id,
        due_on=term.ends_on,
        now=now,
    )
    if joint:
        service.schedule_meeting(
            secretary,
            community.id,
            kind=MeetingKind.JOINT,
            title="联席会议：老旧小区改造协调",
            starts_at=_at(today + timedelta(days=14), time(14, 30)),
            place=PLACE,
            agenda="1. 老旧小区改造施工安排\n2. 各单位认领任务",
            now=now,
        )
